// node-zookeeper-client (the npm package, a stock pure-JavaScript ZooKeeper client) behind a
// small promise interface for tests. The package ships no types; the shapes used are declared here.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface NzcStat {
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: Buffer;
  dataLength: number;
  numChildren: number;
}

export interface NzcEvent {
  type: number;
  name: string;
  path: string;
  getType(): number;
  getName(): string;
  getPath(): string;
}

export interface NzcAcl {
  permission: number;
  id: { scheme: string; id: string };
}

interface RawTransaction {
  create(path: string, data?: Buffer | null, acls?: unknown[], mode?: number): RawTransaction;
  setData(path: string, data: Buffer | null, version?: number): RawTransaction;
  check(path: string, version?: number): RawTransaction;
  remove(path: string, version?: number): RawTransaction;
  commit(callback: (error: NzcError | null, results: { type: number; path?: string; stat?: NzcStat; err?: number }[]) => void): void;
}

export interface NzcError extends Error {
  code: number;
  getCode(): number;
}

interface RawClient {
  connect(): void;
  close(): void;
  once(event: string, listener: (...args: unknown[]) => void): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  getState(): { name: string; code: number };
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, data: Buffer | null, acls: unknown[], mode: number, callback: (error: NzcError | null, path: string) => void): void;
  remove(path: string, version: number, callback: (error: NzcError | null) => void): void;
  setData(path: string, data: Buffer | null, version: number, callback: (error: NzcError | null, stat: NzcStat) => void): void;
  getData(path: string, watcher: ((event: NzcEvent) => void) | undefined, callback: (error: NzcError | null, data: Buffer | null, stat: NzcStat) => void): void;
  exists(path: string, watcher: ((event: NzcEvent) => void) | undefined, callback: (error: NzcError | null, stat: NzcStat | null) => void): void;
  getChildren(path: string, watcher: ((event: NzcEvent) => void) | undefined, callback: (error: NzcError | null, children: string[], stat: NzcStat) => void): void;
  getACL(path: string, callback: (error: NzcError | null, acls: NzcAcl[], stat: NzcStat) => void): void;
  setACL(path: string, acls: unknown[], version: number, callback: (error: NzcError | null, stat: NzcStat) => void): void;
  transaction(): RawTransaction;
}

interface Library {
  createClient(connectionString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number; sessionId?: Buffer; sessionPassword?: Buffer }): RawClient;
  ACL: new (permission: number, id: unknown) => unknown;
  Id: new (scheme: string, id: string) => unknown;
  Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  CreateMode: { PERSISTENT: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL: number; EPHEMERAL_SEQUENTIAL: number };
  Exception: Record<string, number>;
}

export const zookeeper = require('node-zookeeper-client') as Library;

export const OPEN_ACL = [new zookeeper.ACL(31, new zookeeper.Id('world', 'anyone'))];

export function acl(entries: [number, string, string][]): unknown[] {
  return entries.map(([perms, scheme, id]) => new zookeeper.ACL(perms, new zookeeper.Id(scheme, id)));
}

/** A connected client; every call returns a promise and rejects with the client's error. */
export class NzcClient {
  readonly events: string[] = [];
  readonly states: string[] = [];

  private constructor(readonly raw: RawClient) {
    raw.on('state', (state) => this.states.push((state as { name: string }).name));
  }

  static async connect(connectionString: string, options: { sessionTimeout?: number; timeoutMs?: number; sessionId?: Buffer; sessionPassword?: Buffer } = {}): Promise<NzcClient> {
    const raw = zookeeper.createClient(connectionString, { sessionTimeout: options.sessionTimeout ?? 10_000, spinDelay: 100, retries: 1, sessionId: options.sessionId, sessionPassword: options.sessionPassword });
    const client = new NzcClient(raw);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        raw.close();
        reject(new Error(`node-zookeeper-client did not connect to ${connectionString}`));
      }, options.timeoutMs ?? 15_000);
      raw.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      raw.connect();
    });
    return client;
  }

  /** A watcher that appends "Type:path" to `events`. */
  watcher(): (event: NzcEvent) => void {
    return (event) => this.events.push(`${event.getName()}:${event.getPath()}`);
  }

  create(path: string, data: Buffer | null = null, mode = 0, acls: unknown[] = OPEN_ACL): Promise<string> {
    return new Promise((resolve, reject) => this.raw.create(path, data, acls, mode, (error, created) => (error ? reject(error) : resolve(created))));
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.raw.remove(path, version, (error) => (error ? reject(error) : resolve())));
  }

  setData(path: string, data: Buffer | null, version = -1): Promise<NzcStat> {
    return new Promise((resolve, reject) => this.raw.setData(path, data, version, (error, stat) => (error ? reject(error) : resolve(stat))));
  }

  getData(path: string, watch = false): Promise<{ data: Buffer | null; stat: NzcStat }> {
    return new Promise((resolve, reject) =>
      this.raw.getData(path, watch ? this.watcher() : undefined, (error, data, stat) => (error ? reject(error) : resolve({ data, stat }))),
    );
  }

  exists(path: string, watch = false): Promise<NzcStat | null> {
    return new Promise((resolve, reject) => this.raw.exists(path, watch ? this.watcher() : undefined, (error, stat) => (error ? reject(error) : resolve(stat))));
  }

  getChildren(path: string, watch = false): Promise<{ children: string[]; stat: NzcStat }> {
    return new Promise((resolve, reject) =>
      this.raw.getChildren(path, watch ? this.watcher() : undefined, (error, children, stat) => (error ? reject(error) : resolve({ children, stat }))),
    );
  }

  getACL(path: string): Promise<{ acls: NzcAcl[]; stat: NzcStat }> {
    return new Promise((resolve, reject) => this.raw.getACL(path, (error, acls, stat) => (error ? reject(error) : resolve({ acls, stat }))));
  }

  setACL(path: string, acls: unknown[], version = -1): Promise<NzcStat> {
    return new Promise((resolve, reject) => this.raw.setACL(path, acls, version, (error, stat) => (error ? reject(error) : resolve(stat))));
  }

  /** ops: ['create', path, data?, mode?] | ['setData', path, data, version] | ['check', path, version] | ['remove', path, version] */
  multi(ops: (['create', string, Buffer | null, number] | ['setData', string, Buffer | null, number] | ['check', string, number] | ['remove', string, number])[]): Promise<{ type: number; path?: string; err?: number }[]> {
    const transaction = this.raw.transaction();
    for (const op of ops) {
      if (op[0] === 'create') transaction.create(op[1], op[2], OPEN_ACL, op[3]);
      else if (op[0] === 'setData') transaction.setData(op[1], op[2], op[3]);
      else if (op[0] === 'check') transaction.check(op[1], op[2]);
      else transaction.remove(op[1], op[2]);
    }
    return new Promise((resolve, reject) =>
      transaction.commit((error, results) => {
        if (error) {
          (error as NzcError & { results?: unknown }).results = results;
          reject(error);
        } else resolve(results.map((result) => ({ type: result.type, path: result.path, err: result.err })));
      }),
    );
  }

  addAuth(scheme: string, credentials: string): void {
    this.raw.addAuthInfo(scheme, Buffer.from(credentials));
  }

  get sessionId(): Buffer {
    return this.raw.getSessionId();
  }

  get sessionPassword(): Buffer {
    return this.raw.getSessionPassword();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.raw.getState().name === 'DISCONNECTED' || this.raw.getState().name === 'EXPIRED') {
        this.raw.close();
        resolve();
        return;
      }
      const timer = setTimeout(resolve, 3000);
      this.raw.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
      this.raw.close();
    });
  }
}

/** The ZooKeeper error name of a rejection (e.g. "NODE_EXISTS"), or "ok". */
export async function outcome<T>(promise: Promise<T>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as NzcError).name ?? String(error);
  }
}
