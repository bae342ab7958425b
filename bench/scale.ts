// A large tree: loads N znodes into a fresh server, lets it snapshot them while a light write
// stream runs, then restarts it on the same data directory.
//
//   npm run build && node dist/bench/scale.js                 # 1,000,000 nodes of 100 bytes
//   node dist/bench/scale.js --nodes 100000 --parents 100     # a quicker run
//
// Phases and what they report:
//   load      N creates of `--data-bytes` under `--parents` parents (/scale/p<i>/c<n>), pipelined
//             over `--clients` sessions with `--inflight` requests in flight each: time, ops/s,
//             create latency, server peak RSS (VmHWM).
//   snapshot  The server snapshots every snapCount txns; snapCount is set so that the first
//             snapshot starts once the load is done and a baseline of the light streams is
//             measured. The light streams are one session writing setData and one reading
//             getData, each at `--light-rate` per second (one in flight). Reports the snapshot's
//             size and duration (durationMs of the 'snapshot written' line) and the light
//             streams' latency before and during it (reads need no fsync, so they tell a
//             blocked event loop from a slow log sync).
//   restart   SIGTERM (time to exit), then a new process on the same directory: time to the
//             'cairn serving' line and to a first successful read, the server's own recoveryMs,
//             and RSS after restart.
//
// Other options: --server-cpu-prof DIR (profiles both server processes with node --cpu-prof),
// --max-minutes M (default 30; the run fails rather than going on longer).

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CairnClient, CairnUnaryClient } from '../src/client/index.js';
import { listSnapshots } from '../src/storage/index.js';
import { nodeFileSystem } from '../src/storage/world.js';
import {
  delay,
  makeTempDir,
  mib,
  microsSince,
  processStats,
  removeDir,
  round,
  Samples,
  startBenchServer,
  summarize,
  table,
  type BenchServer,
  type LogEntry,
} from './lib.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    nodes: { type: 'string', default: '1000000' },
    parents: { type: 'string', default: '1000' },
    'data-bytes': { type: 'string', default: '100' },
    clients: { type: 'string', default: '4' },
    inflight: { type: 'string', default: '256' },
    'light-rate': { type: 'string', default: '200' },
    'baseline-seconds': { type: 'string', default: '5' },
    'server-cpu-prof': { type: 'string' },
    'max-minutes': { type: 'string', default: '30' },
  },
  strict: true,
});

function integer(name: string, value: string | undefined, min = 1): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${value}`);
  return parsed;
}

const NODES = integer('nodes', values.nodes);
const PARENTS = integer('parents', values.parents);
const DATA_BYTES = integer('data-bytes', values['data-bytes'], 0);
const CLIENTS = integer('clients', values.clients);
const INFLIGHT = integer('inflight', values.inflight);
const LIGHT_RATE = integer('light-rate', values['light-rate']);
const BASELINE_SECONDS = integer('baseline-seconds', values['baseline-seconds']);
const MAX_MINUTES = integer('max-minutes', values['max-minutes']);
const NODE_ARGS = values['server-cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['server-cpu-prof']}`];

function progress(message: string): void {
  process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Server RSS sampled once a second while `run` goes on. */
async function sampleRss<T>(pid: number, run: () => Promise<T>): Promise<{ result: T; maxRssBytes: number }> {
  let maxRssBytes = 0;
  const timer = setInterval(() => (maxRssBytes = Math.max(maxRssBytes, processStats(pid)?.rssBytes ?? 0)), 1000);
  try {
    const result = await run();
    return { result, maxRssBytes: Math.max(maxRssBytes, processStats(pid)?.rssBytes ?? 0) };
  } finally {
    clearInterval(timer);
  }
}

async function load(server: BenchServer): Promise<Record<string, unknown>> {
  const data = Buffer.alloc(DATA_BYTES, 0x62);
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, () => CairnClient.connect(server.grpcAddress, { timeoutMs: 30_000 })));
  await sessions[0]!.create('/scale', null);
  await Promise.all(Array.from({ length: PARENTS }, (_, p) => sessions[p % CLIENTS]!.create(`/scale/p${p}`, null)));
  await sessions[0]!.create('/scale/light', null);

  let next = 0;
  let done = 0;
  const samples = new Samples();
  const errors: Record<string, number> = {};
  const lane = async (session: CairnClient): Promise<void> => {
    for (let n = next++; n < NODES; n = next++) {
      const start = process.hrtime.bigint();
      try {
        await session.create(`/scale/p${n % PARENTS}/c${n}`, data);
        samples.add(microsSince(start));
        done++;
      } catch (error) {
        const name = error instanceof Error ? error.name : String(error);
        errors[name] = (errors[name] ?? 0) + 1;
        if (Object.values(errors).reduce((a, b) => a + b, 0) > 1000) throw error;
      }
    }
  };
  const report = setInterval(() => progress(`load: ${done} / ${NODES} created, server RSS ${mib(processStats(server.pid)?.rssBytes ?? 0)} MiB`), 5000);
  const cpuBefore = processStats(server.pid)?.cpuSeconds ?? 0;
  const startedMs = performance.now();
  let maxRssBytes: number;
  try {
    ({ maxRssBytes } = await sampleRss(server.pid, () => Promise.all(sessions.flatMap((session) => Array.from({ length: INFLIGHT }, () => lane(session))))));
  } finally {
    clearInterval(report);
  }
  const seconds = (performance.now() - startedMs) / 1000;
  const after = processStats(server.pid);
  for (const session of sessions) await session.close();
  return {
    nodes: done,
    seconds: round(seconds, 2),
    opsPerSec: Math.round(done / seconds),
    errors,
    latency: summarize(samples.toArray()),
    serverCpuSeconds: after === null ? null : round(after.cpuSeconds - cpuBefore, 2),
    serverRssMiB: after === null ? null : mib(after.rssBytes),
    serverMaxSampledRssMiB: mib(maxRssBytes),
    serverPeakRssMiB: after === null ? null : mib(after.peakRssBytes),
  };
}

interface LightSample {
  sentMs: number;
  micros: number;
}

/** One request at a time, paced at LIGHT_RATE per second, until `stopped()`. */
async function pacedStream(send: () => Promise<unknown>, stopped: () => boolean): Promise<{ samples: LightSample[]; errors: number }> {
  const samples: LightSample[] = [];
  let errors = 0;
  const intervalMs = 1000 / LIGHT_RATE;
  const startMs = performance.now();
  for (let n = 0; !stopped(); n++) {
    const sentMs = Date.now();
    const start = process.hrtime.bigint();
    try {
      await send();
      samples.push({ sentMs, micros: microsSince(start) });
    } catch {
      errors++;
    }
    // The next request goes at its slot, or at once when this one was late.
    const wait = startMs + (n + 1) * intervalMs - performance.now();
    if (wait > 0) await delay(wait);
  }
  return { samples, errors };
}

/**
 * The light streams: one session writing setData and one reading getData, each at LIGHT_RATE
 * per second with one request in flight, until the first snapshot is written (the server starts it
 * after snapCount txns) and one more second has passed. Reads need no fsync: if they stall too,
 * the event loop was blocked; if only writes stall, the log's fdatasync was slow.
 */
async function snapshotUnderLightLoad(server: BenchServer, snapCount: number): Promise<Record<string, unknown>> {
  const writer = await CairnClient.connect(server.grpcAddress, { timeoutMs: 30_000 });
  const reader = await CairnClient.connect(server.grpcAddress, { timeoutMs: 30_000 });
  const data = Buffer.alloc(DATA_BYTES, 0x63);
  let stopped = false;
  const written = server.waitForLog((entry) => entry.msg === 'snapshot written', MAX_MINUTES * 60_000, 'snapshot written');
  const writes = pacedStream(() => writer.setData('/scale/light', data), () => stopped);
  const reads = pacedStream(() => reader.getData('/scale/light'), () => stopped);
  let entry: LogEntry;
  try {
    entry = await written;
    progress(`snapshot written in ${String(entry.durationMs)} ms; light streams go on for 1 s`);
    await delay(1000);
  } finally {
    stopped = true;
    await Promise.all([writes, reads]);
    await writer.close();
    await reader.close();
  }
  const endMs = entry.time as number;
  const startMs = endMs - (entry.durationMs as number);
  // "During": sent while the snapshot was being written. "Without": answered before it started.
  const split = (samples: LightSample[]) => ({
    without: summarize(Float64Array.from(samples.filter((sample) => sample.sentMs + sample.micros / 1000 < startMs).map((sample) => sample.micros))),
    during: summarize(Float64Array.from(samples.filter((sample) => sample.sentMs >= startMs && sample.sentMs <= endMs).map((sample) => sample.micros))),
  });
  const { samples: writeSamples, errors: writeErrors } = await writes;
  const { samples: readSamples, errors: readErrors } = await reads;
  const snapshots = await listSnapshots(nodeFileSystem, join(server.dataDir, 'cairn'));
  const newest = snapshots.at(-1);
  const writeSplit = split(writeSamples);
  const readSplit = split(readSamples);
  return {
    snapCount,
    snapshotZxid: entry.zxid,
    snapshotDurationMs: entry.durationMs,
    snapshotBytes: newest === undefined ? null : statSync(newest.path).size,
    snapshotMiB: newest === undefined ? null : mib(statSync(newest.path).size),
    lightRatePerSec: LIGHT_RATE,
    lightErrors: writeErrors + readErrors,
    lightWritesWithoutSnapshot: writeSplit.without,
    lightWritesDuringSnapshot: writeSplit.during,
    lightReadsWithoutSnapshot: readSplit.without,
    lightReadsDuringSnapshot: readSplit.during,
    serverPeakRssMiB: mib(processStats(server.pid)?.peakRssBytes ?? 0),
  };
}

async function restart(server: BenchServer): Promise<{ restarted: BenchServer; report: Record<string, unknown> }> {
  const stopStartMs = performance.now();
  const exit = await server.stop('SIGTERM', MAX_MINUTES * 60_000);
  const stopMs = performance.now() - stopStartMs;
  progress(`stopped (${exit.code ?? exit.signal}) in ${Math.round(stopMs)} ms; restarting`);
  const restarted = await startBenchServer({ dataDir: server.dataDir, nodeArgs: NODE_ARGS, config: {}, startTimeoutMs: MAX_MINUTES * 60_000 });
  const reader = new CairnUnaryClient(restarted.grpcAddress);
  const last = NODES - 1;
  const node = await reader.get(`/scale/p${last % PARENTS}/c${last}`);
  const readMs = Date.now();
  reader.close();
  if (node.data === null || node.data.length !== DATA_BYTES) throw new Error('the last node created came back wrong after the restart');
  const recovered = restarted.logs.find((entry) => entry.msg === 'state recovered');
  const stats = processStats(restarted.pid);
  return {
    restarted,
    report: {
      stopExit: exit.code ?? exit.signal,
      stopMs: Math.round(stopMs),
      spawnToServingMs: restarted.servingMs - restarted.spawnedMs,
      spawnToFirstReadMs: readMs - restarted.spawnedMs,
      serverRecoveryMs: recovered?.recoveryMs ?? null,
      recoveredZnodes: recovered?.znodes ?? null,
      rssAfterRestartMiB: stats === null ? null : mib(stats.rssBytes),
      peakRssDuringRestartMiB: stats === null ? null : mib(stats.peakRssBytes),
    },
  };
}

async function main(): Promise<void> {
  const dataDir = await makeTempDir('cairn-scale-');
  // Txns before the light stream: the load's sessions and creates plus a margin; the snapshot
  // then starts once the light stream has had BASELINE_SECONDS to itself.
  const loadTxns = NODES + PARENTS + CLIENTS + 10;
  const snapCount = loadTxns + LIGHT_RATE * BASELINE_SECONDS;
  let server: BenchServer | null = null;
  const deadline = setTimeout(() => {
    process.stderr.write(`scale: over ${MAX_MINUTES} minutes; stopping\n`);
    server?.child.kill('SIGKILL');
    void removeDir(dataDir).finally(() => process.exit(1));
  }, MAX_MINUTES * 60_000);
  try {
    server = await startBenchServer({ dataDir, config: { snapCount }, nodeArgs: NODE_ARGS, startTimeoutMs: 60_000 });
    progress(`server ${server.pid} at ${server.grpcAddress}; loading ${NODES} nodes`);
    const loadReport = await load(server);
    progress(`loaded in ${String(loadReport.seconds)} s; light stream and snapshot`);
    const snapshotReport = await snapshotUnderLightLoad(server, snapCount);
    const { restarted, report: restartReport } = await restart(server);
    server = restarted;
    const report = { bench: 'scale', nodes: NODES, parents: PARENTS, dataBytes: DATA_BYTES, clients: CLIENTS, inflightPerClient: INFLIGHT, load: loadReport, snapshot: snapshotReport, restart: restartReport, node: process.version };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    const load_ = loadReport as { latency: ReturnType<typeof summarize> };
    type Summary = ReturnType<typeof summarize>;
    const line = (summary: Summary) => `${summary.p50Ms} / ${summary.p99Ms} / ${summary.maxMs} (${summary.count})`;
    process.stdout.write(
      `${table([
        ['nodes', `${NODES} × ${DATA_BYTES} B under ${PARENTS} parents`],
        ['load time s', String(loadReport.seconds)],
        ['load ops/s', String(loadReport.opsPerSec)],
        ['load latency ms p50/p99/max', `${load_.latency.p50Ms} / ${load_.latency.p99Ms} / ${load_.latency.maxMs}`],
        ['server peak RSS after load MiB', String(loadReport.serverPeakRssMiB)],
        ['snapshot size MiB', String(snapshotReport.snapshotMiB)],
        ['snapshot duration ms', String(snapshotReport.snapshotDurationMs)],
        ['light writes p50/p99/max ms (n), no snapshot', line(snapshotReport.lightWritesWithoutSnapshot as Summary)],
        ['light writes p50/p99/max ms (n), during snapshot', line(snapshotReport.lightWritesDuringSnapshot as Summary)],
        ['light reads p50/p99/max ms (n), no snapshot', line(snapshotReport.lightReadsWithoutSnapshot as Summary)],
        ['light reads p50/p99/max ms (n), during snapshot', line(snapshotReport.lightReadsDuringSnapshot as Summary)],
        ['server peak RSS incl. snapshot MiB', String(snapshotReport.serverPeakRssMiB)],
        ['SIGTERM to exit ms', String(restartReport.stopMs)],
        ['restart: spawn to serving ms', String(restartReport.spawnToServingMs)],
        ['restart: spawn to first read ms', String(restartReport.spawnToFirstReadMs)],
        ['restart: server recoveryMs', String(restartReport.serverRecoveryMs)],
        ['RSS after restart MiB', String(restartReport.rssAfterRestartMiB)],
      ])}\n`,
    );
  } finally {
    clearTimeout(deadline);
    if (server !== null) await server.stop('SIGTERM', 120_000);
    await removeDir(dataDir);
  }
}

// A reader that goes away (`| head`) must not kill the run before it stops its server.
process.stdout.on('error', () => undefined);

main().catch((error: unknown) => {
  process.stderr.write(`scale: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
