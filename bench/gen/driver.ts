// What a load generator drives: one connection's worth of a system's client, seen only through the
// three operations every workload is made of. Keys are slash-separated paths ('/bench/r1/k17'):
// znodes on Cairn and ZooKeeper, plain keys on etcd.
//
// Calls overlap: a lane awaits its own call only, so a driver must keep many calls outstanding on
// one connection (pipelined jute, multiplexed HTTP/2, a session stream).

export interface Driver {
  /** Makes `prefix` a place where keys can be created (parent znodes; nothing on etcd). Idempotent. */
  prepare(prefix: string): Promise<void>;
  /** Creates a key that does not exist yet with `value` (a persistent znode / a put of a new key). */
  create(key: string, value: Uint8Array): Promise<void>;
  /** Overwrites an existing key unconditionally (setData with version -1 / a put). */
  write(key: string, value: Uint8Array): Promise<void>;
  /** Reads a key with the system's default read (ZooKeeper-style local read / etcd linearizable range). */
  read(key: string): Promise<void>;
  /** True once the connection is known to be dead: every call fails at once, open a new driver. */
  readonly broken: boolean;
  close(): Promise<void>;
}

/** A failed call; `code` is short and stable so that errors can be tallied ('NodeExists', 'UNAVAILABLE', 'closed'). */
export class DriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DriverError';
  }
}

export function errorCode(error: unknown): string {
  if (error instanceof DriverError) return error.code;
  if (error instanceof Error && 'code' in error && (typeof error.code === 'string' || typeof error.code === 'number')) return String(error.code);
  return error instanceof Error ? error.name : 'unknown';
}

export type DriverFactory = (endpoint: string) => Promise<Driver>;
