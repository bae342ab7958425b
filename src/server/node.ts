// A Cairn server node: the composition of its parts over the state it owns, and what the facades
// and the replicator talk to. Each part owns its own collections:
// - sessions.ts: the session table (channels, connect and resume, heartbeats, expiry, closing);
// - pipeline.ts: the write pipeline (prep → propose → commit → apply → reply), reads, waiters;
// - learner-forwarding.ts: a learner's forwarded writes, and the leader's handling of them;
// - watch-delivery.ts: who hears of a change; maintenance.ts: reaping and snapshots.
// The node holds the replicated state and the prep over it (both replaced wholesale), and carries
// out what the replicator tells it in the order written here, which the parts rely on.

import type { Logger } from 'pino';
import type { AuthId } from '../core/acl.js';
import { keeperError } from '../core/errors.js';
import { Prep } from '../core/prep.js';
import type { ReplicatedState } from '../core/state.js';
import { WatchManager } from '../core/watches.js';
import { zxidEpoch, type Request, type TxnRecord, type WatchEvent, type Zxid } from '../core/types.js';
import type { ConnectOptions, EventReaders, ServerFacade, SessionHandle, SessionSink, Unsubscribe } from './facade.js';
import type { ForwardedMessage, ForwardReply } from './forwarding.js';
import { ForwardedRequestHandler, LearnerForwarder } from './learner-forwarding.js';
import { Maintenance } from './maintenance.js';
import type { Persistence } from './persistence.js';
import { WritePipeline, type Answer } from './pipeline.js';
import { LocalReplicator, type ReplicationListener, type ReplicationRole, type Replicator } from './replicator.js';
import { SessionTable, type SessionInfoEntry } from './sessions.js';
import { WatchDelivery } from './watch-delivery.js';
import type { ServerId } from '../zab/types.js';
import type { Timer, World } from './world.js';

export type { SessionInfoEntry } from './sessions.js';

export interface NodeSettings {
  serverId: number;
  tickTimeMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxDataBytes: number;
  extendedTypesEnabled: boolean;
  /** Refuse writes over a hard quota (ZooKeeper's zookeeper.enforceQuota). */
  enforceQuota: boolean;
  superDigest: string | undefined;
  snapCount: number;
  containerCheckIntervalMs: number;
  /** Unanswered requests one session may have before it is throttled. */
  sessionOutstandingLimit: number;
}

/** Told of every txn a node applies, right after it is applied (before watches fire). */
export interface NodeObserver {
  /** A leader (or a standalone server) made this txn and proposes it: every txn is born here. */
  proposed(record: TxnRecord): void;
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

export class CairnNode implements ServerFacade, ReplicationListener {
  readonly watches = new WatchManager();
  readonly stats = { requests: 0, writes: 0, reads: 0, snapshots: 0, lastSnapshotMs: 0 };
  /**
   * Replaced wholesale: the state when a leader's snapshot is installed or the state is rebuilt,
   * the prep with it and when this server starts leading.
   */
  private readonly current: { state: ReplicatedState; prep: Prep };
  private readonly replicator: Replicator;
  private readonly forwarder: LearnerForwarder;
  private readonly delivery: WatchDelivery;
  private readonly pipeline: WritePipeline;
  private readonly sessions: SessionTable;
  private readonly forwardedRequests: ForwardedRequestHandler;
  private readonly maintenance: Maintenance;
  private readonly timers: Timer[] = [];
  private stopping = false;
  private readonly startedAtMs: number;
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
    const { state, persistence, settings, logger, world } = options;
    this.persistence = persistence;
    this.settings = settings;
    this.logger = logger;
    this.world = world;
    this.startedAtMs = world.nowMs();
    const current = { state, prep: new Prep(state.tree) };
    this.current = current;
    const replicator = options.makeReplicator?.(this) ?? new LocalReplicator(persistence, zxidEpoch(state.lastZxid) + 1, state.lastZxid, this);
    this.replicator = replicator;
    const { watches, stats, observer } = this;
    const refusal = () => this.refusal();
    const forwarder = new LearnerForwarder({ current, replicator, serverId: settings.serverId });
    // A session's events go to its channel in the session table, which is built after the
    // pipeline it submits to.
    const delivery = new WatchDelivery({ current, watches, superDigest: settings.superDigest, channelOf: (sessionId) => this.sessions.channelOf(sessionId) });
    const pipeline = new WritePipeline({ current, replicator, watches, delivery, forwarder, settings, stats, refusal, observer, world, logger });
    const sessions = new SessionTable({ current, replicator, watches, pipeline, forwarder, settings, refusal, world, logger });
    const isStopping = () => this.stopping;
    this.forwarder = forwarder;
    this.delivery = delivery;
    this.pipeline = pipeline;
    this.sessions = sessions;
    this.forwardedRequests = new ForwardedRequestHandler({ current, replicator, sessions, pipeline, logger });
    this.maintenance = new Maintenance({ current, replicator, pipeline, persistence, stats, snapCount: settings.snapCount, isStopping, world, logger });
  }

  async start(): Promise<void> {
    await this.replicator.start();
    const sessionCheckMs = Math.max(10, Math.floor(this.settings.tickTimeMs / 2));
    this.timers.push(this.world.every(sessionCheckMs, () => this.sessions.expireSessions()));
    this.timers.push(this.world.every(sessionCheckMs, () => this.sessions.sendTouches()));
    this.timers.push(this.world.every(this.settings.containerCheckIntervalMs, () => this.maintenance.reap()));
  }

  /** The state as applied now. */
  get state(): ReplicatedState {
    return this.current.state;
  }

  lastZxid(): Zxid {
    return this.current.state.lastZxid;
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
    return this.current.state.sessions.size;
  }

  get outstandingCount(): number {
    return this.pipeline.outstanding;
  }

  /** What admin commands, four-letter words and metrics report. */
  info(): NodeInfo {
    const tree = this.current.state.tree;
    let ephemeralCount = 0;
    for (const sessionId of tree.sessionsWithEphemerals()) ephemeralCount += tree.ephemeralsOf(sessionId).size;
    return {
      serverState: this.replicator.role,
      epoch: this.replicator.epoch,
      startedAtMs: this.startedAtMs,
      lastZxid: this.current.state.lastZxid,
      lastProposedZxid: this.replicator.lastProposedZxid,
      digest: tree.digest(),
      znodeCount: tree.size,
      ephemeralCount,
      watchCount: this.watches.watchCount,
      sessionCount: this.current.state.sessions.size,
      attachedSessionCount: this.sessions.attachedCount,
      outstandingWrites: this.pipeline.outstanding,
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
    return this.sessions.info();
  }

  /**
   * Why this server takes no requests now, or null. A member without a leader answers nothing,
   * reads included: its tree may be arbitrarily old.
   */
  private refusal(): string | null {
    if (this.stopping) return 'the server is shutting down';
    return this.replicator.serving ? null : 'this server has no leader now: try another server';
  }

  // ------------------------------------------------------------------------------------------
  // What the facades ask

  connect(options: ConnectOptions, sink: SessionSink): Promise<SessionHandle> {
    return this.sessions.connect(options, sink);
  }

  submitStateless(request: Request, identities: AuthId[]): Promise<Answer> {
    return this.pipeline.submitStateless(request, identities);
  }

  watchStateless(path: string, recursive: boolean, identities: AuthId[], onEvent: (event: WatchEvent) => void): Unsubscribe {
    return this.delivery.watchStateless(path, recursive, identities, onEvent);
  }

  watchAllChanges(onEvent: (event: WatchEvent, readers: EventReaders) => void): Unsubscribe {
    return this.delivery.watchAllChanges(onEvent);
  }

  /** Takes a snapshot now (admin command and tests). */
  snapshotNow(): Promise<void> {
    return this.maintenance.snapshotNow();
  }

  /** Stop accepting, let in-flight writes become durable and apply, then close the log. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) timer.cancel();
    await this.pipeline.drain();
    const snapshot = this.maintenance.snapshotInProgress;
    if (snapshot !== null) await snapshot;
    this.sessions.endChannelsForShutdown();
    await this.replicator.stop();
    await this.persistence.close();
  }

  // ------------------------------------------------------------------------------------------
  // What the replicator tells us

  /**
   * In this order: the pipeline applies the txn (the observer hears of it, its watches fire, this
   * server's proposer is answered); a write this learner forwarded is answered; a closed session's
   * channel ends; answers waiting for this zxid go; then a snapshot, if one is due.
   */
  onCommitted(record: TxnRecord): void {
    const response = this.pipeline.apply(record);
    this.forwarder.onApplied(record, response);
    if (record.txn.type === 'closeSession') this.sessions.onSessionClosed(record.header.sessionId);
    this.pipeline.releaseWaiters();
    this.maintenance.onApplied();
  }

  onForwarded(from: ServerId, message: ForwardedMessage): void {
    this.forwardedRequests.onForwarded(from, message);
  }

  onForwardReply(reply: ForwardReply): void {
    this.forwarder.onForwardReply(reply);
  }

  onRoleChanged(role: ReplicationRole, serving: boolean): void {
    this.logger.info({ role, serving }, 'replication role changed');
    if (role === 'leader' && serving) {
      // A new leader: nothing is pending, and every session gets a full timeout from now.
      this.current.prep = new Prep(this.current.state.tree);
      this.sessions.onLeading();
      return;
    }
    this.current.prep.reset();
    if (serving) return;
    // Without a leader this server cannot answer its sessions: end their channels so the clients
    // resume them on another server (the sessions live on; their watches go with the channel).
    // First: failing a write below releases the requests queued behind it in its session, and a
    // read among them would run on this stale tree; an ended channel cancels them instead.
    this.sessions.retireAllChannels();
    // The leader is gone: what was proposed or forwarded has an unknown outcome.
    const lost = keeperError('ConnectionLoss', undefined, 'the server lost its leader');
    this.forwarder.failAll(lost);
    this.pipeline.failInFlight(lost);
    this.sessions.forgetClosingReasons();
  }

  currentState(): ReplicatedState {
    return this.current.state;
  }

  replaceState(state: ReplicatedState): void {
    this.observer?.replaced(this.current.state.lastZxid, state);
    this.current.state = state;
    this.current.prep = new Prep(state.tree);
    this.pipeline.releaseWaiters();
  }

  onFailure(error: unknown): void {
    // A failed fsync or a broken invariant: continuing could acknowledge what is not durable.
    // (A simulated server's halt returns, but its world is dead: nothing it does reaches anyone.)
    this.logger.fatal({ err: error }, 'fatal storage or invariant failure; stopping');
    this.world.halt(70);
  }
}
