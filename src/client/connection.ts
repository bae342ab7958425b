// A ZooKeeper-style session over one Session stream: the gRPC call in Node (grpc-pipe.ts) or a
// WebSocket (ws-pipe.ts). One stream, one server; reconnecting elsewhere is the SDK's (sdk.ts).
// No transport is imported here, so browser bundles take it; session.ts adds gRPC for Node.
//
// Requests are pipelined: each gets the next xid and a place in a FIFO; the server answers in
// order, so every answer must match the oldest outstanding xid (anything else is a broken
// server and ends the connection). Heartbeats go out every third of the negotiated timeout.
// Watch events are emitted as 'event' and can be read with `events()`.
//
// Ending: `close()` closes the session (ephemerals go); `detach()` only drops the stream, so the
// session can be resumed with `SessionConnection.over(pipe, { sessionId, password, ... })`.

import { requestToProto, sessionResponseFromProto, watchEventFromProto } from '../api/grpc/convert.js';
import { CloseReason } from '../api/grpc/generated/cairn/v1/CloseReason.js';
import type { ClientMessage } from '../api/grpc/generated/cairn/v1/ClientMessage.js';
import type { ServerMessage__Output } from '../api/grpc/generated/cairn/v1/ServerMessage.js';
import { isKeeperError, KeeperError, keeperError } from '../core/errors.js';
import {
  AddWatchMode,
  CreateMode,
  type GetChildrenResponse,
  type GetDataResponse,
  type MultiOp,
  type MultiReadOp,
  type MultiReadResult,
  type MultiResult,
  type Request,
  type Response,
  type SetWatchesRequest,
  type Stat,
  type WatchEvent,
  type WatcherType,
} from '../core/types.js';
import type { ChannelSettings } from './channel.js';
import { defaultAcl, toData, type CreateOptions, type DataInput } from './data.js';
import { unref } from './emitter.js';
import { Operations } from './operations.js';
import type { MessagePipe, PipeFactory } from './pipe.js';
import { EventQueue } from './events.js';
import { Fifo } from '../api/grpc/fifo.js';

export interface SessionOptions extends ChannelSettings {
  /** Requested session timeout; the server negotiates it. */
  timeoutMs: number;
  /** Resume this session (with its password) instead of opening a new one. */
  sessionId?: number;
  password?: Uint8Array;
  /** The highest zxid seen on an earlier connection; a server behind it refuses. */
  lastZxidSeen?: number;
  /** How long to wait for `connected`; the session timeout when absent. */
  connectTimeoutMs?: number;
  /** Requests in flight before `submit` refuses more (Throttled). */
  maxPending?: number;
}

/** Why the session stream ended. */
export type SessionEnd =
  | { kind: 'closed'; reason: 'closed' | 'expired' | 'shutdown' | 'moved' | 'unavailable' | 'unspecified' }
  | { kind: 'disconnected'; error: KeeperError }
  | { kind: 'detached' };

interface Pending {
  xid: number;
  resolve: (response: Response) => void;
  reject: (error: KeeperError) => void;
}

type SessionState = 'connecting' | 'open' | 'closing' | 'ended';

const DEFAULT_MAX_PENDING = 100_000;

const CLOSE_REASON_NAMES: Record<number, Extract<SessionEnd, { kind: 'closed' }>['reason']> = {
  [CloseReason.CLOSE_REASON_CLOSED]: 'closed',
  [CloseReason.CLOSE_REASON_EXPIRED]: 'expired',
  [CloseReason.CLOSE_REASON_SHUTDOWN]: 'shutdown',
  [CloseReason.CLOSE_REASON_MOVED]: 'moved',
  [CloseReason.CLOSE_REASON_UNAVAILABLE]: 'unavailable',
};

export interface CairnClientEvents {
  event: [WatchEvent];
  end: [SessionEnd];
}

/** A session on one Cairn server over one stream. Events: 'event' (WatchEvent), 'end' (SessionEnd). */
export class SessionConnection extends Operations<CairnClientEvents> {
  private state: SessionState = 'connecting';
  private readonly pipe: MessagePipe;
  private readonly pending = new Fifo<Pending>();
  /** Messages waiting for grpc-js to take them ('drain'), so its buffers stay small. */
  private readonly unsent = new Fifo<ClientMessage>();
  private writable = true;
  private readonly pings = new Map<number, (zxid: number) => void>();
  private readonly eventReaders = new Set<EventQueue<WatchEvent>>();
  private nextXid = 1;
  private nextPingId = 1;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private connectWaiter: { resolve: () => void; reject: (error: KeeperError) => void; timer: ReturnType<typeof setTimeout> } | undefined;
  private closeWaiters: (() => void)[] = [];
  private lastHeardMs = Date.now();
  private endInfo: SessionEnd | undefined;

  sessionId = 0;
  password: Uint8Array = new Uint8Array(0);
  /** The negotiated session timeout. */
  timeoutMs = 0;
  /** The highest zxid this client has seen (responses, pongs, events). */
  lastZxid = 0;

  protected constructor(
    pipe: PipeFactory,
    private readonly options: Omit<SessionOptions, keyof ChannelSettings>,
  ) {
    super();
    this.lastZxid = options.lastZxidSeen ?? 0;
    this.pipe = pipe({
      onMessage: (message) => this.onServerMessage(message),
      onEnd: (error) => this.finish({ kind: 'disconnected', error }),
      onDrain: () => this.onDrain(),
    });
  }

  /** Open (or resume) a session over a pipe (grpcPipe, webSocketPipe); resolves once the server sent `connected`. */
  static async over(pipe: PipeFactory, options: Omit<SessionOptions, keyof ChannelSettings>): Promise<SessionConnection> {
    const client = new SessionConnection(pipe, options);
    await client.open();
    return client;
  }

  /** How the stream ended, once it has. */
  get ended(): SessionEnd | undefined {
    return this.endInfo;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  protected open(): Promise<void> {
    const connectMessage: ClientMessage = {
      connect: {
        sessionId: this.options.sessionId ?? 0,
        password: this.options.password ?? new Uint8Array(0),
        timeoutMs: this.options.timeoutMs,
        lastZxidSeen: this.options.lastZxidSeen ?? 0,
      },
    };
    this.write(connectMessage);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.finish({ kind: 'disconnected', error: keeperError('ConnectionLoss', undefined, 'no answer to connect in time') });
      }, this.options.connectTimeoutMs ?? this.options.timeoutMs);
      this.connectWaiter = { resolve, reject, timer };
    });
  }

  // ------------------------------------------------------------------------------------------
  // From the server

  private onServerMessage(message: ServerMessage__Output): void {
    this.lastHeardMs = Date.now();
    try {
      switch (message.kind) {
        case 'connected':
          this.onConnected(message.connected);
          return;
        case 'response':
          this.onResponse(message.response);
          return;
        case 'pong':
          this.onPong(message.pong);
          return;
        case 'event':
          this.onEvent(message.event);
          return;
        case 'closed':
          this.onClosed(message.closed?.reason ?? 0);
          return;
        default:
          return; // a kind from a newer server
      }
    } catch (error) {
      // A message this client cannot make sense of: nothing later on the stream can be trusted.
      this.abandon(asKeeperError(error));
    }
  }

  private onConnected(connected: ServerMessage__Output['connected']): void {
    if (this.state !== 'connecting' || connected === null || connected === undefined) throw keeperError('MarshallingError', undefined, 'unexpected connected message');
    this.sessionId = connected.sessionId;
    this.password = new Uint8Array(connected.password);
    this.timeoutMs = connected.timeoutMs;
    this.seeZxid(connected.lastZxid);
    this.state = 'open';
    this.startHeartbeat();
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  private onResponse(response: ServerMessage__Output['response']): void {
    if (response === null || response === undefined) throw keeperError('MarshallingError', undefined, 'empty response');
    const head = this.pending.peek();
    if (head === undefined || head.xid !== response.xid) {
      throw keeperError('MarshallingError', undefined, `response for xid ${response.xid} while xid ${head?.xid ?? 'none'} was expected: answers out of order`);
    }
    this.pending.shift();
    this.seeZxid(response.zxid);
    let decoded: Response;
    try {
      decoded = sessionResponseFromProto(response);
    } catch (error) {
      head.reject(asKeeperError(error));
      return;
    }
    head.resolve(decoded);
  }

  private onPong(pong: ServerMessage__Output['pong']): void {
    if (pong === null || pong === undefined) return;
    this.seeZxid(pong.zxid);
    const waiter = this.pings.get(pong.id);
    if (waiter !== undefined) {
      this.pings.delete(pong.id);
      waiter(pong.zxid);
    }
  }

  private onEvent(message: ServerMessage__Output['event']): void {
    const event = watchEventFromProto(message);
    this.seeZxid(event.zxid);
    this.emit('event', event);
    for (const reader of this.eventReaders) reader.push(event);
  }

  private onClosed(reason: number): void {
    this.finish({ kind: 'closed', reason: CLOSE_REASON_NAMES[reason] ?? 'unspecified' });
  }

  private seeZxid(zxid: number): void {
    if (zxid > this.lastZxid) this.lastZxid = zxid;
  }

  // ------------------------------------------------------------------------------------------
  // Heartbeats

  private startHeartbeat(): void {
    const intervalMs = Math.max(1, Math.floor(this.timeoutMs / 3));
    this.heartbeat = unref(setInterval(() => this.beat(), intervalMs));
  }

  private beat(): void {
    // Pongs answer every third of the timeout; a whole timeout of silence means the server is gone.
    if (Date.now() - this.lastHeardMs > this.timeoutMs) {
      this.abandon(keeperError('ConnectionLoss', undefined, `nothing heard from the server for ${this.timeoutMs} ms`));
      return;
    }
    this.write({ ping: { id: 0 } });
  }

  /** A ping of its own; resolves with the server's last zxid. */
  ping(): Promise<number> {
    if (this.state !== 'open') return Promise.reject(this.notOpenError());
    const id = this.nextPingId++;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.write({ ping: { id } });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  /** Send any core request; resolves with its response or rejects with a KeeperError. */
  submit(request: Request): Promise<Response> {
    if (this.state !== 'open') return Promise.reject(this.notOpenError());
    if (this.pending.length >= (this.options.maxPending ?? DEFAULT_MAX_PENDING)) {
      return Promise.reject(keeperError('Throttled', undefined, 'too many requests in flight on this client'));
    }
    const xid = this.nextXid++;
    return new Promise((resolve, reject) => {
      this.pending.push({ xid, resolve, reject });
      this.write({ request: { xid, ...requestToProto(request) } });
    });
  }

  async create(path: string, data: DataInput, options: CreateOptions = {}): Promise<{ path: string; stat: Stat }> {
    const request: Request = { op: 'create', path, data: toData(data), acl: defaultAcl(options.acl), mode: (options.mode ?? CreateMode.PERSISTENT) as CreateMode };
    if (options.ttl !== undefined) request.ttl = options.ttl;
    const { path: created, stat } = await this.expect(request, 'create');
    return { path: created, stat };
  }

  async getData(path: string, options: { watch?: boolean } = {}): Promise<Omit<GetDataResponse, 'op'>> {
    const { data, stat } = await this.expect({ op: 'getData', path, watch: options.watch ?? false }, 'getData');
    return { data, stat };
  }

  async exists(path: string, options: { watch?: boolean } = {}): Promise<Stat | null> {
    return (await this.expect({ op: 'exists', path, watch: options.watch ?? false }, 'exists')).stat;
  }

  async getChildren(path: string, options: { watch?: boolean } = {}): Promise<Omit<GetChildrenResponse, 'op'>> {
    const { children, stat } = await this.expect({ op: 'getChildren', path, watch: options.watch ?? false }, 'getChildren');
    return { children, stat };
  }

  async multi(ops: MultiOp[]): Promise<MultiResult[]> {
    return (await this.expect({ op: 'multi', ops }, 'multi')).results;
  }

  async multiRead(ops: MultiReadOp[]): Promise<MultiReadResult[]> {
    return (await this.expect({ op: 'multiRead', ops }, 'multiRead')).results;
  }

  async sync(path: string): Promise<string> {
    return (await this.expect({ op: 'sync', path }, 'sync')).path;
  }

  async addWatch(path: string, mode: AddWatchMode = AddWatchMode.PERSISTENT): Promise<void> {
    await this.expect({ op: 'addWatch', path, mode }, 'addWatch');
  }

  async removeWatches(path: string, type: WatcherType): Promise<void> {
    await this.expect({ op: 'removeWatches', path, type }, 'removeWatches');
  }

  async checkWatches(path: string, type: WatcherType): Promise<void> {
    await this.expect({ op: 'checkWatches', path, type }, 'checkWatches');
  }

  /** Re-register watches after resuming; relativeZxid defaults to the last zxid seen. */
  async setWatches(watches: Partial<Omit<SetWatchesRequest, 'op'>>): Promise<void> {
    await this.expect(
      {
        op: 'setWatches',
        relativeZxid: watches.relativeZxid ?? this.lastZxid,
        dataWatches: watches.dataWatches ?? [],
        existWatches: watches.existWatches ?? [],
        childWatches: watches.childWatches ?? [],
        persistentWatches: watches.persistentWatches ?? [],
        persistentRecursiveWatches: watches.persistentRecursiveWatches ?? [],
      },
      'setWatches',
    );
  }

  /** Watch events from now on, as an async iterator that ends with the session stream. */
  events(capacity?: number): AsyncIterableIterator<WatchEvent> {
    const reader = new EventQueue<WatchEvent>(capacity);
    if (this.state === 'ended') reader.end();
    else this.eventReaders.add(reader);
    return reader;
  }

  // ------------------------------------------------------------------------------------------
  // Ending

  /** Close the session (ephemerals are deleted); resolves when the server confirmed. */
  close(): Promise<void> {
    if (this.state === 'ended') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    if (this.state === 'open') {
      this.state = 'closing';
      this.write({ close: {} });
    }
    return done;
  }

  /** Drop the stream without closing the session: the server keeps it until it expires. */
  detach(): void {
    if (this.state === 'ended') return;
    this.finish({ kind: 'detached' });
  }

  /** Same as detach(). */
  destroy(): void {
    this.detach();
  }

  /** A broken stream: end it and report why. */
  private abandon(error: KeeperError): void {
    this.finish({ kind: 'disconnected', error });
  }

  private finish(end: SessionEnd): void {
    if (this.state === 'ended') return;
    const wasConnecting = this.state === 'connecting';
    this.state = 'ended';
    this.endInfo = end;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.pipe.close();
    const error = this.failureFor(end);
    this.unsent.clear();
    for (const pending of this.pending.drain()) pending.reject(error);
    this.pings.clear();
    for (const reader of this.eventReaders) reader.end();
    this.eventReaders.clear();
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.reject(end.kind === 'disconnected' ? end.error : error);
    }
    for (const resolve of this.closeWaiters.splice(0)) resolve();
    if (!wasConnecting) this.emit('end', end);
  }

  /** What requests still in flight fail with. */
  private failureFor(end: SessionEnd): KeeperError {
    if (end.kind === 'closed' && end.reason === 'expired') return keeperError('SessionExpired');
    if (end.kind === 'closed' && end.reason === 'closed') return keeperError('SessionExpired', undefined, 'the session is closed');
    return keeperError('ConnectionLoss', undefined, end.kind === 'disconnected' ? end.error.message : `the session stream ended (${end.kind})`);
  }

  private notOpenError(): KeeperError {
    if (this.state === 'closing') return keeperError('SessionExpired', undefined, 'the session is closing');
    return this.endInfo === undefined ? keeperError('ConnectionLoss', undefined, 'not connected') : this.failureFor(this.endInfo);
  }

  private write(message: ClientMessage): void {
    if (this.writable && this.unsent.length === 0) {
      this.writable = this.pipe.write(message);
      return;
    }
    this.unsent.push(message); // bounded: requests by maxPending, pings by the timer
  }

  private onDrain(): void {
    this.writable = true;
    while (this.writable && this.unsent.length > 0) this.writable = this.pipe.write(this.unsent.shift() as ClientMessage);
  }
}

function asKeeperError(error: unknown): KeeperError {
  return isKeeperError(error) ? error : new KeeperError('SystemError', error instanceof Error ? error.message : String(error));
}
