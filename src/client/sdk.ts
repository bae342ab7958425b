// Cairn's client SDK: one ZooKeeper session that outlives its connections. It connects to one of
// the servers given, and when the connection breaks it resumes the same session on the next one
// (id, password and last zxid seen, as ZooKeeper's client does), sends its identities and watches
// again, and reports each change of the connection as Curator's ConnectionState does:
//
//   CONNECTED    the first session is open
//   SUSPENDED    the connection broke; the session may still live (its ephemerals stay)
//   RECONNECTED  the same session resumed, or (after LOST) a new one opened
//   LOST         the session is gone: expired on the server, or suspended longer than its timeout
//   CLOSED       close() was called
//
// Operations wait for a connection (up to connectionTimeoutMs) and are retried under the retry
// policy when the connection fails them (retry.ts says which failures). Watches are one-shot
// (OneShotWatch, from getData/exists/getChildren with `watch: true`) or persistent (watch()), and
// both are async iterables. A session that is LOST fails every watch with SessionExpired.
//
// The transport is injected (pipe.ts): gRPC in Node, a WebSocket in browsers; node.ts and
// browser.ts choose.

import { isKeeperError, KeeperError, keeperError, type ErrorName } from '../core/errors.js';
import {
  AddWatchMode,
  CreateMode,
  WatcherType,
  type MultiOp,
  type MultiResult,
  type Request,
  type Response,
  type Stat,
  type WatchEvent,
} from '../core/types.js';
import { errorByCode } from '../core/errors.js';
import { defaultAcl, toData, type CreateOptions, type DataInput } from './data.js';
import { unref } from './emitter.js';
import { Operations } from './operations.js';
import type { PipeFactory } from './pipe.js';
import { ExponentialBackoffRetry, withRetries, type RetryPolicy } from './retry.js';
import { SessionConnection as Connection, type SessionEnd } from './connection.js';
import { ClientWatches, OneShotWatch, PersistentWatch, type OneShotKind } from './watches.js';

export type ConnectionState = 'CONNECTED' | 'SUSPENDED' | 'RECONNECTED' | 'LOST' | 'CLOSED';

export interface Credentials {
  scheme: string;
  /** For digest: "user:password". */
  credentials: string | Uint8Array;
}

export interface CairnOptions {
  /** Servers to use, in any order (a list, or one comma-separated string). */
  servers: string[] | string;
  /** Requested session timeout; the server negotiates it. Default 30 s. */
  sessionTimeoutMs?: number;
  /** How long an operation (or connect) waits for a connection before it fails with ConnectionLoss. Default 15 s. */
  connectionTimeoutMs?: number;
  /** Retries of operations failed by the connection. Default: exponential backoff from 100 ms, 5 retries, 5 s cap. */
  retryPolicy?: RetryPolicy;
  /** Identities to add on every connection (ZooKeeper addAuth, Curator's authorization()). */
  auth?: Credentials[];
  /** Shuffles the servers (ZooKeeper's clients do, so that clients spread); Math.random by default. */
  random?: () => number;
}

/** A failed multi: the failing op's error, with every op's result (ZooKeeper's KeeperException.getResults()). */
export class TransactionError extends KeeperError {
  constructor(
    name: ErrorName,
    detail: string,
    path: string | undefined,
    /** Per op: Ok (0) before the failing op, its code, RuntimeInconsistency (-2) after. */
    readonly results: MultiResult[],
    /** Which op failed. */
    readonly failedIndex: number,
  ) {
    super(name, detail, path);
  }
}

export interface CairnEvents {
  /** The connection state changed. */
  state: [ConnectionState];
  /** Every watch event of the session, whichever watch it fired. */
  event: [WatchEvent];
}

/** Builders for multi's ops, with the SDK's defaults (open ACL, any version). */
export const op = {
  create(path: string, data: DataInput = null, options: CreateOptions = {}): MultiOp {
    const request: MultiOp = { op: 'create', path, data: toData(data), acl: defaultAcl(options.acl), mode: (options.mode ?? CreateMode.PERSISTENT) as CreateMode };
    if (options.ttl !== undefined) request.ttl = options.ttl;
    return request;
  },
  setData(path: string, data: DataInput, version = -1): MultiOp {
    return { op: 'setData', path, data: toData(data), version };
  },
  delete(path: string, version = -1): MultiOp {
    return { op: 'delete', path, version };
  },
  check(path: string, version = -1): MultiOp {
    return { op: 'check', path, version };
  },
};

const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 15_000;
/** The least time a connection attempt is given. */
const MIN_ATTEMPT_MS = 1_000;
/** Between two rounds over every server, as ZooKeeper's client waits up to a second. */
const MAX_ROUND_PAUSE_MS = 1_000;

export function parseServers(servers: string[] | string): string[] {
  const list = (typeof servers === 'string' ? servers.split(',') : servers).map((server) => server.trim()).filter((server) => server !== '');
  if (list.length === 0) throw new RangeError('at least one server is needed');
  return list;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

export class Cairn extends Operations<CairnEvents> {
  private readonly servers: string[];
  private nextServer = 0;
  private connection: Connection | null = null;
  private sessionId = 0;
  private password: Uint8Array = new Uint8Array(0);
  private negotiatedTimeoutMs = 0;
  private lastZxidSeen = 0;
  private currentState: ConnectionState | 'CONNECTING' = 'CONNECTING';
  private closed = false;
  private everConnected = false;
  private suspendedSinceMs: number | null = null;
  private lostTimer: ReturnType<typeof setTimeout> | undefined;
  private connecting: Promise<void> | null = null;
  private connectedWaiters: (() => void)[] = [];
  private readonly watches = new ClientWatches();
  private readonly auth: Credentials[];
  private readonly retryPolicy: RetryPolicy;
  private readonly sessionTimeoutMs: number;
  private readonly connectionTimeoutMs: number;

  private constructor(
    private readonly makePipe: (server: string) => PipeFactory,
    options: CairnOptions,
  ) {
    super();
    this.servers = shuffled(parseServers(options.servers), options.random ?? Math.random);
    this.auth = [...(options.auth ?? [])];
    this.retryPolicy = options.retryPolicy ?? new ExponentialBackoffRetry(100, 5, 5_000);
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.connectionTimeoutMs = options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  }

  /**
   * Opens a session over the pipes `makePipe` makes for each server; resolves once CONNECTED, or
   * rejects with ConnectionLoss after connectionTimeoutMs. (node.ts and browser.ts wrap this.)
   */
  static async connectWith(makePipe: (server: string) => PipeFactory, options: CairnOptions): Promise<Cairn> {
    const client = new Cairn(makePipe, options);
    client.ensureConnecting();
    try {
      await client.connected(client.connectionTimeoutMs);
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** The connection state now ('CONNECTING' before the first connection). */
  get state(): ConnectionState | 'CONNECTING' {
    return this.currentState;
  }

  /** The session's id (0 before the first connection). */
  get session(): { id: number; timeoutMs: number } {
    return { id: this.sessionId, timeoutMs: this.negotiatedTimeoutMs };
  }

  /** The highest zxid this client has seen. */
  get lastZxid(): number {
    return Math.max(this.lastZxidSeen, this.connection?.lastZxid ?? 0);
  }

  /** The server of the current connection, if any. */
  get server(): string | null {
    return this.connection === null ? null : (this.servers[(this.nextServer + this.servers.length - 1) % this.servers.length] ?? null);
  }

  // ------------------------------------------------------------------------------------------
  // Connecting

  private setState(state: ConnectionState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private ensureConnecting(): void {
    if (this.closed || this.connection !== null || this.connecting !== null) return;
    this.connecting = this.connectLoop().finally(() => (this.connecting = null));
  }

  private async connectLoop(): Promise<void> {
    let attemptsThisRound = 0;
    while (!this.closed) {
      const server = this.servers[this.nextServer]!;
      this.nextServer = (this.nextServer + 1) % this.servers.length;
      try {
        const connection = await Connection.over(this.makePipe(server), {
          timeoutMs: this.sessionTimeoutMs,
          sessionId: this.sessionId,
          password: this.password,
          lastZxidSeen: this.lastZxid,
          // As ZooKeeper's client: a server gets its share of the session timeout to answer, so
          // that a silent one (paused, or not serving yet) leaves time to try the others.
          connectTimeoutMs: Math.min(this.connectionTimeoutMs, Math.max(MIN_ATTEMPT_MS, Math.floor(this.sessionTimeoutMs / this.servers.length))),
        });
        if (this.closed) {
          connection.detach();
          return;
        }
        if (await this.adopt(connection)) return;
        // It broke while its session was being restored: an attempt that failed, like any other.
        throw keeperError('ConnectionLoss', undefined, `the connection to ${server} broke while the session was restored`);
      } catch (error) {
        if (isKeeperError(error) && error.codeName === 'SessionExpired' && this.sessionId !== 0) this.loseSession();
        if (++attemptsThisRound >= this.servers.length) {
          attemptsThisRound = 0;
          await new Promise((resolve) => unref(setTimeout(resolve, Math.floor(Math.random() * MAX_ROUND_PAUSE_MS))));
        }
      }
    }
  }

  /**
   * A connection is open: restore the session's identities and watches, then let requests through.
   * False when it broke meanwhile (this loop, still running, must go on: ensureConnecting would not
   * start another).
   */
  private async adopt(connection: Connection): Promise<boolean> {
    const resumed = this.sessionId !== 0 && connection.sessionId === this.sessionId;
    this.connection = connection;
    this.sessionId = connection.sessionId;
    this.password = connection.password;
    this.negotiatedTimeoutMs = connection.timeoutMs;
    connection.on('event', (event) => this.onEvent(event));
    connection.on('end', (end) => this.onConnectionEnd(connection, end));
    if (connection.ended !== undefined) {
      this.onConnectionEnd(connection, connection.ended);
      return false;
    }
    try {
      for (const { scheme, credentials } of this.auth) await connection.addAuth(scheme, credentials);
      // Watches go back only on a resumed session: a new one (after LOST) has none to restore.
      const setWatches = resumed ? this.watches.toSetWatches(this.lastZxid) : null;
      if (setWatches !== null) await connection.submit(setWatches);
    } catch {
      // The connection broke again while restoring (onConnectionEnd saw it), or a restore was refused.
      if (this.connection === connection) {
        this.connection = null;
        connection.detach();
      }
      return false;
    }
    if (this.connection !== connection) return false;
    this.clearSuspension();
    this.setState(this.everConnected ? 'RECONNECTED' : 'CONNECTED');
    this.everConnected = true;
    for (const waiter of this.connectedWaiters.splice(0)) waiter();
    return true;
  }

  private onConnectionEnd(connection: Connection, end: SessionEnd): void {
    if (this.connection !== connection) return;
    this.lastZxidSeen = Math.max(this.lastZxidSeen, connection.lastZxid);
    this.connection = null;
    if (this.closed) return;
    if (end.kind === 'closed' && (end.reason === 'expired' || end.reason === 'closed')) {
      // Expired, or closed by another client holding the session's password.
      this.loseSession();
    } else {
      this.suspend();
    }
    this.ensureConnecting();
  }

  private suspend(): void {
    if (this.suspendedSinceMs !== null) return;
    this.suspendedSinceMs = Date.now();
    this.setState('SUSPENDED');
    // The server expires a session it has not heard from for its timeout; after that long
    // suspended the session is as good as lost (Curator's simulated expiration).
    const timeoutMs = this.negotiatedTimeoutMs > 0 ? this.negotiatedTimeoutMs : this.sessionTimeoutMs;
    this.lostTimer = unref(setTimeout(() => this.loseSession(), timeoutMs));
  }

  private clearSuspension(): void {
    this.suspendedSinceMs = null;
    if (this.lostTimer !== undefined) clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
  }

  private loseSession(): void {
    if (this.sessionId === 0 && this.currentState === 'LOST') return;
    this.clearSuspension();
    this.sessionId = 0;
    this.password = new Uint8Array(0);
    this.watches.failAll(keeperError('SessionExpired', undefined, 'the session was lost'));
    if (this.everConnected) this.setState('LOST');
    if (this.connection !== null) {
      // Suspended past the timeout with a connection still restoring: start over with a new session.
      const stale = this.connection;
      this.connection = null;
      stale.detach();
    }
  }

  /** Resolves once connected, or rejects with ConnectionLoss after `timeoutMs`. */
  private connected(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(keeperError('ConnectionLoss', undefined, 'the client is closed'));
    if (this.connection !== null && (this.currentState === 'CONNECTED' || this.currentState === 'RECONNECTED')) return Promise.resolve();
    this.ensureConnecting();
    return new Promise((resolve, reject) => {
      const timer = unref(
        setTimeout(() => {
          this.connectedWaiters = this.connectedWaiters.filter((waiter) => waiter !== done);
          reject(keeperError('ConnectionLoss', undefined, `no connection to ${this.servers.join(',')} within ${timeoutMs} ms`));
        }, timeoutMs),
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.connectedWaiters.push(done);
    });
  }

  /** Waits for a given state (e.g. 'RECONNECTED' in a test); resolves at once if it is the state now. */
  waitForState(state: ConnectionState, timeoutMs = this.connectionTimeoutMs): Promise<void> {
    if (this.currentState === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = unref(
        setTimeout(() => {
          this.off('state', listener);
          reject(keeperError('OperationTimeout', undefined, `not ${state} within ${timeoutMs} ms (now ${this.currentState})`));
        }, timeoutMs),
      );
      const listener = (now: ConnectionState) => {
        if (now !== state) return;
        clearTimeout(timer);
        this.off('state', listener);
        resolve();
      };
      this.on('state', listener);
    });
  }

  private onEvent(event: WatchEvent): void {
    if (event.zxid > this.lastZxidSeen) this.lastZxidSeen = event.zxid;
    this.watches.dispatch(event);
    this.emit('event', event);
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  /** One attempt: on the connection, once there is one. */
  private async attempt(request: Request): Promise<Response> {
    await this.connected(this.connectionTimeoutMs);
    const connection = this.connection;
    if (connection === null) throw keeperError('ConnectionLoss', undefined, 'not connected');
    return connection.submit(request);
  }

  /** Any request, retried under the policy; resolves with its response or rejects with a KeeperError. */
  override async submit(request: Request, retry: RetryPolicy = this.retryPolicy): Promise<Response> {
    return withRetries(retry, () => this.attempt(request), undefined, () => this.closed);
  }

  /** Runs a request that sets a one-shot watch: the watch is in place before the request is sent. */
  private async watched<O extends Response['op']>(request: Request, op: O, kind: OneShotKind, path: string, keepOnFailure: (error: unknown) => boolean): Promise<{ response: Extract<Response, { op: O }>; watch: OneShotWatch }> {
    const watch = new OneShotWatch(kind, path);
    this.watches.addOneShot(watch);
    try {
      return { response: await this.expect(request, op), watch };
    } catch (error) {
      if (!keepOnFailure(error)) this.watches.removeOneShot(watch);
      throw error;
    }
  }

  /** `options.retry` overrides the client's retry policy for this call (NO_RETRY where a retry could create twice). */
  async create(path: string, data: DataInput = null, options: CreateOptions & { retry?: RetryPolicy } = {}): Promise<{ path: string; stat: Stat }> {
    const request = op.create(path, data, options) as Extract<Request, { op: 'create' }>;
    const response = await this.submit(request, options.retry);
    if (response.op !== 'create') throw keeperError('MarshallingError', undefined, `expected a create response, got ${response.op}`);
    return { path: response.path, stat: response.stat };
  }

  /** Runs `operation` under the client's retry policy (it gets the attempt number, 0 first). */
  retry<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy = this.retryPolicy): Promise<T> {
    return withRetries(policy, operation, undefined, () => this.closed);
  }

  getData(path: string): Promise<{ data: Uint8Array | null; stat: Stat }>;
  getData(path: string, options: { watch: true }): Promise<{ data: Uint8Array | null; stat: Stat; watch: OneShotWatch }>;
  async getData(path: string, options: { watch?: boolean } = {}): Promise<{ data: Uint8Array | null; stat: Stat; watch?: OneShotWatch }> {
    if (options.watch !== true) {
      const { data, stat } = await this.expect({ op: 'getData', path, watch: false }, 'getData');
      return { data, stat };
    }
    const { response, watch } = await this.watched({ op: 'getData', path, watch: true }, 'getData', 'data', path, () => false);
    return { data: response.data, stat: response.stat, watch };
  }

  exists(path: string): Promise<Stat | null>;
  exists(path: string, options: { watch: true }): Promise<{ stat: Stat | null; watch: OneShotWatch }>;
  async exists(path: string, options: { watch?: boolean } = {}): Promise<Stat | null | { stat: Stat | null; watch: OneShotWatch }> {
    if (options.watch !== true) return (await this.expect({ op: 'exists', path, watch: false }, 'exists')).stat;
    const { response, watch } = await this.watched({ op: 'exists', path, watch: true }, 'exists', 'exist', path, () => false);
    return { stat: response.stat, watch };
  }

  getChildren(path: string): Promise<{ children: string[]; stat: Stat }>;
  getChildren(path: string, options: { watch: true }): Promise<{ children: string[]; stat: Stat; watch: OneShotWatch }>;
  async getChildren(path: string, options: { watch?: boolean } = {}): Promise<{ children: string[]; stat: Stat; watch?: OneShotWatch }> {
    if (options.watch !== true) {
      const { children, stat } = await this.expect({ op: 'getChildren', path, watch: false }, 'getChildren');
      return { children, stat };
    }
    const { response, watch } = await this.watched({ op: 'getChildren', path, watch: true }, 'getChildren', 'child', path, () => false);
    return { children: response.children, stat: response.stat, watch };
  }

  /** All or nothing. A failure rejects with a TransactionError carrying every op's result. */
  async multi(ops: MultiOp[]): Promise<MultiResult[]> {
    const { results } = await this.expect({ op: 'multi', ops }, 'multi');
    const failedIndex = results.findIndex((result) => result.op === 'error' && result.code !== 0 && result.code !== -2);
    if (failedIndex < 0) return results;
    const code = (results[failedIndex] as { code: number }).code;
    const spec = errorByCode(code);
    const path = ops[failedIndex]!.path;
    throw new TransactionError((spec?.name ?? 'SystemError') as ErrorName, `operation ${failedIndex} of the transaction failed: ${spec?.description ?? `code ${code}`} (${path})`, path, results, failedIndex);
  }

  async sync(path: string): Promise<void> {
    await this.expect({ op: 'sync', path }, 'sync');
  }

  /** ZooKeeper addAuth, e.g. ('digest', 'user:password'); kept and sent again on every new connection. */
  override async addAuth(scheme: string, credentials: string | Uint8Array): Promise<void> {
    await super.addAuth(scheme, credentials);
    this.auth.push({ scheme, credentials });
  }

  /**
   * A persistent watch on `path` (and its subtree when recursive): every event, as an async
   * iterator, until close(). It survives reconnects; it fails with SessionExpired if the session is lost.
   */
  async watch(path: string, options: { recursive?: boolean; capacity?: number } = {}): Promise<PersistentWatch> {
    const recursive = options.recursive ?? false;
    const watch = new PersistentWatch(path, recursive, (closing) => this.unwatch(closing), options.capacity);
    this.watches.addPersistent(watch);
    try {
      await this.expect({ op: 'addWatch', path, mode: recursive ? AddWatchMode.PERSISTENT_RECURSIVE : AddWatchMode.PERSISTENT }, 'addWatch');
    } catch (error) {
      this.watches.removePersistent(watch);
      throw error;
    }
    return watch;
  }

  private async unwatch(watch: PersistentWatch): Promise<void> {
    if (!this.watches.removePersistent(watch) || this.connection === null) return;
    const type = watch.recursive ? WatcherType.PERSISTENT_RECURSIVE : WatcherType.PERSISTENT;
    await this.connection.submit({ op: 'removeWatches', path: watch.path, type }).catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------
  // Ending

  /** Closes the session (its ephemerals go, its watches end) and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearSuspension();
    const connection = this.connection;
    this.connection = null;
    if (connection !== null) await connection.close().catch(() => undefined);
    this.watches.failAll(keeperError('SessionExpired', undefined, 'the client is closed'));
    for (const waiter of this.connectedWaiters.splice(0)) waiter();
    this.setState('CLOSED');
  }
}
