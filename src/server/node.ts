// A standalone Cairn node: the request pipeline (prep → log → apply → reply) over the pure core,
// with session channels, watch delivery, expiry and reaping. The composition root for facades.

import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { authenticate, checkACL, type AuthId } from '../core/acl.js';
import { mutant } from '../core/mutants.js';
import { assert, ERRORS, isKeeperError, keeperError, KeeperError, type ErrorName } from '../core/errors.js';
import { parentOf, validatePath } from '../core/path.js';
import { MultiFailure, Prep, type PrepContext } from '../core/prep.js';
import { applySetWatches, executeRead } from '../core/read.js';
import { ReplicatedState, type WatchTrigger } from '../core/state.js';
import { ExpiryQueue } from '../core/expiry.js';
import { WatchManager, type WatcherId } from '../core/watches.js';
import { reapCandidates } from '../core/reaper.js';
import {
  AddWatchMode,
  EventType,
  isEphemeral,
  isWriteRequest,
  Perms,
  zxidEpoch,
  type ReadRequest,
  type Request,
  type Response,
  type SessionId,
  type SessionRequest,
  type Txn,
  type TxnRecord,
  type WatchEvent,
  type WriteRequest,
  type Zxid,
} from '../core/types.js';
import type { ConnectOptions, ServerFacade, SessionHandle, SessionSink, Unsubscribe } from './facade.js';
import { OrderedReplies, type Settle } from './ordered-replies.js';
import type { Persistence } from './persistence.js';
import { LocalReplicator, type ReplicationListener, type ReplicationRole, type Replicator } from './replicator.js';
import { requestKey, type ForwardedMessage, type ForwardReply } from './forwarding.js';
import type { ServerId } from '../zab/types.js';
import type { Timer, World } from './world.js';

/** How long a stop waits for writes in flight to commit and apply. */
const STOP_DRAIN_MS = 5_000;

export interface NodeSettings {
  serverId: number;
  tickTimeMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxDataBytes: number;
  extendedTypesEnabled: boolean;
  superDigest: string | undefined;
  snapCount: number;
  containerCheckIntervalMs: number;
  /** Unanswered requests one session may have before it is throttled. */
  sessionOutstandingLimit: number;
}

type Answer = { response: Response; zxid: Zxid };

/** Told of every txn a node applies, right after it is applied (before watches fire). */
export interface NodeObserver {
  applied(record: TxnRecord, previousZxid: Zxid, state: ReplicatedState): void;
  /** A leader's snapshot, or a rebuild after a truncation, replaced the state applied up to `previousZxid`. */
  replaced(previousZxid: Zxid, state: ReplicatedState): void;
}

export interface NodeInfo {
  serverState: 'standalone' | 'leader' | 'follower' | 'observer' | 'looking';
  epoch: number;
  startedAtMs: number;
  lastZxid: Zxid;
  lastProposedZxid: Zxid;
  digest: number;
  znodeCount: number;
  ephemeralCount: number;
  watchCount: number;
  sessionCount: number;
  attachedSessionCount: number;
  outstandingWrites: number;
  requests: number;
  writes: number;
  reads: number;
  snapshots: number;
  lastSnapshotMs: number;
  log: Record<string, number>;
}

export interface SessionInfoEntry {
  sessionId: SessionId;
  timeoutMs: number;
  attached: boolean;
  outstanding: number;
  identities: AuthId[];
  ephemerals: string[];
}

/** A session's channel: its identities, its reply order, and where its events go. */
class SessionChannel implements SessionHandle {
  sink: SessionSink | null;
  readonly identities: AuthId[];
  readonly replies: OrderedReplies<Answer>;
  ended = false;

  constructor(
    private readonly node: CairnNode,
    readonly sessionId: SessionId,
    readonly password: Uint8Array,
    readonly timeoutMs: number,
    sink: SessionSink,
    transportIds: AuthId[],
    outstandingLimit: number,
  ) {
    this.sink = sink;
    this.identities = [...transportIds];
    this.replies = new OrderedReplies(outstandingLimit);
  }

  submit(request: Request, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    return this.node.submitOnChannel(this, request, onAnswer);
  }

  ping(): Zxid {
    this.node.touch(this);
    return this.node.lastZxid();
  }

  close(): Promise<void> {
    return this.node.closeFromClient(this);
  }

  detach(): void {
    this.node.detach(this);
  }
}

interface Waiter {
  zxid: Zxid;
  run: () => void;
}

export class CairnNode implements ServerFacade, ReplicationListener {
  /** Replaced wholesale when a leader's snapshot is installed or the state is rebuilt. */
  state: ReplicatedState;
  readonly watches = new WatchManager();
  private prep: Prep;
  private expiry: ExpiryQueue<SessionId>;
  private readonly channels = new Map<SessionId, SessionChannel>();
  private readonly statelessWatchers = new Map<WatcherId, { identities: readonly AuthId[]; onEvent: (event: WatchEvent) => void }>();
  private nextStatelessWatcher = -1;
  private readonly replicator: Replicator;
  private nextSessionId: number;
  /** Answers that must wait until a zxid is applied (failed writes, sync), in zxid order. */
  private readonly waiters: Waiter[] = [];
  /** Proposals whose records are being made durable, in zxid order. */
  private readonly inFlight = new Map<Zxid, (result: Settle<Response | undefined>) => void>();
  /** Writes forwarded to the leader, by session and cxid, answered when their txn is applied. */
  private readonly forwardedWrites = new Map<string, (result: Settle<Response | undefined>) => void>();
  /** Why a session this server asked to close is closing (others closed by expiry). */
  private readonly closingReasons = new Map<SessionId, 'closed' | 'expired'>();
  /** Sessions heard from since the last touch sent to the leader. */
  private readonly touchedSessions = new Map<SessionId, number>();
  private nextCxidCounter = 0;
  private txnsSinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;
  private readonly timers: Timer[] = [];
  private stopping = false;
  private readonly startedAtMs: number;
  readonly stats = { requests: 0, writes: 0, reads: 0, snapshots: 0, lastSnapshotMs: 0 };
  private readonly persistence: Persistence;
  private readonly settings: NodeSettings;
  private readonly logger: Logger;
  private readonly world: World;
  private readonly observer: NodeObserver | null;

  constructor(options: {
    state: ReplicatedState;
    persistence: Persistence;
    settings: NodeSettings;
    logger: Logger;
    world: World;
    /** An ensemble member's replicator; a standalone server commits what its own log holds. */
    makeReplicator?: (listener: ReplicationListener) => Replicator;
    observer?: NodeObserver;
  }) {
    this.observer = options.observer ?? null;
    const { state, persistence, settings, world } = options;
    this.persistence = persistence;
    this.settings = settings;
    this.logger = options.logger;
    this.world = world;
    this.startedAtMs = world.nowMs();
    this.state = state;
    this.prep = new Prep(state.tree);
    this.expiry = new ExpiryQueue(settings.tickTimeMs);
    this.replicator = options.makeReplicator?.(this) ?? new LocalReplicator(persistence, zxidEpoch(state.lastZxid) + 1, this);
    this.nextSessionId = initialSessionId(settings.serverId, world.nowMs());
    const now = world.nowMs();
    for (const [sessionId, info] of state.sessions) this.expiry.touch(sessionId, info.timeoutMs, now);
  }

  async start(): Promise<void> {
    await this.replicator.start();
    const sessionCheckMs = Math.max(10, Math.floor(this.settings.tickTimeMs / 2));
    this.timers.push(this.world.every(sessionCheckMs, () => this.expireSessions()));
    this.timers.push(this.world.every(sessionCheckMs, () => this.sendTouches()));
    this.timers.push(this.world.every(this.settings.containerCheckIntervalMs, () => this.reap()));
  }

  lastZxid(): Zxid {
    return this.state.lastZxid;
  }

  /** Whether this server serves clients now (an ensemble member needs a leader). */
  get serving(): boolean {
    return this.replicator.serving;
  }

  /** This server's part in replication now, and its epoch. */
  get role(): ReplicationRole {
    return this.replicator.role;
  }

  get epoch(): number {
    return this.replicator.epoch;
  }

  get sessionCount(): number {
    return this.state.sessions.size;
  }

  get outstandingCount(): number {
    return this.inFlight.size;
  }

  /** What admin commands, four-letter words and metrics report. */
  info(): NodeInfo {
    const tree = this.state.tree;
    let ephemeralCount = 0;
    for (const sessionId of tree.sessionsWithEphemerals()) ephemeralCount += tree.ephemeralsOf(sessionId).size;
    return {
      serverState: this.replicator.role,
      epoch: this.replicator.epoch,
      startedAtMs: this.startedAtMs,
      lastZxid: this.state.lastZxid,
      lastProposedZxid: this.replicator.lastProposedZxid,
      digest: tree.digest(),
      znodeCount: tree.size,
      ephemeralCount,
      watchCount: this.watches.watchCount,
      sessionCount: this.state.sessions.size,
      attachedSessionCount: this.channels.size,
      outstandingWrites: this.inFlight.size,
      requests: this.stats.requests,
      writes: this.stats.writes,
      reads: this.stats.reads,
      snapshots: this.stats.snapshots,
      lastSnapshotMs: this.stats.lastSnapshotMs,
      log: { ...this.persistence.log.stats },
    };
  }

  /** Every session: for `cons`, `dump` and the admin API. */
  sessionsInfo(): SessionInfoEntry[] {
    return [...this.state.sessions].map(([sessionId, info]) => {
      const channel = this.channels.get(sessionId);
      return {
        sessionId,
        timeoutMs: info.timeoutMs,
        attached: channel !== undefined,
        outstanding: channel?.replies.outstanding ?? 0,
        identities: channel === undefined ? [] : channel.identities.map((id) => ({ ...id })),
        ephemerals: [...this.state.tree.ephemeralsOf(sessionId)].sort(),
      };
    });
  }

  // ------------------------------------------------------------------------------------------
  // Sessions

  negotiateTimeout(requestedMs: number): number {
    return Math.min(this.settings.maxSessionTimeoutMs, Math.max(this.settings.minSessionTimeoutMs, Math.floor(requestedMs)));
  }

  async connect(options: ConnectOptions, sink: SessionSink): Promise<SessionHandle> {
    if (this.stopping) throw keeperError('ConnectionLoss', undefined, 'the server is shutting down');
    if (!this.replicator.serving) throw keeperError('ConnectionLoss', undefined, 'this server has no leader now: try another server');
    const lastSeen = options.lastZxidSeen ?? 0;
    if (lastSeen > this.state.lastZxid) {
      throw keeperError('ConnectionLoss', undefined, `the client has seen zxid 0x${lastSeen.toString(16)}, newer than this server's 0x${this.state.lastZxid.toString(16)}`);
    }
    if (options.sessionId !== undefined && options.sessionId !== 0) return this.resume(options, sink);
    const timeoutMs = this.negotiateTimeout(options.timeoutMs);
    const sessionId = this.allocateSessionId();
    const password = this.world.randomBytes(16);
    if (this.replicator.preparesWrites) await this.proposeAndWait(sessionId, 0, { type: 'createSession', timeoutMs, password });
    else await this.forwardAndWait({ kind: 'createSession', sessionId, cxid: this.nextCxid(), timeoutMs, password });
    const channel = new SessionChannel(this, sessionId, password, timeoutMs, sink, options.transportIds, this.settings.sessionOutstandingLimit);
    this.channels.set(sessionId, channel);
    this.expiry.touch(sessionId, timeoutMs, this.world.nowMs());
    return channel;
  }

  private resume(options: ConnectOptions, sink: SessionSink): SessionHandle {
    const sessionId = options.sessionId!;
    const info = this.state.sessions.get(sessionId);
    const password = options.password ?? new Uint8Array(0);
    if (info === undefined || this.prep.isClosing(sessionId) || !samePassword(info.password, password)) {
      throw keeperError('SessionExpired', undefined, `session 0x${sessionId.toString(16)} has expired or the password is wrong`);
    }
    const previous = this.channels.get(sessionId);
    if (previous !== undefined) this.retireChannel(previous, 'moved');
    const channel = new SessionChannel(this, sessionId, info.password, info.timeoutMs, sink, options.transportIds, this.settings.sessionOutstandingLimit);
    this.channels.set(sessionId, channel);
    this.expiry.touch(sessionId, info.timeoutMs, this.world.nowMs());
    return channel;
  }

  /** The channel's transport is gone or replaced: forget its watches; the session lives on. */
  private retireChannel(channel: SessionChannel, reason: 'moved' | 'detached' | 'unavailable'): void {
    if (this.channels.get(channel.sessionId) === channel) this.channels.delete(channel.sessionId);
    this.watches.removeWatcher(channel.sessionId);
    channel.replies.cancelWaiting(keeperError('ConnectionLoss', undefined, `the session channel was ${reason}`));
    const sink = channel.sink;
    channel.sink = null;
    channel.ended = true;
    if (reason !== 'detached') sink?.onSessionClosed(reason);
  }

  touch(channel: SessionChannel): void {
    if (channel.ended) return;
    if (this.replicator.preparesWrites) {
      if (this.expiry.has(channel.sessionId)) this.expiry.touch(channel.sessionId, channel.timeoutMs, this.world.nowMs());
    } else {
      // Only the leader expires sessions: it hears of ours with the next touch.
      this.touchedSessions.set(channel.sessionId, channel.timeoutMs);
    }
  }

  private sendTouches(): void {
    if (this.touchedSessions.size === 0 || this.replicator.preparesWrites) return;
    if (this.replicator.forward({ kind: 'touch', sessions: [...this.touchedSessions] })) this.touchedSessions.clear();
  }

  detach(channel: SessionChannel): void {
    if (!channel.ended) this.retireChannel(channel, 'detached');
  }

  async closeFromClient(channel: SessionChannel): Promise<void> {
    if (channel.ended) return;
    // The close is ordered after every earlier request of the session.
    const { promise } = channel.replies.reserve((settle) => {
      this.closeSession(channel.sessionId, 'closed').then(
        () => settle({ ok: true, value: { response: { op: 'auth' }, zxid: this.state.lastZxid } }),
        (error) => settle({ ok: false, error }),
      );
    });
    await promise;
  }

  private closeSession(sessionId: SessionId, reason: 'closed' | 'expired'): Promise<void> {
    if (this.prep.isClosing(sessionId) || this.closingReasons.has(sessionId) || !this.state.sessions.has(sessionId)) return Promise.resolve();
    this.closingReasons.set(sessionId, reason);
    this.logger.debug({ sessionId: hex(sessionId), reason }, 'closing session');
    if (!this.replicator.preparesWrites) {
      return this.forwardAndWait({ kind: 'closeSession', sessionId, cxid: this.nextCxid() }).then(
        () => undefined,
        (error) => {
          this.closingReasons.delete(sessionId);
          throw error;
        },
      );
    }
    const zxid = this.replicator.nextZxid();
    if (zxid === null) {
      this.closingReasons.delete(sessionId);
      return Promise.reject(keeperError('ConnectionLoss', undefined, 'this server cannot propose now'));
    }
    this.expiry.remove(sessionId);
    const txn = this.prep.prepareCloseSession(sessionId, zxid);
    // The session's channel ends as the closeSession txn is applied (onCommitted).
    return this.propose(sessionId, 0, zxid, txn).then(() => undefined);
  }

  private onSessionClosed(sessionId: SessionId, reason: 'closed' | 'expired'): void {
    const channel = this.channels.get(sessionId);
    this.watches.removeWatcher(sessionId);
    if (channel === undefined) return;
    this.channels.delete(sessionId);
    channel.ended = true;
    const sink = channel.sink;
    channel.sink = null;
    channel.replies.cancelWaiting(keeperError('SessionExpired', undefined, `session 0x${sessionId.toString(16)} is ${reason}`));
    sink?.onSessionClosed(reason);
  }

  private expireSessions(): void {
    // Only the leader expires sessions: a learner hears of few of them (touches go to the leader).
    if (!this.replicator.preparesWrites && !mutant('learnerExpiresSessions')) return;
    for (const sessionId of this.expiry.expire(this.world.nowMs())) {
      this.logger.info({ sessionId: hex(sessionId) }, 'session expired');
      this.closeSession(sessionId, 'expired').catch((error) => this.logger.warn({ err: error, sessionId: hex(sessionId) }, 'could not expire the session now'));
    }
  }

  private allocateSessionId(): SessionId {
    let sessionId = this.nextSessionId++;
    while (this.state.sessions.has(sessionId)) sessionId = this.nextSessionId++;
    assert(Number.isSafeInteger(sessionId) && sessionId > 0, 'session ids are positive safe integers');
    return sessionId;
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  submitOnChannel(channel: SessionChannel, request: Request, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    const refuse = (error: KeeperError) => {
      onAnswer?.({ ok: false, error });
      return Promise.reject(error);
    };
    if (channel.ended) return refuse(keeperError('SessionExpired'));
    this.touch(channel);
    if (channel.replies.full) return refuse(keeperError('Throttled', undefined, 'too many outstanding requests on this session'));
    return this.submit(request, { sessionId: channel.sessionId, identities: channel.identities, replies: channel.replies, watcher: channel.sessionId }, onAnswer);
  }

  submitStateless(request: Request, identities: AuthId[]): Promise<Answer> {
    if (request.op === 'create' && isEphemeral(request.mode)) {
      return Promise.reject(keeperError('BadArguments', request.path, 'ephemeral nodes need a session'));
    }
    if (request.op === 'multi' && request.ops.some((op) => op.op === 'create' && isEphemeral(op.mode))) {
      return Promise.reject(keeperError('BadArguments', undefined, 'ephemeral nodes need a session'));
    }
    const sessionOps = ['addWatch', 'removeWatches', 'checkWatches', 'setWatches', 'auth', 'getEphemerals'];
    if (sessionOps.includes(request.op)) return Promise.reject(keeperError('BadArguments', undefined, `${request.op} needs a session`));
    return this.submit(request, { sessionId: 0, identities, replies: new OrderedReplies<Answer>(1), watcher: null });
  }

  private submit(request: Request, origin: Origin, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    // A member without a leader answers nothing, reads included: its tree may be arbitrarily old.
    const refusal = this.stopping ? 'the server is shutting down' : !this.replicator.serving ? 'this server has no leader now: try another server' : null;
    if (refusal !== null) {
      const error = keeperError('ConnectionLoss', undefined, refusal);
      onAnswer?.({ ok: false, error });
      return Promise.reject(error);
    }
    this.stats.requests++;
    if (isWriteRequest(request)) return this.submitWrite(request, origin, onAnswer);
    return origin.replies.reserve((settle) => {
      try {
        const response = this.executeNow(request as ReadRequest | SessionRequest, origin, settle);
        if (response !== null) settle({ ok: true, value: { response, zxid: this.state.lastZxid } });
      } catch (error) {
        settle({ ok: false, error: asKeeperError(error, this.logger) });
      }
    }, onAnswer).promise;
  }

  private submitWrite(request: WriteRequest, origin: Origin, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    this.stats.writes++;
    const { promise, settle } = origin.replies.reserve(undefined, onAnswer);
    if (!this.replicator.preparesWrites) {
      this.forwardWrite(request, origin, settle);
      return promise;
    }
    const zxid = this.replicator.nextZxid();
    if (zxid === null) {
      settle({ ok: false, error: keeperError('ConnectionLoss', undefined, 'this server cannot take writes now') });
      return promise;
    }
    let txn: Txn;
    try {
      txn = this.prep.prepare(request, this.prepContext(origin, zxid));
    } catch (error) {
      // Answer a refused write only once everything prepared before it is applied: the refusal
      // may rest on a pending change, which must be durable before anyone hears of it.
      const barrier = this.replicator.lastProposedZxid;
      if (error instanceof MultiFailure) {
        this.afterApplied(barrier, () => settle({ ok: true, value: { response: { op: 'multi', results: error.results }, zxid: this.state.lastZxid } }));
      } else {
        const failure = asKeeperError(error, this.logger);
        this.afterApplied(barrier, () => settle({ ok: false, error: failure }));
      }
      return promise;
    }
    // Settled as the txn is applied, not a microtask later: when one fsync makes many txns
    // durable they are applied back to back, and a read of this session queued behind this
    // write must run before the session's later writes are applied (FIFO, not just
    // read-your-writes).
    this.propose(origin.sessionId, 0, zxid, txn, (result) =>
      settle(result.ok ? { ok: true, value: { response: result.value!, zxid } } : { ok: false, error: result.error }),
    ).catch(() => undefined);
    return promise;
  }

  /** A learner's write goes to the leader; its answer comes with the txn, or as a reply. */
  private forwardWrite(request: WriteRequest, origin: Origin, settle: (result: Settle<Answer>) => void): void {
    const cxid = this.nextCxid();
    const key = requestKey(origin.sessionId, cxid);
    this.forwardedWrites.set(key, (result) => settle(result.ok ? { ok: true, value: { response: result.value!, zxid: this.state.lastZxid } } : { ok: false, error: result.error }));
    const sent = this.replicator.forward({ kind: 'request', sessionId: origin.sessionId, cxid, identities: [...origin.identities], request });
    if (!sent) {
      this.forwardedWrites.delete(key);
      settle({ ok: false, error: keeperError('ConnectionLoss', undefined, 'this server has no leader now') });
    }
  }

  private forwardAndWait(message: Extract<ForwardedMessage, { cxid: number }>): Promise<Response | undefined> {
    return new Promise((resolve, reject) => {
      const key = requestKey(message.sessionId, message.cxid);
      this.forwardedWrites.set(key, (result) => (result.ok ? resolve(result.value) : reject(result.error)));
      if (!this.replicator.forward(message)) {
        this.forwardedWrites.delete(key);
        reject(keeperError('ConnectionLoss', undefined, 'this server has no leader now'));
      }
    });
  }

  /** Unique per server (the server id in the top bits), so (session, cxid) names one request. */
  private nextCxid(): number {
    this.nextCxidCounter = (this.nextCxidCounter + 1) & 0x7f_ffff;
    return (this.settings.serverId << 23) | this.nextCxidCounter;
  }

  private prepContext(origin: Pick<Origin, 'sessionId' | 'identities'>, zxid: Zxid): PrepContext {
    return {
      sessionId: origin.sessionId,
      identities: origin.identities,
      superDigest: this.settings.superDigest,
      zxid,
      maxDataBytes: this.settings.maxDataBytes,
      extendedTypesEnabled: this.settings.extendedTypesEnabled,
    };
  }

  /** Runs a read or session request; returns null when it answers later through `settle`. */
  private executeNow(request: ReadRequest | SessionRequest, origin: Origin, settle: (result: Settle<Answer>) => void): Response | null {
    switch (request.op) {
      case 'sync': {
        validatePath(request.path);
        const path = request.path;
        const done = () => settle({ ok: true, value: { response: { op: 'sync', path }, zxid: this.state.lastZxid } });
        if (this.replicator.preparesWrites) this.afterApplied(this.replicator.lastProposedZxid, done);
        else if (!this.replicator.sync(done, (error) => settle({ ok: false, error }))) throw keeperError('ConnectionLoss', path, 'this server has no leader now');
        return null;
      }
      case 'addWatch': {
        validatePath(request.path);
        const kind = request.mode === AddWatchMode.PERSISTENT_RECURSIVE ? 'persistentRecursive' : 'persistent';
        this.watches.add(kind, request.path, origin.watcher!);
        return { op: 'addWatch' };
      }
      case 'removeWatches':
      case 'checkWatches': {
        validatePath(request.path);
        const watcher = origin.watcher!;
        if (request.op === 'checkWatches') {
          if (!this.watches.has(request.path, watcher, request.type)) throw keeperError('NoWatcher', request.path);
          return { op: 'checkWatches' };
        }
        const removed = this.watches.remove(request.path, watcher, request.type, this.state.lastZxid);
        if (removed === null) throw keeperError('NoWatcher', request.path);
        // The watcher learns of the removal (DataWatchRemoved, ...) before the answer, as a
        // ZooKeeper client's watcher does.
        for (const event of removed) this.deliver(watcher, event);
        return { op: 'removeWatches' };
      }
      case 'setWatches': {
        const events = applySetWatches(request, this.state.tree, this.watches, origin.watcher!, this.state.lastZxid);
        for (const event of events) this.deliver(origin.watcher!, event);
        return { op: 'setWatches' };
      }
      case 'auth': {
        const id = authenticate(request.scheme, request.credentials);
        if (!origin.identities.some((known) => known.scheme === id.scheme && known.id === id.id)) origin.identities.push(id);
        return { op: 'auth' };
      }
      case 'whoAmI':
        return { op: 'whoAmI', clientInfo: origin.identities.map((id) => ({ authScheme: id.scheme, user: id.id })) };
      default:
        this.stats.reads++;
        return executeRead(request, {
          tree: this.state.tree,
          watches: this.watches,
          watcher: origin.watcher,
          sessionId: origin.sessionId,
          identities: origin.identities,
          superDigest: this.settings.superDigest,
        });
    }
  }

  watchStateless(path: string, recursive: boolean, identities: AuthId[], onEvent: (event: WatchEvent) => void): Unsubscribe {
    validatePath(path);
    const node = this.state.tree.get(path);
    if (node !== undefined && !checkACL(node.acl, Perms.READ, identities, this.settings.superDigest)) throw keeperError('NoAuth', path);
    const watcher = this.nextStatelessWatcher--;
    this.statelessWatchers.set(watcher, { identities: [...identities], onEvent });
    this.watches.add(recursive ? 'persistentRecursive' : 'persistent', path, watcher);
    return () => {
      this.statelessWatchers.delete(watcher);
      this.watches.removeWatcher(watcher);
    };
  }

  // ------------------------------------------------------------------------------------------
  // Propose → durable → apply

  private proposeAndWait(sessionId: SessionId, cxid: number, txn: Txn): Promise<Response | undefined> {
    const zxid = this.replicator.nextZxid();
    if (zxid === null) return Promise.reject(keeperError('ConnectionLoss', undefined, 'this server cannot take writes now'));
    return this.propose(sessionId, cxid, zxid, txn);
  }

  /** `onApplied`, when given, runs synchronously right after the txn is applied. */
  private propose(
    sessionId: SessionId,
    cxid: number,
    zxid: Zxid,
    txn: Txn,
    onApplied?: (result: Settle<Response | undefined>) => void,
  ): Promise<Response | undefined> {
    const record: TxnRecord = { header: { sessionId, cxid, zxid, time: this.world.nowMs() }, txn };
    if (mutant('watchBeforeApply') && txn.type === 'setData') this.fire({ path: txn.path, type: EventType.NodeDataChanged }, zxid);
    return new Promise((resolve, reject) => {
      this.inFlight.set(zxid, (result) => {
        onApplied?.(result);
        if (result.ok) resolve(result.value);
        else reject(result.error);
      });
      this.replicator.propose(record);
    });
  }

  onCommitted(record: TxnRecord): void {
    const zxid = record.header.zxid;
    // Guarded so the hot path does not build the message.
    if (!(zxid === this.state.lastZxid + 1 || zxidEpoch(zxid) > zxidEpoch(this.state.lastZxid))) assert(false, `txn ${hex(zxid)} applies right after ${hex(this.state.lastZxid)}`);
    const previousZxid = this.state.lastZxid;
    const result = this.state.apply(record);
    this.observer?.applied(record, previousZxid, this.state);
    this.prep.applied(zxid, record.txn.type === 'closeSession' ? record.header.sessionId : undefined);
    for (const trigger of result.triggers) this.fire(trigger, zxid);
    const answer = this.inFlight.get(zxid);
    this.inFlight.delete(zxid);
    answer?.({ ok: true, value: result.response });
    if (this.forwardedWrites.size > 0) {
      // Only a learner forwards writes; a leader or standalone server skips the key building.
      const key = requestKey(record.header.sessionId, record.header.cxid);
      const forwarded = this.forwardedWrites.get(key);
      if (forwarded !== undefined) {
        this.forwardedWrites.delete(key);
        forwarded({ ok: true, value: result.response });
      }
    }
    if (record.txn.type === 'closeSession') {
      const reason = this.closingReasons.get(record.header.sessionId) ?? 'expired';
      this.closingReasons.delete(record.header.sessionId);
      this.expiry.remove(record.header.sessionId);
      this.onSessionClosed(record.header.sessionId, reason);
    }
    this.releaseWaiters();
    if (++this.txnsSinceSnapshot >= this.settings.snapCount) this.startSnapshot();
  }

  /** Tells every watch this change sets off; one-shot watches are used up. */
  private fire(trigger: WatchTrigger, zxid: Zxid): void {
    for (const notification of this.watches.trigger(trigger, zxid)) {
      if (notification.lasting && !this.mayHear(notification.watcher, notification.event)) continue;
      this.deliver(notification.watcher, notification.event);
    }
  }

  private deliver(watcher: WatcherId, event: WatchEvent): void {
    if (watcher > 0) this.channels.get(watcher)?.sink?.onEvent(event);
    else this.statelessWatchers.get(watcher)?.onEvent(event);
  }

  /**
   * A persistent watch reports changes anywhere under its path: the watcher hears of a node only
   * if it may read it (a deleted node: if it may list its parent, which would show the name).
   */
  private mayHear(watcher: WatcherId, event: WatchEvent): boolean {
    const identities = watcher > 0 ? this.channels.get(watcher)?.identities : this.statelessWatchers.get(watcher)?.identities;
    if (identities === undefined) return false;
    const path = event.type === EventType.NodeDeleted ? parentOf(event.path) : event.path;
    const node = this.state.tree.get(path);
    return node === undefined || checkACL(node.acl, Perms.READ, identities, this.settings.superDigest);
  }

  private afterApplied(zxid: Zxid, run: () => void): void {
    if (this.state.lastZxid >= zxid) {
      run();
      return;
    }
    this.waiters.push({ zxid, run });
  }

  private releaseWaiters(): void {
    let released = 0;
    while (released < this.waiters.length && this.waiters[released]!.zxid <= this.state.lastZxid) released++;
    if (released === 0) return;
    for (const waiter of this.waiters.splice(0, released)) waiter.run();
  }

  // ------------------------------------------------------------------------------------------
  // Reaping, snapshots, shutdown

  /** Removes empty containers that once had children and TTL nodes unmodified past their TTL. */
  private reap(): void {
    if (this.stopping) return;
    const candidates = reapCandidates(this.state.tree, this.world.nowMs());
    for (const path of candidates) {
      const zxid = this.replicator.nextZxid();
      if (zxid === null) return; // not ours to reap now: the leader does it
      const txn = this.prep.prepareDeleteContainer(path, zxid);
      if (txn === null) continue;
      this.propose(0, 0, zxid, txn).catch((error) => this.logger.warn({ err: error, path }, 'could not reap the node now'));
    }
  }

  private startSnapshot(): void {
    if (this.snapshotting !== null) return;
    this.txnsSinceSnapshot = 0;
    const startedMs = this.world.nowMs();
    this.snapshotting = this.persistence
      .snapshot(this.state)
      .then(() => {
        this.stats.snapshots++;
        this.stats.lastSnapshotMs = this.world.nowMs() - startedMs;
        this.logger.info({ zxid: hex(this.state.lastZxid), durationMs: this.stats.lastSnapshotMs }, 'snapshot written');
      })
      .catch((error) => this.logger.error({ err: error }, 'snapshot failed; the log still holds every txn'))
      .finally(() => (this.snapshotting = null));
  }

  /** Takes a snapshot now (admin command and tests). */
  async snapshotNow(): Promise<void> {
    this.startSnapshot();
    await this.snapshotting;
  }

  /** Stop accepting, let in-flight writes become durable and apply, then close the log. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) timer.cancel();
    const pending = [...this.inFlight.keys()];
    if (pending.length > 0) {
      // Bounded: in an ensemble the leader may be gone (every server stopping at once), and then
      // these writes never commit here. Unacknowledged, they are not lost; a stop that never
      // ends would be.
      let timer: Timer | undefined;
      const applied = new Promise<void>((resolve) => this.afterApplied(Math.max(...pending), resolve));
      const waited = await Promise.race([applied.then(() => true), new Promise<false>((resolve) => (timer = this.world.after(STOP_DRAIN_MS, () => resolve(false))))]);
      timer?.cancel();
      if (!waited) this.logger.warn({ pending: pending.length, waitedMs: STOP_DRAIN_MS }, 'stopping with writes that did not commit in time (none was acknowledged)');
    }
    if (this.snapshotting !== null) await this.snapshotting;
    for (const channel of [...this.channels.values()]) {
      channel.ended = true;
      channel.sink?.onSessionClosed('shutdown');
    }
    this.channels.clear();
    await this.replicator.stop();
    await this.persistence.close();
  }

  // ------------------------------------------------------------------------------------------
  // What the replicator tells us

  onForwarded(from: ServerId, message: ForwardedMessage): void {
    switch (message.kind) {
      case 'touch':
        for (const [sessionId, timeoutMs] of message.sessions) if (this.expiry.has(sessionId)) this.expiry.touch(sessionId, timeoutMs, this.world.nowMs());
        return;
      case 'createSession':
        this.proposeForwarded(from, message, () => ({ type: 'createSession', timeoutMs: this.negotiateTimeout(message.timeoutMs), password: message.password }));
        return;
      case 'closeSession':
        if (!this.state.sessions.has(message.sessionId) || this.prep.isClosing(message.sessionId)) {
          this.replicator.reply(from, { sessionId: message.sessionId, cxid: message.cxid, error: errorOf(keeperError('SessionExpired')) });
          return;
        }
        this.proposeForwarded(from, message, (zxid) => {
          this.expiry.remove(message.sessionId);
          return this.prep.prepareCloseSession(message.sessionId, zxid);
        });
        return;
      case 'request':
        this.proposeForwarded(from, message, (zxid) =>
          this.prep.prepare(message.request, this.prepContext({ sessionId: message.sessionId, identities: message.identities }, zxid)),
        );
        return;
    }
  }

  /** Leader: prepares a learner's write; a refusal goes back as a reply after earlier commits. */
  private proposeForwarded(from: ServerId, message: { sessionId: SessionId; cxid: number }, prepare: (zxid: Zxid) => Txn): void {
    const zxid = this.replicator.nextZxid();
    if (zxid === null) {
      this.replicator.reply(from, { sessionId: message.sessionId, cxid: message.cxid, error: errorOf(keeperError('ConnectionLoss')) });
      return;
    }
    let txn: Txn;
    try {
      txn = prepare(zxid);
    } catch (error) {
      if (error instanceof MultiFailure) this.replicator.reply(from, { sessionId: message.sessionId, cxid: message.cxid, multiResults: error.results });
      else this.replicator.reply(from, { sessionId: message.sessionId, cxid: message.cxid, error: errorOf(asKeeperError(error, this.logger)) });
      return;
    }
    if (txn.type === 'createSession') this.expiry.touch(message.sessionId, txn.timeoutMs, this.world.nowMs());
    this.propose(message.sessionId, message.cxid, zxid, txn).catch(() => undefined);
  }

  onForwardReply(reply: ForwardReply): void {
    const key = requestKey(reply.sessionId, reply.cxid);
    const pending = this.forwardedWrites.get(key);
    if (pending === undefined) return;
    this.forwardedWrites.delete(key);
    if ('multiResults' in reply) pending({ ok: true, value: { op: 'multi', results: reply.multiResults } });
    else pending({ ok: false, error: keeperErrorFromReply(reply.error) });
  }

  onRoleChanged(role: ReplicationRole, serving: boolean): void {
    this.logger.info({ role, serving }, 'replication role changed');
    if (role === 'leader' && serving) {
      // A new leader: nothing is pending, and every session gets a full timeout from now.
      this.prep = new Prep(this.state.tree);
      this.expiry = new ExpiryQueue(this.settings.tickTimeMs);
      const now = this.world.nowMs();
      for (const [sessionId, info] of this.state.sessions) this.expiry.touch(sessionId, info.timeoutMs, now);
      return;
    }
    this.prep.reset();
    if (serving) return;
    // Without a leader this server cannot answer its sessions: end their channels so the clients
    // resume them on another server (the sessions live on; their watches go with the channel).
    for (const channel of [...this.channels.values()]) this.retireChannel(channel, 'unavailable');
    // The leader is gone: what was proposed or forwarded has an unknown outcome.
    const lost = keeperError('ConnectionLoss', undefined, 'the server lost its leader');
    for (const settle of this.forwardedWrites.values()) settle({ ok: false, error: lost });
    this.forwardedWrites.clear();
    for (const settle of this.inFlight.values()) settle({ ok: false, error: lost });
    this.inFlight.clear();
    this.closingReasons.clear();
  }

  currentState(): ReplicatedState {
    return this.state;
  }

  replaceState(state: ReplicatedState): void {
    this.observer?.replaced(this.state.lastZxid, state);
    this.state = state;
    this.prep = new Prep(state.tree);
    this.releaseWaiters();
  }

  onFailure(error: unknown): void {
    this.fatal(error);
  }

  private fatal(error: unknown): void {
    // A failed fsync or a broken invariant: continuing could acknowledge what is not durable.
    // (A simulated server's halt returns, but its world is dead: nothing it does reaches anyone.)
    this.logger.fatal({ err: error }, 'fatal storage or invariant failure; stopping');
    this.world.halt(70);
  }
}

interface Origin {
  sessionId: SessionId;
  identities: AuthId[];
  replies: OrderedReplies<Answer>;
  watcher: WatcherId | null;
}

function asKeeperError(error: unknown, logger: Logger): KeeperError {
  if (isKeeperError(error)) return error;
  logger.error({ err: error }, 'unexpected error while serving a request');
  return keeperError('SystemError', undefined, 'unexpected server error');
}

function errorOf(error: KeeperError): { code: number; name: string; message: string; path?: string } {
  return error.path === undefined ? { code: error.code, name: error.codeName, message: error.message } : { code: error.code, name: error.codeName, message: error.message, path: error.path };
}

function keeperErrorFromReply(error: { name: string; message: string; path?: string }): KeeperError {
  const name = (error.name in ERRORS ? error.name : 'SystemError') as ErrorName;
  return keeperError(name, error.path, error.message);
}

function samePassword(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

/**
 * Session ids: the server id in the top bits, then a counter started from the clock, so ids stay
 * unique across restarts (fewer than 256 sessions per millisecond) and fit a safe integer.
 */
export function initialSessionId(serverId: number, nowMs: number): SessionId {
  assert(serverId >= 0 && serverId < 256, 'server id fits 8 bits');
  return serverId * 2 ** 45 + (nowMs % 2 ** 37) * 2 ** 8 + 1;
}
