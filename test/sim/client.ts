// A simulated client: one ZooKeeper session at a time, through the same session channel the
// facades use (`CairnNode.connect` → SessionHandle, answers and watch events in one order). It
// heartbeats, loses its connection when its server crashes, pauses or loses its leader, resumes
// the session on another server, and starts a new session when the old one expired. Every
// operation goes into the history the checkers read.

import { isKeeperError } from '../../src/core/errors.js';
import { AddWatchMode, CreateMode, type MultiOp, type Request, type Response, type WatchEvent, type Zxid } from '../../src/core/types.js';
import type { AnswerOutcome, SessionHandle, SessionSink } from '../../src/server/facade.js';
import type { NodeError, NodeOp, NodeResult, Operation, SubOp } from './checker.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { SimServer } from './server.js';

export interface ClientHost {
  scheduler: Scheduler;
  /** A guarantee broken, seen from this client. */
  violation(message: string): void;
  servers(): SimServer[];
  /** Takes the next operation's id, or null once the run has started all its operations. */
  nextOperation(): number | null;
  record(operation: Operation, acknowledgedZxid: Zxid | null): void;
  /** An acknowledged create of an ephemeral node, owned by `sessionId`. */
  recordEphemeral(sessionId: number, path: string): void;
  /** An acknowledged sequential create: the name it got, and when it was asked and answered. */
  recordSequential(path: string, invokeMs: number, returnMs: number): void;
  /** A persistent watch set on a connection; its events are appended as they arrive. */
  recordPersistentWatch(watch: PersistentWatch): void;
  log(line: string): void;
  keys: number;
  /** The usual session timeout clients ask for. */
  sessionTimeoutMs: number;
}

/** One connection to one server; everything it carries reaches the client in order, late. */
class Connection {
  handle: SessionHandle | null = null;
  closed = false;
  private lastDeliveryMs = 0;
  lastHeardMs: number;

  constructor(
    readonly server: SimServer,
    readonly incarnation: number,
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
  ) {
    this.lastHeardMs = scheduler.now;
  }

  /** Network delay, FIFO per connection. */
  deliver(run: () => void): void {
    const at = Math.max(this.lastDeliveryMs, this.scheduler.now + this.prng.int(0, 3));
    this.lastDeliveryMs = at;
    this.scheduler.at(at, () => {
      if (this.closed) return;
      this.lastHeardMs = this.scheduler.now;
      run();
    });
  }

  get serverAlive(): boolean {
    return this.server.up && this.server.incarnations === this.incarnation;
  }

  /** Persistent watches set on this connection (null: asked for, not yet answered), by path. */
  readonly persistent = new Map<string, PersistentWatch | null>();
}

/** A persistent (or persistent recursive) watch on one connection, and every event it brought. */
export interface PersistentWatch {
  client: number;
  path: string;
  mode: AddWatchMode;
  /** The zxid its addWatch was answered at: it reports every change after this one. */
  fromZxid: Zxid;
  events: { zxid: Zxid; type: number }[];
  /** Whether its connection is still open, to the incarnation of the server it was set on. */
  live(): boolean;
}

interface InFlight {
  operation: Operation;
  connection: Connection;
  /** An ephemeral or sequential create, kept out of the key history. */
  special?: boolean;
}

export class SimClient {
  private session: { id: number; password: Uint8Array } | null = null;
  private connection: Connection | null = null;
  private connecting = false;
  /** Where the next connection goes (see moveTo); a random server when null. */
  private preferred: SimServer | null = null;
  /** The next operation is a read (see moveTo). */
  private readFirst = false;
  private lastZxidSeen: Zxid = 0;
  private inFlight: InFlight | null = null;
  private done = false;
  /** One-shot data watches set on the current connection: path → the version the read saw. */
  private readonly watched = new Map<string, number>();
  /** The version of each key this client last saw (reads, conditional writes pick from it). */
  private readonly versionsSeen = new Map<string, number>();
  private lastEventZxid: Zxid = 0;
  /** When a serving server took this session's pings (for the expiry check), newest last. */
  readonly pingsHeardMs: number[] = [];
  eventCount = 0;

  /**
   * The session timeout this client asks for: odd clients ask for three times the usual, so their
   * sessions outlive a long pause of their server (see the cluster's stale-leader fault).
   */
  readonly sessionTimeoutMs: number;

  constructor(
    readonly id: number,
    private readonly host: ClientHost,
    private readonly prng: Prng,
  ) {
    this.sessionTimeoutMs = host.sessionTimeoutMs * (id % 2 === 1 ? 3 : 1);
  }

  /** The server of the current connection, if any. */
  get server(): SimServer | null {
    return this.connection !== null && !this.connection.closed ? this.connection.server : null;
  }

  get sessionId(): number | null {
    return this.session?.id ?? null;
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  start(): void {
    this.host.scheduler.after(this.prng.int(0, 50), () => this.step());
    this.heartbeat();
  }

  // ------------------------------------------------------------------------------------------
  // Connections and sessions

  /**
   * Leaves its server for `server` (as a client working through its server list, or sent there by
   * a load balancer, would): the next connection goes there if it is up. With `readFirst`, its
   * next operation is a (synced) read, as a recipe re-reads its state after reconnecting.
   */
  moveTo(server: SimServer, readFirst = false): void {
    if (this.done) return;
    this.readFirst ||= readFirst;
    if (this.connecting || this.connection?.server === server) return;
    this.preferred = server;
    if (this.connection !== null && !this.connection.closed) this.disconnect(this.connection, `moving to server ${server.id}`);
    else this.connect();
  }

  private connect(): void {
    if (this.connecting || this.done) return;
    if (this.connection !== null && !this.connection.closed) return;
    const candidates = this.host.servers().filter((server) => server.up);
    if (candidates.length === 0) {
      this.host.scheduler.after(50, () => this.connect());
      return;
    }
    const preferred = this.preferred;
    this.preferred = null;
    const server = preferred !== null && preferred.up ? preferred : this.prng.pick(candidates);
    const connection = new Connection(server, server.incarnations, this.host.scheduler, this.prng);
    this.connecting = true;
    const session = this.session;
    const sink: SessionSink = {
      onEvent: (event) => connection.deliver(() => this.onEvent(connection, event)),
      onSessionClosed: (reason) => connection.deliver(() => this.onClosed(connection, reason)),
    };
    let settled = false;
    const settle = (outcome: { handle: SessionHandle } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      this.connecting = false;
      if ('handle' in outcome) {
        connection.handle = outcome.handle;
        this.session = { id: outcome.handle.sessionId, password: outcome.handle.password };
        this.connection = connection;
        this.host.log(`client ${this.id} ${session === null ? 'opened' : 'resumed'} session 0x${outcome.handle.sessionId.toString(16)} on server ${server.id}`);
        return;
      }
      connection.closed = true;
      if (isKeeperError(outcome.error) && outcome.error.codeName === 'SessionExpired') {
        this.host.log(`client ${this.id}: session 0x${session?.id.toString(16)} expired`);
        this.session = null;
      }
      // A server without a leader refuses at once: try another after a while, as clients back off.
      this.host.scheduler.after(this.prng.int(50, 200), () => this.connect());
    };
    // A server that never answers (crashed, partitioned from its leader, paused) is given up on.
    this.host.scheduler.after(this.sessionTimeoutMs, () => {
      if (!settled) settle({ error: new Error('connect timed out') });
    });
    server.enter((node) => {
      const options = {
        timeoutMs: this.sessionTimeoutMs,
        lastZxidSeen: this.lastZxidSeen,
        transportIds: [],
        ...(session === null ? {} : { sessionId: session.id, password: session.password }),
      };
      node.connect(options, sink).then(
        (handle) => connection.deliver(() => settle({ handle })),
        (error: unknown) => connection.deliver(() => settle({ error })),
      );
    });
  }

  /** Drops the connection: what was in flight has an unknown outcome. */
  private disconnect(connection: Connection, why: string): void {
    if (connection.closed) return;
    connection.closed = true;
    if (this.connection === connection) this.connection = null;
    this.host.log(`client ${this.id} disconnected from server ${connection.server.id}: ${why}`);
    const handle = connection.handle;
    if (handle !== null && connection.serverAlive) connection.server.enter(() => handle.detach());
    if (this.inFlight?.connection === connection) this.finish(null, null);
    // A session's watches live on its channel: a new channel starts with none.
    this.watched.clear();
    this.lastEventZxid = 0;
    this.host.scheduler.after(this.prng.int(5, 50), () => this.connect());
  }

  private onClosed(connection: Connection, reason: string): void {
    if (reason === 'expired' || reason === 'closed') {
      this.session = null;
      this.pingsHeardMs.length = 0;
    }
    this.disconnect(connection, `session channel ${reason}`);
  }

  /**
   * ZooKeeper's watch guarantees, seen from here: events come in zxid order; a one-shot watch
   * fires once; and the client sees the event before it can read the change, so a read sent
   * after the event shows it (a newer version, or the node gone or created anew).
   */
  private onEvent(connection: Connection, event: WatchEvent): void {
    this.eventCount++;
    const where = `client ${this.id} on server ${connection.server.id}`;
    if (event.zxid < this.lastEventZxid) this.host.violation(`${where}: event at 0x${event.zxid.toString(16)} after one at 0x${this.lastEventZxid.toString(16)}`);
    this.lastEventZxid = Math.max(this.lastEventZxid, event.zxid);
    // No one-shot watch is set on a path with a persistent one (so which watch an event is for is plain).
    if (connection.persistent.has(event.path)) {
      const persistent = connection.persistent.get(event.path);
      if (persistent === null || persistent === undefined) this.host.violation(`${where}: event ${event.type} for ${event.path} before its addWatch was answered`);
      else persistent.events.push({ zxid: event.zxid, type: event.type });
      return;
    }
    const version = this.watched.get(event.path);
    if (version === undefined) {
      this.host.violation(`${where}: event ${event.type} for ${event.path} with no watch set (a one-shot watch fired twice?)`);
      return;
    }
    this.watched.delete(event.path);
    const handle = connection.handle;
    if (handle === null) return;
    const check = (outcome: AnswerOutcome) =>
      connection.deliver(() => {
        if (outcome.ok && outcome.value.response.op === 'getData') {
          const stat = outcome.value.response.stat;
          // Created at the event's own zxid is a new node (a multi that deleted and created it).
          if (stat.version <= version && stat.czxid < event.zxid) {
            this.host.violation(`${where}: after event ${event.type} for ${event.path} (zxid 0x${event.zxid.toString(16)}) a read still shows version ${stat.version}, the one watched`);
          }
        }
      });
    connection.server.enter(() => handle.submit({ op: 'getData', path: event.path, watch: false }, check).catch(() => undefined));
  }

  /** Pings a third of the timeout apart; a connection silent for two thirds of it is given up. */
  private heartbeat(): void {
    if (this.done) return;
    const interval = Math.floor(this.sessionTimeoutMs / 3);
    this.host.scheduler.after(interval, () => {
      const connection = this.connection;
      if (connection !== null && !connection.closed) {
        if (!connection.serverAlive) {
          this.disconnect(connection, 'the server is gone');
        } else if (this.host.scheduler.now - connection.lastHeardMs > (2 * this.sessionTimeoutMs) / 3) {
          this.disconnect(connection, 'no answer to pings');
        } else {
          const handle = connection.handle!;
          connection.server.enter((node) => {
            const zxid = handle.ping();
            const heardMs = this.host.scheduler.now;
            const serving = node.serving;
            connection.deliver(() => {
              this.lastZxidSeen = Math.max(this.lastZxidSeen, zxid);
              if (serving) this.pingsHeardMs.push(heardMs);
              if (this.pingsHeardMs.length > 8) this.pingsHeardMs.shift();
            });
          });
        }
      }
      this.heartbeat();
    });
  }

  // ------------------------------------------------------------------------------------------
  // Operations

  private step(): void {
    if (this.done) return;
    const connection = this.connection;
    if (connection === null || connection.closed || connection.handle === null) {
      this.connect();
      this.host.scheduler.after(20, () => this.step());
      return;
    }
    const id = this.host.nextOperation();
    if (id === null) {
      this.done = true;
      return;
    }
    const prng = this.prng;
    const readFirst = this.readFirst;
    this.readFirst = false;
    if (!readFirst && prng.chance(0.15)) {
      this.createSpecial(connection, id, prng.chance(0.5) ? 'ephemeral' : 'sequential');
      return;
    }
    if (!readFirst && prng.chance(0.05)) this.addPersistentWatch(connection);
    const path = this.pickKey();
    const value = `c${this.id}-${id}`;
    const op = readFirst ? ({ kind: 'read' } as const) : this.pickOp(path, value);
    const operation: Operation = { id, client: this.id, path: op.kind === 'multi' ? op.ops[0]!.path : path, op, invokeMs: this.host.scheduler.now, returnMs: null, result: null };
    this.inFlight = { operation, connection };
    // A client gives up after a while: the outcome stays unknown.
    this.host.scheduler.after(3000, () => {
      if (this.inFlight?.operation === operation) this.finish(null, null);
    });
    const handle = connection.handle;
    const watch = op.kind === 'read' && prng.chance(0.5) && !this.watched.has(path) && !connection.persistent.has(path);
    const answer = (outcome: AnswerOutcome) =>
      connection.deliver(() => {
        if (watch && outcome.ok && outcome.value.response.op === 'getData' && !connection.closed) this.watched.set(path, outcome.value.response.stat.version);
        this.answered(operation, outcome);
      });
    connection.server.enter(() => {
      if (op.kind === 'read') {
        // sync, then read: at least as new as every write acknowledged before the sync began.
        handle.submit({ op: 'sync', path: '/' }).catch(() => undefined);
        handle.submit({ op: 'getData', path, watch }, answer).catch(() => undefined);
        return;
      }
      handle.submit(requestFor(op, path), answer).catch(() => undefined);
    });
  }

  private pickKey(): string {
    return `/k${this.prng.int(0, this.host.keys - 1)}`;
  }

  /**
   * A version to expect: the one this client last saw (or one more, or any), so that
   * conditional writes both succeed and fail.
   */
  private pickVersion(path: string): number {
    const seen = this.versionsSeen.get(path) ?? 0;
    return this.prng.pick([-1, seen, seen, seen + 1]);
  }

  private pickOp(path: string, value: string): NodeOp {
    const prng = this.prng;
    if (this.host.keys > 1 && prng.chance(0.1)) {
      const second = this.pickKey();
      const paths = second === path ? [path, path] : [path, second];
      const ops = paths.map((subPath, index): SubOp => {
        const subValue = `${value}.${index}`;
        switch (prng.pick(['create', 'set', 'set', 'delete', 'check'] as const)) {
          case 'create':
            return { kind: 'create', path: subPath, value: subValue };
          case 'set':
            return { kind: 'set', path: subPath, value: subValue, version: this.pickVersion(subPath) };
          case 'delete':
            return { kind: 'delete', path: subPath, version: this.pickVersion(subPath) };
          case 'check':
            return { kind: 'check', path: subPath, version: this.pickVersion(subPath) };
        }
      });
      return { kind: 'multi', ops };
    }
    const kind = prng.pick(['create', 'set', 'set', 'set', 'read', 'read', 'delete'] as const);
    switch (kind) {
      case 'create':
        return { kind, value };
      case 'set':
        return prng.chance(0.3) ? { kind, value, version: this.pickVersion(path) } : { kind, value };
      case 'delete':
        return prng.chance(0.3) ? { kind, version: this.pickVersion(path) } : { kind };
      case 'read':
        return { kind };
    }
  }

  /** A persistent watch on a key this connection watches in no other way; its events are checked at the end. */
  private addPersistentWatch(connection: Connection): void {
    const path = this.pickKey();
    if (connection.persistent.has(path) || this.watched.has(path) || connection.handle === null) return;
    const mode = this.prng.chance(0.5) ? AddWatchMode.PERSISTENT : AddWatchMode.PERSISTENT_RECURSIVE;
    connection.persistent.set(path, null);
    const handle = connection.handle;
    const answer = (outcome: AnswerOutcome) =>
      connection.deliver(() => {
        if (!outcome.ok) return; // stays asked-for: the path gets no one-shot watch on this connection
        const watch: PersistentWatch = { client: this.id, path, mode, fromZxid: outcome.value.zxid, events: [], live: () => !connection.closed && connection.serverAlive };
        connection.persistent.set(path, watch);
        this.host.recordPersistentWatch(watch);
      });
    connection.server.enter(() => handle.submit({ op: 'addWatch', path, mode }, answer).catch(() => undefined));
  }

  /** An ephemeral node of this session, or a sequential one: checked apart from the key history. */
  private createSpecial(connection: Connection, id: number, kind: 'ephemeral' | 'sequential'): void {
    const handle = connection.handle!;
    const session = handle.sessionId;
    const invokeMs = this.host.scheduler.now;
    const path = kind === 'ephemeral' ? `/e-${this.id}-${id}` : '/q-';
    const mode = kind === 'ephemeral' ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT_SEQUENTIAL;
    const operation: Operation = { id, client: this.id, path, op: { kind: 'read' }, invokeMs, returnMs: null, result: null };
    this.inFlight = { operation, connection, special: true };
    this.host.scheduler.after(3000, () => {
      if (this.inFlight?.operation === operation) this.finish(null, null);
    });
    const answer = (outcome: AnswerOutcome) =>
      connection.deliver(() => {
        if (this.inFlight?.operation !== operation) return;
        if (outcome.ok && outcome.value.response.op === 'create') {
          if (kind === 'ephemeral') this.host.recordEphemeral(session, outcome.value.response.path);
          else this.host.recordSequential(outcome.value.response.path, invokeMs, this.host.scheduler.now);
        }
        this.finish(null, null);
      });
    connection.server.enter(() =>
      handle.submit({ op: 'create', path, data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode }, answer).catch(() => undefined),
    );
  }

  private answered(operation: Operation, outcome: AnswerOutcome): void {
    if (this.inFlight?.operation !== operation) return;
    if (outcome.ok) {
      this.lastZxidSeen = Math.max(this.lastZxidSeen, outcome.value.zxid);
      const result = toResult(outcome.value.response);
      if (result.ok && result.version !== undefined) this.versionsSeen.set(operation.path, result.version);
      this.finish(result, operation.op.kind === 'read' || !result.ok ? null : outcome.value.zxid);
      return;
    }
    const name = isKeeperError(outcome.error) ? outcome.error.codeName : 'unknown';
    if (name === 'NoNode' || name === 'NodeExists' || name === 'BadVersion') this.finish({ ok: false, error: name }, null);
    else this.finish(null, null); // ConnectionLoss, SessionExpired, ...: it may or may not have happened
  }

  private finish(result: NodeResult | null, acknowledgedZxid: Zxid | null): void {
    const inFlight = this.inFlight;
    if (inFlight === null) return;
    this.inFlight = null;
    if (result !== null) {
      inFlight.operation.returnMs = this.host.scheduler.now;
      inFlight.operation.result = result;
    }
    if (inFlight.special !== true) this.host.record(inFlight.operation, acknowledgedZxid);
    this.host.scheduler.after(this.prng.int(0, 30), () => this.step());
  }
}

const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function requestFor(op: NodeOp, path: string): Request {
  switch (op.kind) {
    case 'create':
      return { op: 'create', path, data: new TextEncoder().encode(op.value), acl: OPEN_ACL, mode: CreateMode.PERSISTENT };
    case 'set':
      return { op: 'setData', path, data: new TextEncoder().encode(op.value), version: op.version ?? -1 };
    case 'delete':
      return { op: 'delete', path, version: op.version ?? -1 };
    case 'read':
      return { op: 'getData', path, watch: false };
    case 'multi':
      return { op: 'multi', ops: op.ops.map(subRequest) };
  }
}

function subRequest(sub: SubOp): MultiOp {
  switch (sub.kind) {
    case 'create':
      return { op: 'create', path: sub.path, data: new TextEncoder().encode(sub.value), acl: OPEN_ACL, mode: CreateMode.PERSISTENT };
    case 'set':
      return { op: 'setData', path: sub.path, data: new TextEncoder().encode(sub.value), version: sub.version };
    case 'delete':
      return { op: 'delete', path: sub.path, version: sub.version };
    case 'check':
      return { op: 'check', path: sub.path, version: sub.version };
  }
}

/** ZooKeeper's codes of the errors the model knows. */
const ERROR_NAMES: ReadonlyMap<number, NodeError> = new Map([
  [-101, 'NoNode'],
  [-110, 'NodeExists'],
  [-103, 'BadVersion'],
]);

function toResult(response: Response): NodeResult {
  switch (response.op) {
    case 'multi': {
      // A failed multi: ops before the failing one rolled back (0), after it -2; the failing one names the error.
      const index = response.results.findIndex((result) => result.op === 'error' && result.code !== 0);
      if (index === -1) return { ok: true };
      const failing = response.results[index]!;
      const error = failing.op === 'error' ? ERROR_NAMES.get(failing.code) : undefined;
      if (error === undefined) throw new Error(`a multi failed with ${JSON.stringify(failing)}, which the model does not know`);
      return { ok: false, error, index };
    }
    case 'setData':
      return { ok: true, version: response.stat.version };
    case 'getData':
      return { ok: true, version: response.stat.version, value: response.data === null ? '' : new TextDecoder().decode(response.data) };
    default:
      return { ok: true };
  }
}
