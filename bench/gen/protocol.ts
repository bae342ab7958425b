// The messages between the bench and its load-generator processes (IPC, structured-clone JSON).

export type Protocol = 'jute' | 'cairn-stream' | 'cairn-unary' | 'etcd-grpc' | 'rest';
export type Workload = 'create' | 'overwrite' | 'read' | 'mix';

export interface WorkerSpec {
  protocol: Protocol;
  /** REST only: which API the requests are shaped for. */
  restFlavor?: 'cairn' | 'etcd';
  workerIndex: number;
  /** Every server's address for this protocol ('host:port', or a base URL for REST). */
  endpoints: string[];
  /** One entry per connection this worker opens: the index of its endpoint. */
  connections: number[];
  /** Requests in flight on each connection (same length as `connections`). */
  lanesPerConnection: number[];
  workload: Workload;
  /** Parent of the keys this worker creates (create workload): `${prefix}/n<i>`. */
  prefix: string;
  /** Keys the overwrite and mix workloads write. */
  hotKeys: string[];
  /** Existing keys the read and mix workloads read. */
  readKeys: string[];
  valueBytes: number;
  /** Record every completion's time (fail-over runs). */
  timeline: boolean;
  /** Replace a dead connection by one to the next endpoint (fail-over runs). */
  reconnect: boolean;
  /** Give up on a call after this long and go on (fail-over runs: a client's deadline). */
  callTimeoutMs?: number;
  /** Stop after this many creates (the scale load); the run otherwise lasts its duration. */
  maxOps?: number;
  /** Spread creates over `${prefix}/p<n % fanout>` parents (which must exist). */
  fanout?: number;
}

export interface WorkerResult {
  ops: number;
  errors: Record<string, number>;
  firstError?: string;
  /** Latencies in microseconds, Float32 little-endian, base64. */
  samples: string;
  windowMs: number;
  /** Event-loop utilisation over the window (1 = the generator itself was the ceiling). */
  elu: number;
  /** CPU seconds each server (StartWorker.serverPids) used over the window; NaN where unknown. */
  serverCpuSeconds: number[];
  /** Wall-clock time (ms, fractional) the load started; timeline times count from it. */
  startedAtMs: number;
  timeline?: { okAtMs: number[]; okLatencyMs: number[]; errorAtMs: number[] };
}

/**
 * `start`: the measured window opens after `warmupMs` and closes once `durationMs` has passed and
 * it holds at least `minOps` completions of requests sent inside it (0: at `durationMs`), or when
 * the load ends by itself.
 */
export interface StartWorker {
  type: 'start';
  warmupMs: number;
  durationMs: number;
  minOps: number;
  /** The servers whose CPU time the worker reads when its window opens and closes. */
  serverPids: number[];
}

export type ToWorker = { type: 'init'; spec: WorkerSpec } | StartWorker | { type: 'exit' };
export type FromWorker = { type: 'ready' } | { type: 'result'; result: WorkerResult } | { type: 'failed'; message: string };

export function encodeSamples(samples: Float32Array): string {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64');
}

export function decodeSamples(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer, 0, copy.length / 4);
}
