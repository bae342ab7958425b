// One load-generator process. The bench forks several (so that the client is not the ceiling),
// tells each what to run over IPC, starts them together and merges what they measured.
//
// Closed loop: each lane sends a request, waits for its reply, sends the next. Latency is send →
// reply (hrtime) of the requests that complete inside the measured window, which starts after the
// warm-up and lasts its duration, or longer until it holds the completions the bench asked for.
// REST lanes are autocannon connections; the others are lanes over Driver connections.

import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { cpuSample, cpuSecondsBetween, type CpuSample } from '../lib.js';
import { DriverError, errorCode, type Driver } from './driver.js';
import { driverFactory } from './drivers.js';
import { encodeSamples, type FromWorker, type Protocol, type ToWorker, type WorkerResult, type WorkerSpec } from './protocol.js';

/** What every lane records; counting starts when the window opens. */
class Recorder {
  measuring = false;
  ops = 0;
  /** Completions in the window of requests sent in the window. */
  private sentInWindowOps = 0;
  errors: Record<string, number> = {};
  firstError: string | undefined;
  private samples = new Float32Array(1 << 15);
  private count = 0;
  private windowStart = 0;
  private windowEnd = 0;
  private eluStart = performance.eventLoopUtilization();
  /** Fail-over runs: every completion, ms since the run began, with its latency (ms); errors too. */
  readonly timeline: { okAtMs: number[]; okLatencyMs: number[]; errorAtMs: number[] } | undefined;

  private runStart = performance.now();
  private waiters: Array<{ count: number; done: () => void }> = [];

  constructor(timeline: boolean) {
    this.timeline = timeline ? { okAtMs: [], okLatencyMs: [], errorAtMs: [] } : undefined;
  }

  /** The load starts: timeline times count from here. Returns the wall-clock time of it. */
  begin(): number {
    this.runStart = performance.now();
    return performance.timeOrigin + this.runStart;
  }

  open(): void {
    this.measuring = true;
    this.windowStart = performance.now();
    this.eluStart = performance.eventLoopUtilization();
  }

  /**
   * Resolves once the window holds `count` completions of requests sent after it opened: those
   * the servers must have handled inside it (a reply that arrives in the window may have been
   * sent before it, by a server that has not run since).
   */
  reached(count: number): Promise<void> {
    if (this.sentInWindowOps >= count) return Promise.resolve();
    return new Promise((done) => this.waiters.push({ count, done }));
  }

  close(): { windowMs: number; elu: number } {
    this.measuring = false;
    this.windowEnd = performance.now();
    return { windowMs: this.windowEnd - this.windowStart, elu: performance.eventLoopUtilization(this.eluStart).utilization };
  }

  ok(latencyMs: number): void {
    if (this.timeline !== undefined) {
      this.timeline.okAtMs.push(performance.now() - this.runStart);
      this.timeline.okLatencyMs.push(latencyMs);
    }
    if (!this.measuring) return;
    this.ops++;
    if (performance.now() - latencyMs >= this.windowStart) {
      this.sentInWindowOps++;
      if (this.waiters.length > 0) this.wake();
    }
    if (this.count === this.samples.length) {
      const grown = new Float32Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = latencyMs * 1000;
  }

  failed(code: string, message: string): void {
    this.timeline?.errorAtMs.push(performance.now() - this.runStart);
    if (!this.measuring) return;
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.firstError ??= `${code}: ${message}`.slice(0, 300);
  }

  private wake(): void {
    const ready = this.waiters.filter((waiter) => this.sentInWindowOps >= waiter.count);
    this.waiters = this.waiters.filter((waiter) => this.sentInWindowOps < waiter.count);
    for (const waiter of ready) waiter.done();
  }

  sampleBytes(): string {
    return encodeSamples(this.samples.subarray(0, this.count));
  }
}

/** Which operation a lane sends next and on which key. */
class KeyChooser {
  private created = 0;
  private state: number;

  constructor(
    private readonly spec: WorkerSpec,
    seed: number,
  ) {
    this.state = (seed * 2654435761) >>> 0 || 1;
  }

  /** xorshift32: cheap, and the same sequence for the same spec everywhere. */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }

  /** False once `maxOps` creates were handed out. */
  get more(): boolean {
    return this.spec.maxOps === undefined || this.created < this.spec.maxOps;
  }

  next(): { op: 'create' | 'write' | 'read'; key: string } {
    const { spec } = this;
    switch (spec.workload) {
      case 'create': {
        const n = this.created++;
        return { op: 'create', key: spec.fanout === undefined ? `${spec.prefix}/n${n}` : `${spec.prefix}/p${n % spec.fanout}/w${spec.workerIndex}n${n}` };
      }
      case 'overwrite':
        return { op: 'write', key: spec.hotKeys[Math.floor(this.random() * spec.hotKeys.length)]! };
      case 'read':
        return { op: 'read', key: spec.readKeys[Math.floor(this.random() * spec.readKeys.length)]! };
      case 'mix':
        return this.random() < 0.9
          ? { op: 'read', key: spec.readKeys[Math.floor(this.random() * spec.readKeys.length)]! }
          : { op: 'write', key: spec.hotKeys[Math.floor(this.random() * spec.hotKeys.length)]! };
    }
  }
}

interface Connection {
  driver: Driver;
  endpointIndex: number;
  /** A replacement being opened (fail-over runs), shared by the connection's lanes. */
  reopening: Promise<void> | undefined;
  /** Calls in a row that timed out; past a few the connection is abandoned (fail-over runs). */
  timeouts: number;
  abandoned: boolean;
}

class DriverLoad {
  private connections: Connection[] = [];
  private running = false;
  private lanes: Promise<void>[] = [];
  private readonly value: Buffer;
  private readonly chooser: KeyChooser;

  constructor(
    private readonly spec: WorkerSpec,
    private readonly recorder: Recorder,
  ) {
    this.value = Buffer.alloc(spec.valueBytes, 0x61 + (spec.workerIndex % 26));
    this.chooser = new KeyChooser(spec, spec.workerIndex + 1);
  }

  async init(): Promise<void> {
    const factory = await driverFactory(this.spec.protocol as Exclude<Protocol, 'rest'>);
    for (const endpointIndex of this.spec.connections) {
      const driver = await factory(this.spec.endpoints[endpointIndex]!);
      this.connections.push({ driver, endpointIndex, reopening: undefined, timeouts: 0, abandoned: false });
    }
  }

  start(): Promise<unknown> {
    this.running = true;
    this.spec.lanesPerConnection.forEach((lanes, index) => {
      for (let lane = 0; lane < lanes; lane++) this.lanes.push(this.lane(this.connections[index]!));
    });
    return Promise.all(this.lanes);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.lanes);
    await Promise.all(this.connections.map((connection) => connection.driver.close().catch(() => undefined)));
  }

  private async lane(connection: Connection): Promise<void> {
    const { recorder, value, chooser } = this;
    while (this.running && chooser.more) {
      if (connection.driver.broken || connection.abandoned) {
        if (!this.spec.reconnect) return;
        await this.reopen(connection);
        continue;
      }
      const { op, key } = chooser.next();
      const started = performance.now();
      try {
        const call = op === 'create' ? connection.driver.create(key, value) : op === 'write' ? connection.driver.write(key, value) : connection.driver.read(key);
        await (this.spec.callTimeoutMs === undefined ? call : this.bounded(call, connection));
        connection.timeouts = 0;
        recorder.ok(performance.now() - started);
      } catch (error) {
        recorder.failed(errorCode(error), error instanceof Error ? error.message : String(error));
        // A dead connection fails every call at once: don't spin on it.
        if (connection.driver.broken && !this.spec.reconnect) return;
      }
    }
  }

  /**
   * Fail-over: a call that takes longer than callTimeoutMs fails with 'timeout' and the lane goes
   * on (the call is abandoned, as a client's deadline would); a connection whose calls keep timing
   * out is given up for the next endpoint.
   */
  private bounded(call: Promise<void>, connection: Connection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (++connection.timeouts >= 3) connection.abandoned = true;
        reject(new DriverError('timeout', `no answer within ${this.spec.callTimeoutMs} ms`));
      }, this.spec.callTimeoutMs);
    });
    call.catch(() => undefined);
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }

  /** Fail-over: the next endpoint, retried until one accepts or the run ends. */
  private reopen(connection: Connection): Promise<void> {
    connection.reopening ??= (async () => {
      void connection.driver.close().catch(() => undefined);
      const factory = await driverFactory(this.spec.protocol as Exclude<Protocol, 'rest'>);
      while (this.running) {
        connection.endpointIndex = (connection.endpointIndex + 1) % this.spec.endpoints.length;
        try {
          connection.driver = await factory(this.spec.endpoints[connection.endpointIndex]!);
          connection.timeouts = 0;
          connection.abandoned = false;
          return;
        } catch (error) {
          this.recorder.failed(errorCode(error), error instanceof Error ? error.message : String(error));
          await new Promise((done) => setTimeout(done, 50));
        }
      }
    })().finally(() => {
      connection.reopening = undefined;
    });
    return connection.reopening;
  }
}

/** REST lanes: autocannon connections (HTTP/1.1, one request in flight each). */
class RestLoad {
  private instances: autocannon.Instance[] = [];
  private finished: Promise<unknown>[] = [];

  constructor(
    private readonly spec: WorkerSpec,
    private readonly recorder: Recorder,
  ) {}

  async init(): Promise<void> {
    // Nothing to open ahead: autocannon connects when it starts (inside the warm-up).
  }

  start(): Promise<unknown> {
    const { spec, recorder } = this;
    const byEndpoint = new Map<number, number>();
    spec.connections.forEach((endpointIndex, index) => byEndpoint.set(endpointIndex, (byEndpoint.get(endpointIndex) ?? 0) + spec.lanesPerConnection[index]!));
    const chooser = new KeyChooser(spec, spec.workerIndex + 1);
    const body = Buffer.alloc(spec.valueBytes, 0x61 + (spec.workerIndex % 26));
    const valueB64 = body.toString('base64');
    const b64 = (key: string) => Buffer.from(key).toString('base64');
    // A fresh headers object and an explicit body on every request: autocannon adds Content-Length
    // to the headers it is given and would send a GET with the previous PUT's length.
    const json = { 'content-type': 'application/json' };
    const binary = { 'content-type': 'application/octet-stream' };
    const request =
      spec.restFlavor === 'etcd'
        ? (): autocannon.Request => {
            const { op, key } = chooser.next();
            return op === 'read'
              ? { method: 'POST', path: '/v3/kv/range', headers: { ...json }, body: `{"key":"${b64(key)}"}` }
              : { method: 'POST', path: '/v3/kv/put', headers: { ...json }, body: `{"key":"${b64(key)}","value":"${valueB64}"}` };
          }
        : (): autocannon.Request => {
            const { op, key } = chooser.next();
            if (op === 'read') return { method: 'GET', path: `/v1/znodes${key}`, headers: {}, body: undefined as unknown as string };
            return { method: op === 'create' ? 'POST' : 'PUT', path: `/v1/znodes${key}`, headers: { ...binary }, body };
          };
    for (const [endpointIndex, connections] of byEndpoint) {
      let done!: () => void;
      this.finished.push(new Promise<void>((resolveDone) => (done = resolveDone)));
      const instance = autocannon(
        {
          url: spec.endpoints[endpointIndex]!,
          connections,
          duration: 3600,
          requests: [{ setupRequest: (previous) => ({ ...previous, ...request() }) }],
        },
        () => done(),
      );
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        if (statusCode >= 200 && statusCode < 300) recorder.ok(responseTime);
        else recorder.failed(`HTTP ${statusCode}`, `status ${statusCode}`);
      });
      instance.on('reqError', (error: Error) => recorder.failed(errorCode(error), error.message));
      this.instances.push(instance);
    }
    // Autocannon runs until stopped.
    return new Promise(() => undefined);
  }

  async stop(): Promise<void> {
    for (const instance of this.instances) instance.stop();
    await Promise.all(this.finished);
  }
}

/** How long past its duration a window may wait for its minimum of completions. */
const MAX_WINDOW_EXTENSION_MS = 60_000;

/** Resolves when `promise` settles or after `ms`, whichever comes first; the timer does not linger. */
async function raceTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.then(() => undefined), new Promise<void>((done) => (timer = setTimeout(done, ms)))]).finally(() => clearTimeout(timer));
}

async function run(spec: WorkerSpec, send: (message: FromWorker) => void, receive: () => Promise<ToWorker>): Promise<void> {
  const recorder = new Recorder(spec.timeline);
  const load = spec.protocol === 'rest' ? new RestLoad(spec, recorder) : new DriverLoad(spec, recorder);
  await load.init();
  send({ type: 'ready' });
  const go = await receive();
  if (go.type !== 'start') throw new Error(`expected start, got ${go.type}`);
  const startedAtMs = recorder.begin();
  // The servers' CPU time is read here, at the window's own edges: a request sent after the
  // opening read and answered before the closing one was handled between the two.
  let serverCpuAtOpen: Array<CpuSample | null> = [];
  const open = () => {
    serverCpuAtOpen = go.serverPids.map((pid) => cpuSample(pid));
    recorder.open();
  };
  // Without a warm-up every completion counts, the first ones included.
  if (go.warmupMs === 0) open();
  // A load with a fixed number of operations (maxOps) may end before its time is up.
  const finished = load.start();
  if (go.warmupMs > 0) {
    await raceTimeout(finished, go.warmupMs);
    open();
  }
  await raceTimeout(finished, go.durationMs);
  // On a busy machine a single reply can take longer than a short window: a window that closed
  // on time could hold no completion at all and measure nothing. It stays open until it holds
  // what was asked for; past MAX_WINDOW_EXTENSION_MS it closes with what it has, which the
  // results then show.
  await raceTimeout(Promise.race([recorder.reached(go.minOps), finished]), MAX_WINDOW_EXTENSION_MS);
  const { windowMs, elu } = recorder.close();
  const serverCpuSeconds = go.serverPids.map((pid, index) => cpuSecondsBetween(serverCpuAtOpen[index] ?? null, cpuSample(pid)));
  await load.stop();
  const result: WorkerResult = {
    ops: recorder.ops,
    errors: recorder.errors,
    ...(recorder.firstError === undefined ? {} : { firstError: recorder.firstError }),
    samples: recorder.sampleBytes(),
    windowMs,
    elu,
    serverCpuSeconds,
    startedAtMs,
    ...(recorder.timeline === undefined ? {} : { timeline: recorder.timeline }),
  };
  send({ type: 'result', result });
}

if (process.send !== undefined) {
  const inbox: ToWorker[] = [];
  let waiting: ((message: ToWorker) => void) | undefined;
  process.on('message', (message: ToWorker) => {
    if (waiting !== undefined) {
      const deliver = waiting;
      waiting = undefined;
      deliver(message);
    } else inbox.push(message);
  });
  const receive = () => new Promise<ToWorker>((done) => (inbox.length > 0 ? done(inbox.shift()!) : (waiting = done)));
  const send = (message: FromWorker) => process.send!(message);
  void (async () => {
    // One process serves cell after cell until told to exit: forking per cell costs more than a short cell.
    for (;;) {
      const message = await receive();
      if (message.type === 'exit') return;
      if (message.type !== 'init') throw new Error(`expected init, got ${message.type}`);
      try {
        await run(message.spec, send, receive);
      } catch (error) {
        send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    }
  })()
    .catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
    .finally(() => process.disconnect());
}
