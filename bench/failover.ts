// Fail-over: writers keep a steady load on a 3-server topology, the leader is killed with
// SIGKILL, and the bench times how long until a write sent after the kill succeeds. The writers
// do what a client does: when its server is gone (or refuses it), it connects to the next one.

import { round } from './lib.js';
import { endpointsFor, runGenerators, specsFor } from './cells.js';
import type { Protocol } from './gen/protocol.js';
import type { Topology } from './systems/topology.js';

export interface FailoverResult {
  topology: string;
  protocol: string;
  concurrency: number;
  killedServer: number;
  /** From SIGKILL to the completion of the first write sent after it. */
  recoveryMs: number | null;
  /** The longest stretch around the kill without any completed write. */
  longestGapMs: number;
  errorsAfterKill: number;
  /** Every error of the run by code, and the first one's message. */
  errors: Record<string, number>;
  firstError?: string;
  /** Completed writes and p99 latency per bucket, times relative to the kill (ms). */
  timeline: Array<{ tMs: number; ops: number; p99Ms: number | null }>;
  bucketMs: number;
}

export async function runFailover(options: {
  topology: Topology;
  protocol: Protocol;
  label: string;
  concurrency: number;
  beforeMs: number;
  afterMs: number;
  bucketMs: number;
  prefix: string;
}): Promise<FailoverResult> {
  const { topology } = options;
  const leader = await topology.leader();
  if (leader === null) throw new Error(`${topology.name} has no leader to kill`);
  const endpoints = endpointsFor(topology.servers, leader, options.protocol);
  const specs = specsFor(
    { topology, label: options.label, protocol: options.protocol, workload: 'create', concurrency: options.concurrency, keys: { hotKeys: [], readKeys: [] }, prefix: options.prefix, valueBytes: 100 },
    endpoints,
    { timeline: true, reconnect: true, callTimeoutMs: 1000 },
  );
  let killedAtMs = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const run = await runGenerators(topology.servers, specs, { warmupMs: 0, durationMs: options.beforeMs + options.afterMs }, () => {
    killTimer = setTimeout(() => {
      killedAtMs = performance.timeOrigin + performance.now();
      topology.kill(leader);
    }, options.beforeMs);
  }).finally(() => clearTimeout(killTimer));
  if (killedAtMs === 0) throw new Error('the run ended before the kill');
  // Every completion and error on one clock: ms relative to the kill.
  const completions: Array<{ at: number; latency: number }> = [];
  let errorsAfterKill = 0;
  for (const result of run.results) {
    const offset = result.startedAtMs - killedAtMs;
    const timeline = result.timeline!;
    timeline.okAtMs.forEach((at, index) => completions.push({ at: at + offset, latency: timeline.okLatencyMs[index]! }));
    errorsAfterKill += timeline.errorAtMs.filter((at) => at + offset >= 0).length;
  }
  completions.sort((a, b) => a.at - b.at);
  const errors: Record<string, number> = {};
  for (const result of run.results) for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
  const firstError = run.results.find((result) => result.firstError !== undefined)?.firstError;
  const recovered = completions.find((completion) => completion.at - completion.latency >= 0);
  let longestGapMs = 0;
  for (let index = 1; index < completions.length; index++) {
    if (completions[index]!.at < -1000) continue;
    longestGapMs = Math.max(longestGapMs, completions[index]!.at - completions[index - 1]!.at);
  }
  const buckets = new Map<number, number[]>();
  for (const completion of completions) {
    const bucket = Math.floor(completion.at / options.bucketMs);
    if (!buckets.has(bucket)) buckets.set(bucket, []);
    buckets.get(bucket)!.push(completion.latency);
  }
  const first = Math.floor(-options.beforeMs / options.bucketMs);
  const last = Math.floor(options.afterMs / options.bucketMs);
  const timeline: FailoverResult['timeline'] = [];
  for (let bucket = first; bucket < last; bucket++) {
    const latencies = (buckets.get(bucket) ?? []).sort((a, b) => a - b);
    timeline.push({
      tMs: bucket * options.bucketMs,
      ops: latencies.length,
      p99Ms: latencies.length === 0 ? null : round(latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)]!),
    });
  }
  return {
    topology: topology.name,
    protocol: options.label,
    concurrency: options.concurrency,
    killedServer: leader,
    recoveryMs: recovered === undefined ? null : round(recovered.at),
    longestGapMs: round(longestGapMs),
    errorsAfterKill,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    timeline,
    bucketMs: options.bucketMs,
  };
}
