// Write load over gRPC: creates of new 100-byte nodes or setData on a small set of hot keys, with a
// fixed number of requests in flight per session (closed loop: each reply sends the next request),
// over the Session stream or, with --unary, over the unary Create/Set calls.
//
//   npm run build && node dist/bench/grpc-load.js --op create --inflight 64 --seconds 10
//
// Options:
//   --op create|set          what to send (default create)
//   --inflight N             requests in flight per session (per channel with --unary); default 1
//   --seconds N              measured time (default 10), after --warmup N seconds (default 2)
//   --clients K              sessions (channels with --unary) per client process; default 1
//   --processes P            client processes (node:child_process fork); 0 runs the clients in
//                            this process (default 0)
//   --unary                  unary calls instead of the Session stream
//   --keys N                 hot keys for --op set (default 16)
//   --data-bytes N           node data size (default 100)
//   --address HOST:PORT      use a running server instead of starting one (then --server-pid
//                            PID gives its CPU time and memory)
//   --snap-count N           snapCount of the server this starts (default 100000)
//   --server-cpu-prof DIR    run the server this starts with `node --cpu-prof`, profile in DIR
//                            (summarize it with dist/bench/profile-summary.js)
//
// Prints one JSON line (machine-readable) and a table. Latency is send → reply (hrtime) of the
// requests completed in the measured window. Server CPU is utime+stime from /proc/<pid>/stat over
// the window, per 1000 completed ops; peak RSS is VmHWM from /proc/<pid>/status.

import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CairnClient, CairnUnaryClient, isKeeperError } from '../src/client/index.js';
import {
  delay,
  microsSince,
  mib,
  processStats,
  removeDir,
  round,
  Samples,
  startBenchServer,
  summarize,
  table,
  type BenchServer,
} from './lib.js';

interface LoadConfig {
  address: string;
  op: 'create' | 'set';
  inflight: number;
  clients: number;
  unary: boolean;
  dataBytes: number;
  /** Parent of everything this run creates. */
  root: string;
  hotKeys: string[];
}

interface WorkerResult {
  completed: number;
  errors: Record<string, number>;
  /** Microseconds. */
  samples: Float64Array;
  windowMs: number;
  elu: number;
}

type ToWorker = { type: 'init'; config: LoadConfig; workerIndex: number } | { type: 'go' } | { type: 'measure' } | { type: 'stop' };
type FromWorker = { type: 'ready' } | { type: 'measuring' } | { type: 'result'; result: WorkerResult } | { type: 'failed'; message: string };

/** One client process's sessions and their lanes. */
class LoadWorker {
  private sessions: CairnClient[] = [];
  private unaryClients: CairnUnaryClient[] = [];
  private parents: string[] = [];
  private lanes: Promise<void>[] = [];
  private running = false;
  private measuring = false;
  private readonly samples = new Samples();
  private completed = 0;
  private errors: Record<string, number> = {};
  private measureStartMs = 0;
  private eluStart = performance.eventLoopUtilization();
  private data!: Buffer;

  constructor(
    private readonly config: LoadConfig,
    private readonly workerIndex: number,
  ) {}

  async init(): Promise<void> {
    const { config } = this;
    this.data = Buffer.alloc(config.dataBytes, 0x61 + (this.workerIndex % 26));
    for (let c = 0; c < config.clients; c++) {
      const parent = `${config.root}/w${this.workerIndex}-c${c}`;
      this.parents.push(parent);
      if (config.unary) {
        const client = new CairnUnaryClient(config.address);
        this.unaryClients.push(client);
        if (config.op === 'create') await client.create(parent, null);
      } else {
        const session = await CairnClient.connect(config.address, { timeoutMs: 30_000 });
        this.sessions.push(session);
        if (config.op === 'create') await session.create(parent, null);
      }
    }
  }

  go(): void {
    this.running = true;
    for (let c = 0; c < this.config.clients; c++) {
      const send = this.sender(c);
      for (let lane = 0; lane < this.config.inflight; lane++) this.lanes.push(this.lane(send, lane));
    }
  }

  measure(): void {
    this.samples.clear();
    this.completed = 0;
    this.errors = {};
    this.measureStartMs = performance.now();
    this.eluStart = performance.eventLoopUtilization();
    this.measuring = true;
  }

  async stop(): Promise<WorkerResult> {
    const windowMs = performance.now() - this.measureStartMs;
    const elu = performance.eventLoopUtilization(this.eluStart).utilization;
    this.measuring = false;
    this.running = false;
    await Promise.all(this.lanes);
    const result = { completed: this.completed, errors: this.errors, samples: this.samples.toArray(), windowMs, elu };
    for (const session of this.sessions) await session.close();
    for (const client of this.unaryClients) client.close();
    return result;
  }

  /** The request a session (or channel) sends, numbered per lane so paths never collide. */
  private sender(c: number): (lane: number, step: number) => Promise<unknown> {
    const { config, data } = this;
    const parent = this.parents[c]!;
    const keys = config.hotKeys;
    let next = c;
    if (config.unary) {
      const client = this.unaryClients[c]!;
      if (config.op === 'create') return (lane, step) => client.create(`${parent}/n${lane}-${step}`, data);
      return () => client.set(keys[next++ % keys.length]!, data);
    }
    const session = this.sessions[c]!;
    if (config.op === 'create') return (lane, step) => session.create(`${parent}/n${lane}-${step}`, data);
    return () => session.setData(keys[next++ % keys.length]!, data);
  }

  private async lane(send: (lane: number, step: number) => Promise<unknown>, lane: number): Promise<void> {
    for (let step = 0; this.running; step++) {
      const start = process.hrtime.bigint();
      try {
        await send(lane, step);
        if (this.measuring) {
          this.samples.add(microsSince(start));
          this.completed++;
        }
      } catch (error) {
        const name = isKeeperError(error) ? error.codeName : String(error);
        this.errors[name] = (this.errors[name] ?? 0) + 1;
        // A lost connection or session ends this lane; anything else is counted and the lane goes on.
        if (isKeeperError(error) && (error.codeName === 'ConnectionLoss' || error.codeName === 'SessionExpired')) return;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Client processes

/** The coordinator's handle on one client process (or on the in-process worker). */
interface WorkerHandle {
  go(): void;
  measure(): Promise<void>;
  stop(): Promise<WorkerResult>;
  close(): void;
}

function inProcessWorker(worker: LoadWorker): WorkerHandle {
  return { go: () => worker.go(), measure: async () => worker.measure(), stop: () => worker.stop(), close: () => undefined };
}

async function forkWorker(config: LoadConfig, workerIndex: number): Promise<WorkerHandle> {
  const child: ChildProcess = fork(import.meta.filename, ['--worker'], { serialization: 'advanced', stdio: 'inherit' });
  const waiting: Array<{ type: FromWorker['type']; resolve: (message: FromWorker) => void; reject: (error: Error) => void }> = [];
  child.on('message', (message: FromWorker) => {
    if (message.type === 'failed') {
      for (const waiter of waiting.splice(0)) waiter.reject(new Error(`client process ${workerIndex}: ${message.message}`));
      return;
    }
    const index = waiting.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message);
  });
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`client process ${workerIndex} exited (${code})`));
  });
  const expect = (type: FromWorker['type']) => new Promise<FromWorker>((resolve, reject) => waiting.push({ type, resolve, reject }));
  const send = (message: ToWorker) => child.send(message);
  const ready = expect('ready');
  send({ type: 'init', config, workerIndex });
  await ready;
  return {
    go: () => send({ type: 'go' }),
    measure: async () => {
      const measuring = expect('measuring');
      send({ type: 'measure' });
      await measuring;
    },
    stop: async () => {
      const result = expect('result');
      send({ type: 'stop' });
      const message = await result;
      return (message as Extract<FromWorker, { type: 'result' }>).result;
    },
    close: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/** The entry point of a forked client process. */
function runAsWorkerProcess(): void {
  let worker: LoadWorker | null = null;
  const reply = (message: FromWorker, then?: () => void) => process.send!(message, undefined, {}, then);
  process.on('message', (message: ToWorker) => {
    void (async () => {
      try {
        switch (message.type) {
          case 'init':
            worker = new LoadWorker(message.config, message.workerIndex);
            await worker.init();
            reply({ type: 'ready' });
            return;
          case 'go':
            worker!.go();
            return;
          case 'measure':
            worker!.measure();
            reply({ type: 'measuring' });
            return;
          case 'stop':
            // Disconnect only once the (possibly large) result has been handed over.
            reply({ type: 'result', result: await worker!.stop() }, () => process.disconnect());
            return;
        }
      } catch (error) {
        reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
}

// ---------------------------------------------------------------------------------------------
// The run

interface Options {
  op: 'create' | 'set';
  inflight: number;
  seconds: number;
  warmup: number;
  clients: number;
  processes: number;
  unary: boolean;
  keys: number;
  dataBytes: number;
  address: string | undefined;
  serverPid: number | undefined;
  snapCount: number;
  serverCpuProfDir: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      op: { type: 'string', default: 'create' },
      inflight: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      clients: { type: 'string', default: '1' },
      processes: { type: 'string', default: '0' },
      unary: { type: 'boolean', default: false },
      keys: { type: 'string', default: '16' },
      'data-bytes': { type: 'string', default: '100' },
      address: { type: 'string' },
      'server-pid': { type: 'string' },
      'snap-count': { type: 'string', default: '100000' },
      'server-cpu-prof': { type: 'string' },
    },
    strict: true,
  });
  const positive = (name: string, value: string, min = 1) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${value}`);
    return parsed;
  };
  if (values.op !== 'create' && values.op !== 'set') throw new Error(`--op must be create or set, not ${values.op}`);
  return {
    op: values.op,
    inflight: positive('inflight', values.inflight!),
    seconds: positive('seconds', values.seconds!),
    warmup: positive('warmup', values.warmup!, 0),
    clients: positive('clients', values.clients!),
    processes: positive('processes', values.processes!, 0),
    unary: values.unary!,
    keys: positive('keys', values.keys!),
    dataBytes: positive('data-bytes', values['data-bytes']!, 0),
    address: values.address,
    serverPid: values['server-pid'] === undefined ? undefined : positive('server-pid', values['server-pid']),
    snapCount: positive('snap-count', values['snap-count']!, 2),
    serverCpuProfDir: values['server-cpu-prof'],
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  let server: BenchServer | null = null;
  let address = options.address;
  let serverPid = options.serverPid;
  const handles: WorkerHandle[] = [];
  try {
    if (address === undefined) {
      const nodeArgs = options.serverCpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.serverCpuProfDir}`];
      server = await startBenchServer({ config: { snapCount: options.snapCount }, nodeArgs, startTimeoutMs: 60_000 });
      address = server.grpcAddress;
      serverPid = server.pid;
    }
    const root = `/bench-${process.pid}-${Date.now()}`;
    const setup = new CairnUnaryClient(address);
    await setup.create(root, null);
    const hotKeys: string[] = [];
    if (options.op === 'set') {
      for (let k = 0; k < options.keys; k++) {
        hotKeys.push(`${root}/hot-${k}`);
        await setup.create(hotKeys[k]!, Buffer.alloc(options.dataBytes));
      }
    }
    setup.close();
    const config: LoadConfig = { address, op: options.op, inflight: options.inflight, clients: options.clients, unary: options.unary, dataBytes: options.dataBytes, root, hotKeys };

    if (options.processes === 0) {
      const worker = new LoadWorker(config, 0);
      await worker.init();
      handles.push(inProcessWorker(worker));
    } else {
      handles.push(...(await Promise.all(Array.from({ length: options.processes }, (_, index) => forkWorker(config, index)))));
    }

    for (const handle of handles) handle.go();
    await delay(options.warmup * 1000);
    await Promise.all(handles.map((handle) => handle.measure()));
    const before = serverPid === undefined ? null : processStats(serverPid);
    const startedMs = performance.now();
    await delay(options.seconds * 1000);
    const after = serverPid === undefined ? null : processStats(serverPid);
    const elapsedMs = performance.now() - startedMs;
    const results = await Promise.all(handles.map((handle) => handle.stop()));

    const samples = new Samples();
    let completed = 0;
    const errors: Record<string, number> = {};
    for (const result of results) {
      samples.addAll(result.samples);
      completed += result.completed;
      for (const [name, count] of Object.entries(result.errors)) errors[name] = (errors[name] ?? 0) + count;
    }
    const windowMs = Math.max(elapsedMs, ...results.map((result) => result.windowMs));
    const latency = summarize(samples.toArray());
    const serverCpuSeconds = before !== null && after !== null ? after.cpuSeconds - before.cpuSeconds : null;
    const report = {
      bench: 'grpc-load',
      transport: options.unary ? 'unary' : 'session',
      op: options.op,
      inflightPerClient: options.inflight,
      clientsPerProcess: options.clients,
      clientProcesses: options.processes,
      totalInflight: options.inflight * options.clients * Math.max(1, options.processes),
      dataBytes: options.dataBytes,
      hotKeys: options.op === 'set' ? options.keys : undefined,
      seconds: round(windowMs / 1000, 2),
      completed,
      opsPerSec: Math.round(completed / (windowMs / 1000)),
      errors,
      latency,
      clientElu: results.map((result) => round(result.elu, 3)),
      serverCpuSeconds: serverCpuSeconds === null ? null : round(serverCpuSeconds, 2),
      serverCpuPer1000Ops: serverCpuSeconds === null || completed === 0 ? null : round((serverCpuSeconds / completed) * 1000, 4),
      serverCpuUtilization: serverCpuSeconds === null ? null : round(serverCpuSeconds / (elapsedMs / 1000), 3),
      serverPeakRssMiB: after === null ? null : mib(after.peakRssBytes),
      node: process.version,
      cpus: cpus().length,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.stdout.write(
      `${table([
        ['transport / op', `${report.transport} ${report.op}`],
        ['in flight', `${report.totalInflight} (${options.inflight} × ${options.clients} clients × ${Math.max(1, options.processes)} processes)`],
        ['measured', `${report.seconds} s after ${options.warmup} s warm-up`],
        ['ops/s', report.opsPerSec],
        ['latency ms p50/p90/p99', `${latency.p50Ms} / ${latency.p90Ms} / ${latency.p99Ms}`],
        ['latency ms p999/max', `${latency.p999Ms} / ${latency.maxMs}`],
        ['errors', Object.keys(errors).length === 0 ? 0 : JSON.stringify(errors)],
        ['client event-loop util.', report.clientElu.join(', ')],
        ['server CPU s / 1000 ops', report.serverCpuPer1000Ops ?? 'n/a'],
        ['server CPU utilization', report.serverCpuUtilization ?? 'n/a'],
        ['server peak RSS MiB', report.serverPeakRssMiB ?? 'n/a'],
      ])}\n`,
    );
  } finally {
    for (const handle of handles) handle.close();
    if (server !== null) {
      await server.stop('SIGTERM');
      await removeDir(server.dataDir);
    }
  }
}

// A reader that goes away (`| head`) must not kill the run before it stops its server.
process.stdout.on('error', () => undefined);

if (process.argv.includes('--worker')) {
  runAsWorkerProcess();
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`grpc-load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

