// The session table (ZooKeeper's SessionTracker): the channels of the sessions attached to this
// server, opening and resuming sessions, heartbeats, expiry in time buckets, closing sessions and
// ending channels. Only the leader (or a standalone server) expires sessions; a learner tells the
// leader which of its sessions it heard from. Opening and closing a session are txns like any
// write: proposed through the pipeline where writes are prepared, forwarded by a learner.

import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuthId } from '../core/acl.js';
import { assert, keeperError, type KeeperError } from '../core/errors.js';
import { ExpiryQueue } from '../core/expiry.js';
import { mutant } from '../core/mutants.js';
import type { Request, SessionId, Zxid } from '../core/types.js';
import type { WatchManager } from '../core/watches.js';
import type { ConnectOptions, SessionHandle, SessionSink } from './facade.js';
import type { LearnerForwarder } from './learner-forwarding.js';
import type { NodeSettings } from './node.js';
import { OrderedReplies, type Settle } from './ordered-replies.js';
import type { Answer, Current, WritePipeline } from './pipeline.js';
import type { Replicator } from './replicator.js';
import type { World } from './world.js';

export interface SessionInfoEntry {
  sessionId: SessionId;
  timeoutMs: number;
  attached: boolean;
  outstanding: number;
  identities: AuthId[];
  ephemerals: string[];
}

type CloseReason = 'closed' | 'expired';

/** A session's channel: its identities, its reply order, and where its events go. */
class SessionChannel implements SessionHandle {
  sink: SessionSink | null;
  readonly identities: AuthId[];
  readonly replies: OrderedReplies<Answer>;
  ended = false;

  constructor(
    private readonly table: SessionTable,
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
    return this.table.submitOnChannel(this, request, onAnswer);
  }

  ping(): Zxid {
    this.table.touch(this);
    return this.table.lastZxid();
  }

  close(): Promise<void> {
    return this.table.closeFromClient(this);
  }

  detach(): void {
    this.table.detach(this);
  }
}

export interface SessionTableOptions {
  current: Current;
  replicator: Pick<Replicator, 'preparesWrites' | 'nextZxid' | 'forward'>;
  watches: Pick<WatchManager, 'removeWatcher'>;
  pipeline: Pick<WritePipeline, 'submit' | 'propose' | 'proposeAndWait'>;
  forwarder: Pick<LearnerForwarder, 'forwardCreateSession' | 'forwardCloseSession'>;
  settings: Pick<NodeSettings, 'serverId' | 'tickTimeMs' | 'minSessionTimeoutMs' | 'maxSessionTimeoutMs' | 'sessionOutstandingLimit'>;
  /** Why this server takes no requests now, or null when it does. */
  refusal: () => string | null;
  world: World;
  logger: Logger;
}

export class SessionTable {
  private readonly channels = new Map<SessionId, SessionChannel>();
  /** Replaced when this server starts leading: every session gets a full timeout from then. */
  private expiry: ExpiryQueue<SessionId>;
  /** Why a session this server asked to close is closing (others closed by expiry). */
  private readonly closingReasons = new Map<SessionId, CloseReason>();
  /** Sessions heard from since the last touch sent to the leader. */
  private readonly touchedSessions = new Map<SessionId, number>();
  private nextSessionId: number;
  private readonly current: Current;
  private readonly replicator: SessionTableOptions['replicator'];
  private readonly watches: SessionTableOptions['watches'];
  private readonly pipeline: SessionTableOptions['pipeline'];
  private readonly forwarder: SessionTableOptions['forwarder'];
  private readonly settings: SessionTableOptions['settings'];
  private readonly refusal: () => string | null;
  private readonly world: World;
  private readonly logger: Logger;

  constructor(options: SessionTableOptions) {
    this.current = options.current;
    this.replicator = options.replicator;
    this.watches = options.watches;
    this.pipeline = options.pipeline;
    this.forwarder = options.forwarder;
    this.settings = options.settings;
    this.refusal = options.refusal;
    this.world = options.world;
    this.logger = options.logger;
    this.nextSessionId = initialSessionId(this.settings.serverId, this.world.nowMs());
    this.expiry = this.expiryFromNow();
  }

  get attachedCount(): number {
    return this.channels.size;
  }

  lastZxid(): Zxid {
    return this.current.state.lastZxid;
  }

  /** The channel of a session attached here, if any. */
  channelOf(sessionId: SessionId): SessionChannel | undefined {
    return this.channels.get(sessionId);
  }

  /** Every session: for `cons`, `dump` and the admin API. */
  info(): SessionInfoEntry[] {
    const state = this.current.state;
    return [...state.sessions].map(([sessionId, info]) => {
      const channel = this.channels.get(sessionId);
      return {
        sessionId,
        timeoutMs: info.timeoutMs,
        attached: channel !== undefined,
        outstanding: channel?.replies.outstanding ?? 0,
        identities: channel === undefined ? [] : channel.identities.map((id) => ({ ...id })),
        ephemerals: [...state.tree.ephemeralsOf(sessionId)].sort(),
      };
    });
  }

  negotiateTimeout(requestedMs: number): number {
    return Math.min(this.settings.maxSessionTimeoutMs, Math.max(this.settings.minSessionTimeoutMs, Math.floor(requestedMs)));
  }

  async connect(options: ConnectOptions, sink: SessionSink): Promise<SessionHandle> {
    const refusal = this.refusal();
    if (refusal !== null) throw keeperError('ConnectionLoss', undefined, refusal);
    const lastSeen = options.lastZxidSeen ?? 0;
    const lastZxid = this.current.state.lastZxid;
    if (lastSeen > lastZxid) {
      throw keeperError('ConnectionLoss', undefined, `the client has seen zxid 0x${lastSeen.toString(16)}, newer than this server's 0x${lastZxid.toString(16)}`);
    }
    if (options.sessionId !== undefined && options.sessionId !== 0) return this.resume(options, sink);
    const timeoutMs = this.negotiateTimeout(options.timeoutMs);
    const sessionId = this.allocateSessionId();
    const password = this.world.randomBytes(16);
    if (this.replicator.preparesWrites) await this.pipeline.proposeAndWait(sessionId, 0, { type: 'createSession', timeoutMs, password });
    else await this.forwarder.forwardCreateSession(sessionId, timeoutMs, password);
    return this.attach(sessionId, password, timeoutMs, sink, options.transportIds);
  }

  private resume(options: ConnectOptions, sink: SessionSink): SessionHandle {
    const sessionId = options.sessionId!;
    const info = this.current.state.sessions.get(sessionId);
    const password = options.password ?? new Uint8Array(0);
    if (info === undefined || this.current.prep.isClosing(sessionId) || !samePassword(info.password, password)) {
      throw keeperError('SessionExpired', undefined, `session 0x${sessionId.toString(16)} has expired or the password is wrong`);
    }
    const previous = this.channels.get(sessionId);
    if (previous !== undefined) this.retireChannel(previous, 'moved');
    return this.attach(sessionId, info.password, info.timeoutMs, sink, options.transportIds);
  }

  private attach(sessionId: SessionId, password: Uint8Array, timeoutMs: number, sink: SessionSink, transportIds: AuthId[]): SessionChannel {
    const channel = new SessionChannel(this, sessionId, password, timeoutMs, sink, transportIds, this.settings.sessionOutstandingLimit);
    this.channels.set(sessionId, channel);
    this.expiry.touch(sessionId, timeoutMs, this.world.nowMs());
    return channel;
  }

  submitOnChannel(channel: SessionChannel, request: Request, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    const refuse = (error: KeeperError) => {
      onAnswer?.({ ok: false, error });
      return Promise.reject(error);
    };
    if (channel.ended) return refuse(keeperError('SessionExpired'));
    this.touch(channel);
    if (channel.replies.full) return refuse(keeperError('Throttled', undefined, 'too many outstanding requests on this session'));
    return this.pipeline.submit(request, { sessionId: channel.sessionId, identities: channel.identities, replies: channel.replies, watcher: channel.sessionId }, onAnswer);
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

  /** This server cannot answer its sessions now: their clients resume them on another server. */
  retireAllChannels(): void {
    for (const channel of [...this.channels.values()]) this.retireChannel(channel, 'unavailable');
  }

  detach(channel: SessionChannel): void {
    if (!channel.ended) this.retireChannel(channel, 'detached');
  }

  /** The server stops: every channel ends; the sessions live on until they expire or resume elsewhere. */
  endChannelsForShutdown(): void {
    for (const channel of [...this.channels.values()]) {
      channel.ended = true;
      channel.sink?.onSessionClosed('shutdown');
    }
    this.channels.clear();
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

  /** Learner: tells the leader of the sessions heard from since the last touch. */
  sendTouches(): void {
    if (this.touchedSessions.size === 0 || this.replicator.preparesWrites) return;
    if (this.replicator.forward({ kind: 'touch', sessions: [...this.touchedSessions] })) this.touchedSessions.clear();
  }

  /** Leader: a learner heard from these sessions. */
  onTouches(sessions: [SessionId, number][]): void {
    for (const [sessionId, timeoutMs] of sessions) if (this.expiry.has(sessionId)) this.expiry.touch(sessionId, timeoutMs, this.world.nowMs());
  }

  /** Leader: a learner's session is being created. */
  startExpiring(sessionId: SessionId, timeoutMs: number): void {
    this.expiry.touch(sessionId, timeoutMs, this.world.nowMs());
  }

  /** Leader: the session is being closed. */
  stopExpiring(sessionId: SessionId): void {
    this.expiry.remove(sessionId);
  }

  /** This server now leads: every session gets a full timeout from now. */
  onLeading(): void {
    this.expiry = this.expiryFromNow();
  }

  private expiryFromNow(): ExpiryQueue<SessionId> {
    const expiry = new ExpiryQueue<SessionId>(this.settings.tickTimeMs);
    const now = this.world.nowMs();
    for (const [sessionId, info] of this.current.state.sessions) expiry.touch(sessionId, info.timeoutMs, now);
    return expiry;
  }

  expireSessions(): void {
    // Only the leader expires sessions: a learner hears of few of them (touches go to the leader).
    if (!this.replicator.preparesWrites && !mutant('learnerExpiresSessions')) return;
    for (const sessionId of this.expiry.expire(this.world.nowMs())) {
      this.logger.info({ sessionId: hex(sessionId) }, 'session expired');
      this.closeSession(sessionId, 'expired').catch((error) => this.logger.warn({ err: error, sessionId: hex(sessionId) }, 'could not expire the session now'));
    }
  }

  async closeFromClient(channel: SessionChannel): Promise<void> {
    if (channel.ended) return;
    // The close is ordered after every earlier request of the session.
    const { promise } = channel.replies.reserve((settle) => {
      this.closeSession(channel.sessionId, 'closed').then(
        () => settle({ ok: true, value: { response: { op: 'auth' }, zxid: this.current.state.lastZxid } }),
        (error) => settle({ ok: false, error }),
      );
    });
    await promise;
  }

  private closeSession(sessionId: SessionId, reason: CloseReason): Promise<void> {
    if (this.current.prep.isClosing(sessionId) || this.closingReasons.has(sessionId) || !this.current.state.sessions.has(sessionId)) return Promise.resolve();
    this.closingReasons.set(sessionId, reason);
    this.logger.debug({ sessionId: hex(sessionId), reason }, 'closing session');
    if (!this.replicator.preparesWrites) {
      return this.forwarder.forwardCloseSession(sessionId).then(
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
    const txn = this.current.prep.prepareCloseSession(sessionId, zxid);
    // The session's channel ends as the closeSession txn is applied (onSessionClosed).
    return this.pipeline.propose(sessionId, 0, zxid, txn).then(() => undefined);
  }

  /** A closeSession txn was applied: the channel ends, for the reason this server closed it, else expiry. */
  onSessionClosed(sessionId: SessionId): void {
    const reason = this.closingReasons.get(sessionId) ?? 'expired';
    this.closingReasons.delete(sessionId);
    this.expiry.remove(sessionId);
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

  /** The leader is gone: the closes this server asked for have an unknown outcome. */
  forgetClosingReasons(): void {
    this.closingReasons.clear();
  }

  private allocateSessionId(): SessionId {
    let sessionId = this.nextSessionId++;
    while (this.current.state.sessions.has(sessionId)) sessionId = this.nextSessionId++;
    assert(Number.isSafeInteger(sessionId) && sessionId > 0, 'session ids are positive safe integers');
    return sessionId;
  }
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
