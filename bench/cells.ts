// One cell of the bench: a workload at a concurrency through one protocol against one running
// topology, measured by forked load-generator processes while /proc watches the servers.

import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { mib, processStats, round, summarize, type LatencySummary } from './lib.js';
import { decodeSamples, type FromWorker, type Protocol, type WorkerResult, type WorkerSpec, type Workload } from './gen/protocol.js';
import type { ServerHandle, Topology } from './systems/topology.js';

const WORKER = resolve(import.meta.dirname, 'gen/worker.js');

/** Above this event-loop utilisation a generator process was (close to) the ceiling. */
export const SATURATED_ELU = 0.9;

export interface CellPlan {
  topology: Topology;
  /** How the bench names the protocol in tables: 'jute', 'gRPC stream', 'gRPC unary', 'gRPC', 'REST'. */
  label: string;
  protocol: Protocol;
  restFlavor?: 'cairn' | 'etcd';
  workload: Workload;
  concurrency: number;
  run: number;
  warmupMs: number;
  durationMs: number;
  /** Key material prepared for the topology. */
  keys: PreparedKeys;
  /** A unique parent for this cell's creates. */
  prefix: string;
  valueBytes: number;
}

export interface PreparedKeys {
  hotKeys: string[];
  readKeys: string[];
}

/** What names a cell, apart from its run. */
export interface CellIdentity {
  topology: string;
  system: string;
  servers: number;
  protocol: string;
  workload: Workload;
  concurrency: number;
}

export interface CellResult extends CellIdentity {
  run: number;
  processes: number;
  connections: number;
  windowMs: number;
  ops: number;
  opsPerSec: number;
  latency: LatencySummary;
  errors: Record<string, number>;
  firstError?: string;
  /** utime + stime of every server process over the window, per 1000 completed ops. */
  serverCpuSecPer1000: number | null;
  /** Every server's CPU utilisation over the window (1 = one core). */
  serverCpuUtil: number[];
  /** Peak RSS of each server during the cell (VmHWM, reset before the cell), MiB. */
  serverPeakRssMiB: number[];
  /** Event-loop utilisation of each generator process. */
  clientElu: number[];
  /** A generator process was the ceiling: the figure says more about the client than the server. */
  clientSaturated: boolean;
}

/** The endpoint of each server for a protocol, the leader first (see the report's notes). */
export function endpointsFor(servers: ServerHandle[], leaderId: number | null, protocol: Protocol): string[] {
  const ordered = [...servers].sort((a, b) => Number(b.id === leaderId) - Number(a.id === leaderId) || a.id - b.id);
  return ordered.map((server) => {
    const endpoint = protocol === 'rest' ? server.http : protocol === 'jute' ? server.jute : server.grpc;
    if (endpoint === undefined) throw new Error(`${server.id} has no ${protocol} endpoint`);
    return endpoint;
  });
}

/** gRPC clients cost the most CPU per call (grpc-js over Node's http2): they get more processes. */
const GRPC_PROTOCOLS: ReadonlySet<Protocol> = new Set(['cairn-stream', 'cairn-unary', 'etcd-grpc']);

/**
 * How a concurrency is spread: connections over servers round-robin (leader first), over
 * generator processes round-robin, in-flight requests evenly over connections. From 16 in flight
 * the load comes from 2 processes (4 for gRPC). REST holds one request per connection (HTTP/1.1
 * without pipelining); the others pipeline on up to 3 connections per process, as a few clients
 * each with many requests outstanding.
 */
export function spread(concurrency: number, servers: number, protocol: Protocol): { processes: number; perProcess: Array<{ connections: number[]; lanes: number[] }> } {
  const processes = concurrency < 16 ? 1 : GRPC_PROTOCOLS.has(protocol) ? 4 : 2;
  const connections = protocol === 'rest' ? concurrency : Math.min(concurrency, 3 * processes);
  const perProcess = Array.from({ length: processes }, () => ({ connections: [] as number[], lanes: [] as number[] }));
  for (let index = 0; index < connections; index++) {
    const lanes = Math.floor(concurrency / connections) + (index < concurrency % connections ? 1 : 0);
    const target = perProcess[index % processes]!;
    target.connections.push(index % servers);
    target.lanes.push(lanes);
  }
  return { processes, perProcess };
}

interface WorkerHandle {
  child: ChildProcess;
  alive(): boolean;
  next(): Promise<FromWorker>;
}

function forkWorker(): WorkerHandle {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: FromWorker[] = [];
  let waiting: { resolve: (message: FromWorker) => void; reject: (error: Error) => void } | undefined;
  let exited: Error | undefined;
  child.on('message', (message: FromWorker) => {
    if (waiting !== undefined) {
      const { resolve: deliver } = waiting;
      waiting = undefined;
      deliver(message);
    } else inbox.push(message);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`load generator exited (${code ?? signal})`);
    waiting?.reject(exited);
    waiting = undefined;
  });
  return {
    child,
    alive: () => exited === undefined,
    next: () =>
      new Promise((resolveNext, reject) => {
        if (inbox.length > 0) return resolveNext(inbox.shift()!);
        if (exited !== undefined) return reject(exited);
        waiting = { resolve: resolveNext, reject };
      }),
  };
}

/**
 * Generator processes kept from cell to cell (a fork and its imports cost more than a short
 * cell). A process that failed or overran a cell is killed and replaced, never reused.
 */
class GeneratorPool {
  private idle: WorkerHandle[] = [];

  take(count: number): WorkerHandle[] {
    this.idle = this.idle.filter((worker) => worker.alive());
    const taken = this.idle.splice(0, count);
    while (taken.length < count) taken.push(forkWorker());
    return taken;
  }

  give(workers: WorkerHandle[]): void {
    this.idle.push(...workers.filter((worker) => worker.alive()));
  }

  discard(workers: WorkerHandle[]): void {
    for (const worker of workers) if (worker.alive()) worker.child.kill('SIGKILL');
  }

  async close(): Promise<void> {
    const workers = this.idle;
    this.idle = [];
    await Promise.all(
      workers.map(async (worker) => {
        if (!worker.alive()) return;
        const gone = new Promise((done) => worker.child.once('exit', done));
        worker.child.send({ type: 'exit' });
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), 5_000);
        await gone;
        clearTimeout(timer);
      }),
    );
  }
}

const pool = new GeneratorPool();

/** Ends the generator processes the bench keeps between cells. */
export function closeGenerators(): Promise<void> {
  return pool.close();
}

async function expect<T extends FromWorker['type']>(worker: WorkerHandle, type: T, timeoutMs: number): Promise<Extract<FromWorker, { type: T }>> {
  let timer: NodeJS.Timeout | undefined;
  const message = await Promise.race([
    worker.next(),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no '${type}' from a load generator within ${timeoutMs} ms`)), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  if (message.type === 'failed') throw new Error(`load generator failed: ${message.message}`);
  if (message.type !== type) throw new Error(`load generator sent ${message.type}, expected ${type}`);
  return message as Extract<FromWorker, { type: T }>;
}

/** Resets a process's peak RSS (VmHWM) to its current RSS (Linux clear_refs 5). */
function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not Linux, or not ours: the peak then covers the process's whole life
  }
}

export interface GeneratorRun {
  results: WorkerResult[];
  processes: number;
  connections: number;
  cpuSeconds: number[];
  peakRss: number[];
}

export interface GeneratorTiming {
  warmupMs: number;
  durationMs: number;
  /**
   * Completions per lane (request in flight) of requests sent inside a generator's window that
   * the window must hold before it closes (0: it closes at `durationMs`). A cell asks for one: a
   * window with fewer has not seen the load it is meant to measure, and the servers' CPU over it
   * could be none at all.
   */
  minOpsPerLane?: number;
}

/** Forks the generators of a spec family, runs them together, collects what they measured. */
export async function runGenerators(servers: ServerHandle[], specs: WorkerSpec[], timing: GeneratorTiming, onStart?: () => void): Promise<GeneratorRun> {
  const workers = pool.take(specs.length);
  let healthy = false;
  try {
    workers.forEach((worker, index) => worker.child.send({ type: 'init', spec: specs[index]! }));
    await Promise.all(workers.map((worker) => expect(worker, 'ready', 60_000)));
    const pids = servers.map((server) => server.pid);
    for (const pid of pids) resetPeakRss(pid);
    workers.forEach((worker, index) => {
      const lanes = specs[index]!.lanesPerConnection.reduce((sum, count) => sum + count, 0);
      worker.child.send({ type: 'start', warmupMs: timing.warmupMs, durationMs: timing.durationMs, minOps: (timing.minOpsPerLane ?? 0) * lanes, serverPids: pids });
    });
    onStart?.();
    // Past its duration a window may wait up to a minute for its minimum (see gen/worker.ts).
    const collected = (await Promise.all(workers.map((worker) => expect(worker, 'result', timing.warmupMs + timing.durationMs + 180_000)))).map((message) => message.result);
    const peaks = pids.map((pid) => processStats(pid)?.peakRssBytes ?? NaN);
    healthy = true;
    // Each generator read the servers' CPU over its own window, not this process over timers of
    // its own, which drift from the generators' on a busy machine. The windows nearly coincide:
    // the longest one stands for them all, as it does for the cell's ops/s.
    const longest = collected.reduce((best, result) => (result.windowMs > best.windowMs ? result : best));
    return {
      results: collected,
      processes: specs.length,
      connections: specs.reduce((sum, spec) => sum + spec.connections.length, 0),
      cpuSeconds: longest.serverCpuSeconds,
      peakRss: peaks,
    };
  } finally {
    if (healthy) pool.give(workers);
    else pool.discard(workers);
  }
}

export function specsFor(plan: Omit<CellPlan, 'run' | 'warmupMs' | 'durationMs'>, endpoints: string[], extra: Partial<WorkerSpec> = {}): WorkerSpec[] {
  const { perProcess } = spread(plan.concurrency, endpoints.length, plan.protocol);
  return perProcess.map((share, workerIndex) => ({
    protocol: plan.protocol,
    ...(plan.restFlavor === undefined ? {} : { restFlavor: plan.restFlavor }),
    workerIndex,
    endpoints,
    connections: share.connections,
    lanesPerConnection: share.lanes,
    workload: plan.workload,
    prefix: `${plan.prefix}/w${workerIndex}`,
    hotKeys: plan.keys.hotKeys,
    readKeys: plan.keys.readKeys,
    valueBytes: plan.valueBytes,
    timeline: false,
    reconnect: false,
    ...extra,
  }));
}

export async function runCell(plan: CellPlan): Promise<CellResult> {
  const { topology } = plan;
  const leader = await topology.leader();
  const endpoints = endpointsFor(topology.servers, leader, plan.protocol);
  const specs = specsFor(plan, endpoints);
  const run = await runGenerators(topology.servers, specs, { warmupMs: plan.warmupMs, durationMs: plan.durationMs, minOpsPerLane: 1 });
  const samples = new Float64Array(run.results.reduce((sum, result) => sum + result.samples.length, 0));
  let filled = 0;
  const errors: Record<string, number> = {};
  let firstError: string | undefined;
  for (const result of run.results) {
    const decoded = decodeSamples(result.samples);
    samples.set(decoded, filled);
    filled += decoded.length;
    for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
    firstError ??= result.firstError;
  }
  const latency = summarize(samples.subarray(0, filled));
  const ops = run.results.reduce((sum, result) => sum + result.ops, 0);
  const windowMs = Math.max(...run.results.map((result) => result.windowMs));
  const cpuTotal = run.cpuSeconds.reduce((sum, value) => sum + value, 0);
  const clientElu = run.results.map((result) => round(result.elu, 3));
  return {
    topology: topology.name,
    system: topology.system,
    servers: topology.servers.length,
    protocol: plan.label,
    workload: plan.workload,
    concurrency: plan.concurrency,
    run: plan.run,
    processes: run.processes,
    connections: run.connections,
    windowMs: round(windowMs, 1),
    ops,
    opsPerSec: round((ops / windowMs) * 1000, 1),
    latency,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    serverCpuSecPer1000: ops === 0 || !Number.isFinite(cpuTotal) ? null : round((cpuTotal / ops) * 1000, 4),
    serverCpuUtil: run.cpuSeconds.map((seconds) => round(seconds / (windowMs / 1000), 3)),
    serverPeakRssMiB: run.peakRss.map((bytes) => mib(bytes)),
    clientElu,
    clientSaturated: clientElu.some((elu) => elu > SATURATED_ELU),
  };
}
