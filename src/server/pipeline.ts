// The write pipeline, ZooKeeper's prep → propose → commit → apply → reply. Every facade's request
// comes in here with its origin. A read or a session request runs in the session's reply order; a
// write is prepared against the tree and the changes still pending, proposed, and answered as its
// txn is applied, which is also when its watches fire. Answers that must wait until a zxid is
// applied (a refused write, a sync) wait here as well.

import type { Logger } from 'pino';
import { authenticate, whoAmIUser, type AuthId } from '../core/acl.js';
import { assert, isKeeperError, keeperError, type KeeperError } from '../core/errors.js';
import { mutant } from '../core/mutants.js';
import { validatePath } from '../core/path.js';
import { MultiFailure, type Prep } from '../core/prep.js';
import { applySetWatches, executeRead } from '../core/read.js';
import type { ReplicatedState } from '../core/state.js';
import {
  AddWatchMode,
  EventType,
  isEphemeral,
  isWriteRequest,
  zxidEpoch,
  type ReadRequest,
  type CheckWatchesRequest,
  type RemoveWatchesRequest,
  type Request,
  type Response,
  type SessionId,
  type SessionRequest,
  type Txn,
  type TxnRecord,
  type WriteRequest,
  type Zxid,
} from '../core/types.js';
import type { WatcherId, WatchManager } from '../core/watches.js';
import type { LearnerForwarder } from './learner-forwarding.js';
import type { NodeObserver, NodeSettings } from './node.js';
import { OrderedReplies, type Settle } from './ordered-replies.js';
import type { Replicator } from './replicator.js';
import type { WatchDelivery } from './watch-delivery.js';
import type { Timer, World } from './world.js';

/** How long a stop waits for writes in flight to commit and apply. */
const STOP_DRAIN_MS = 5_000;

/** At most one soft-quota warning logged per this long (ZooKeeper rate-limits them too). */
const SOFT_QUOTA_WARNING_INTERVAL_MS = 1_000;

/** Requests that only make sense on a session channel. */
const SESSION_OPERATIONS: readonly Request['op'][] = ['addWatch', 'removeWatches', 'checkWatches', 'setWatches', 'auth', 'getEphemerals'];

export type Answer = { response: Response; zxid: Zxid };

/** Who sent a request: whose it is, in which reply order it is answered, who hears its watches. */
export interface Origin {
  sessionId: SessionId;
  identities: AuthId[];
  replies: OrderedReplies<Answer>;
  watcher: WatcherId | null;
}

/**
 * The state as applied now and the prep over it. The node replaces both (a leader's snapshot, a
 * rebuild after a truncation, a new term as leader), so its parts read them here every time and
 * never keep their own reference.
 */
export interface Current {
  readonly state: ReplicatedState;
  readonly prep: Prep;
}

interface Waiter {
  zxid: Zxid;
  run: () => void;
}

export interface WritePipelineOptions {
  current: Current;
  replicator: Pick<Replicator, 'preparesWrites' | 'lastProposedZxid' | 'nextZxid' | 'propose' | 'sync'>;
  watches: WatchManager;
  delivery: Pick<WatchDelivery, 'fire' | 'deliver'>;
  forwarder: Pick<LearnerForwarder, 'forwardWrite'>;
  settings: Pick<NodeSettings, 'superDigest' | 'maxDataBytes' | 'extendedTypesEnabled' | 'enforceQuota'>;
  stats: { requests: number; writes: number; reads: number };
  /** Why this server takes no requests now, or null when it does. */
  refusal: () => string | null;
  observer: NodeObserver | null;
  world: World;
  logger: Logger;
}

export class WritePipeline {
  /** Answers that must wait until a zxid is applied (failed writes, sync), in zxid order. */
  private readonly waiters: Waiter[] = [];
  /** Proposals whose records are being made durable, in zxid order. */
  private readonly inFlight = new Map<Zxid, (result: Settle<Response | undefined>) => void>();
  private readonly current: Current;
  private readonly replicator: WritePipelineOptions['replicator'];
  private readonly watches: WatchManager;
  private readonly delivery: WritePipelineOptions['delivery'];
  private readonly forwarder: WritePipelineOptions['forwarder'];
  private readonly settings: WritePipelineOptions['settings'];
  private readonly stats: WritePipelineOptions['stats'];
  private readonly refusal: () => string | null;
  private readonly observer: NodeObserver | null;
  private readonly world: World;
  private readonly logger: Logger;
  private softQuotaWarnedAtMs = Number.NEGATIVE_INFINITY;
  private softQuotaWarningsUnlogged = 0;

  constructor(options: WritePipelineOptions) {
    this.current = options.current;
    this.replicator = options.replicator;
    this.watches = options.watches;
    this.delivery = options.delivery;
    this.forwarder = options.forwarder;
    this.settings = options.settings;
    this.stats = options.stats;
    this.refusal = options.refusal;
    this.observer = options.observer;
    this.world = options.world;
    this.logger = options.logger;
  }

  /** Proposals not yet applied. */
  get outstanding(): number {
    return this.inFlight.size;
  }

  /** A session-less request (unary gRPC, REST): no ephemerals, no watches, its own reply order. */
  submitStateless(request: Request, identities: AuthId[]): Promise<Answer> {
    if (request.op === 'create' && isEphemeral(request.mode)) {
      return Promise.reject(keeperError('BadArguments', request.path, 'ephemeral nodes need a session'));
    }
    if (request.op === 'multi' && request.ops.some((op) => op.op === 'create' && isEphemeral(op.mode))) {
      return Promise.reject(keeperError('BadArguments', undefined, 'ephemeral nodes need a session'));
    }
    if (SESSION_OPERATIONS.includes(request.op)) return Promise.reject(keeperError('BadArguments', undefined, `${request.op} needs a session`));
    return this.submit(request, { sessionId: 0, identities, replies: new OrderedReplies<Answer>(1), watcher: null });
  }

  submit(request: Request, origin: Origin, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    const refusal = this.refusal();
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
        if (response !== null) settle({ ok: true, value: { response, zxid: this.current.state.lastZxid } });
      } catch (error) {
        settle({ ok: false, error: asKeeperError(error, this.logger) });
      }
    }, onAnswer).promise;
  }

  private submitWrite(request: WriteRequest, origin: Origin, onAnswer?: (answer: Settle<Answer>) => void): Promise<Answer> {
    this.stats.writes++;
    const { promise, settle } = origin.replies.reserve(undefined, onAnswer);
    if (!this.replicator.preparesWrites) {
      this.forwarder.forwardWrite(request, origin, settle);
      return promise;
    }
    const zxid = this.replicator.nextZxid();
    if (zxid === null) {
      settle({ ok: false, error: keeperError('ConnectionLoss', undefined, 'this server cannot take writes now') });
      return promise;
    }
    let txn: Txn;
    try {
      txn = this.prepareWrite(request, origin, zxid);
    } catch (error) {
      this.refuseAfterEarlierProposals(error, settle);
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

  /**
   * Answers a refused write only once this server knows it still leads and everything prepared
   * before it is applied. A refusal (NoNode, BadVersion) is a read of the leader's state: a
   * leader that was replaced while paused would refuse from a stale tree (found by the
   * simulation, seed 20,027), and the refusal may rest on a pending change, which must be
   * durable before anyone hears of it.
   */
  private refuseAfterEarlierProposals(error: unknown, settle: (result: Settle<Answer>) => void): void {
    const barrier = this.replicator.lastProposedZxid;
    const answer =
      error instanceof MultiFailure
        ? () => settle({ ok: true, value: { response: { op: 'multi', results: error.results }, zxid: this.current.state.lastZxid } })
        : ((failure: KeeperError) => () => settle({ ok: false, error: failure }))(asKeeperError(error, this.logger));
    const confirmed = this.replicator.sync(
      () => this.afterApplied(barrier, answer),
      (lost) => settle({ ok: false, error: lost }),
    );
    if (!confirmed) settle({ ok: false, error: keeperError('ConnectionLoss', undefined, 'this server cannot take writes now') });
  }

  /** Makes the txn of a write (this server's own or a learner's) against the pending changes; throws a refusal. */
  prepareWrite(request: WriteRequest, origin: Pick<Origin, 'sessionId' | 'identities'>, zxid: Zxid): Txn {
    // As ZooKeeper's prep checks the session: a write of a session that is gone or closing would
    // be applied after its closeSession, leaving an ephemeral with no session (found by the
    // simulation, seed 3,001,007: a session resumed on a server that had not yet applied its expiry).
    const { sessionId } = origin;
    if (sessionId !== 0 && (!this.current.state.sessions.has(sessionId) || this.current.prep.isClosing(sessionId))) {
      throw keeperError('SessionExpired', undefined, `session 0x${sessionId.toString(16)} has expired or is closing`);
    }
    try {
      return this.current.prep.prepare(request, {
        sessionId: origin.sessionId,
        identities: origin.identities,
        superDigest: this.settings.superDigest,
        zxid,
        maxDataBytes: this.settings.maxDataBytes,
        extendedTypesEnabled: this.settings.extendedTypesEnabled,
        enforceQuota: this.settings.enforceQuota,
      });
    } finally {
      this.logSoftQuotaWarnings();
    }
  }

  /** Soft quota limits only warn, as ZooKeeper's do; one line a second at most, with how many it stands for. */
  private logSoftQuotaWarnings(): void {
    const { warnings, dropped } = this.current.prep.takeSoftQuotaWarnings();
    if (warnings.length === 0 && dropped === 0) return;
    this.softQuotaWarningsUnlogged += warnings.length + dropped;
    const nowMs = this.world.nowMs();
    if (nowMs - this.softQuotaWarnedAtMs < SOFT_QUOTA_WARNING_INTERVAL_MS || warnings.length === 0) return;
    this.logger.warn({ warnings: this.softQuotaWarningsUnlogged }, `soft quota exceeded: ${warnings[warnings.length - 1]}`);
    this.softQuotaWarnedAtMs = nowMs;
    this.softQuotaWarningsUnlogged = 0;
  }

  /** Runs a read or session request; returns null when it answers later through `settle`. */
  private executeNow(request: ReadRequest | SessionRequest, origin: Origin, settle: (result: Settle<Answer>) => void): Response | null {
    const state = this.current.state;
    switch (request.op) {
      case 'sync':
        this.sync(request.path, settle);
        return null;
      case 'addWatch': {
        validatePath(request.path);
        const kind = request.mode === AddWatchMode.PERSISTENT_RECURSIVE ? 'persistentRecursive' : 'persistent';
        this.watches.add(kind, request.path, origin.watcher!);
        return { op: 'addWatch' };
      }
      case 'removeWatches':
      case 'checkWatches':
        return this.executeWatchRemoval(request, origin.watcher!);
      case 'setWatches': {
        const events = applySetWatches(request, state.tree, this.watches, origin.watcher!, state.lastZxid);
        for (const event of events) this.delivery.deliver(origin.watcher!, event);
        return { op: 'setWatches' };
      }
      case 'auth': {
        const id = authenticate(request.scheme, request.credentials);
        if (!origin.identities.some((known) => known.scheme === id.scheme && known.id === id.id)) origin.identities.push(id);
        return { op: 'auth' };
      }
      case 'whoAmI':
        return { op: 'whoAmI', clientInfo: origin.identities.map((id) => ({ authScheme: id.scheme, user: whoAmIUser(id) })) };
      default:
        this.stats.reads++;
        return executeRead(request, {
          tree: state.tree,
          watches: this.watches,
          watcher: origin.watcher,
          sessionId: origin.sessionId,
          identities: origin.identities,
          superDigest: this.settings.superDigest,
        });
    }
  }

  /**
   * Answers once this server has applied everything the leader had proposed when the sync began.
   * A leader applies what it had proposed once the replicator has confirmed it still leads.
   */
  private sync(path: string, settle: (result: Settle<Answer>) => void): void {
    validatePath(path);
    const done = () => settle({ ok: true, value: { response: { op: 'sync', path }, zxid: this.current.state.lastZxid } });
    const leading = this.replicator.preparesWrites;
    const answer = leading ? () => this.afterApplied(this.replicator.lastProposedZxid, done) : done;
    if (!this.replicator.sync(answer, (error) => settle({ ok: false, error }))) throw keeperError('ConnectionLoss', path, 'this server has no leader now');
  }

  private executeWatchRemoval(request: RemoveWatchesRequest | CheckWatchesRequest, watcher: WatcherId): Response {
    validatePath(request.path);
    if (request.op === 'checkWatches') {
      if (!this.watches.has(request.path, watcher, request.type)) throw keeperError('NoWatcher', request.path);
      return { op: 'checkWatches' };
    }
    const removed = this.watches.remove(request.path, watcher, request.type, this.current.state.lastZxid);
    if (removed === null) throw keeperError('NoWatcher', request.path);
    // The watcher learns of the removal (DataWatchRemoved, ...) before the answer, as a
    // ZooKeeper client's watcher does.
    for (const event of removed) this.delivery.deliver(watcher, event);
    return { op: 'removeWatches' };
  }

  proposeAndWait(sessionId: SessionId, cxid: number, txn: Txn): Promise<Response | undefined> {
    const zxid = this.replicator.nextZxid();
    if (zxid === null) return Promise.reject(keeperError('ConnectionLoss', undefined, 'this server cannot take writes now'));
    return this.propose(sessionId, cxid, zxid, txn);
  }

  /** `onApplied`, when given, runs synchronously right after the txn is applied. */
  propose(
    sessionId: SessionId,
    cxid: number,
    zxid: Zxid,
    txn: Txn,
    onApplied?: (result: Settle<Response | undefined>) => void,
  ): Promise<Response | undefined> {
    const record: TxnRecord = { header: { sessionId, cxid, zxid, time: this.world.nowMs() }, txn };
    this.observer?.proposed(record);
    if (mutant('watchBeforeApply') && txn.type === 'setData') this.delivery.fire({ path: txn.path, type: EventType.NodeDataChanged }, zxid);
    return new Promise((resolve, reject) => {
      this.inFlight.set(zxid, (result) => {
        onApplied?.(result);
        if (result.ok) resolve(result.value);
        else reject(result.error);
      });
      this.replicator.propose(record);
    });
  }

  /**
   * Applies a committed txn: the observer hears of it first, then its watches fire, then its
   * proposer here is answered, synchronously (see submitWrite). Returns the txn's answer.
   */
  apply(record: TxnRecord): Response | undefined {
    const zxid = record.header.zxid;
    // Guarded so the hot path does not build the message.
    if (!(zxid === this.current.state.lastZxid + 1 || zxidEpoch(zxid) > zxidEpoch(this.current.state.lastZxid))) assert(false, `txn ${hex(zxid)} applies right after ${hex(this.current.state.lastZxid)}`);
    const previousZxid = this.current.state.lastZxid;
    const result = this.current.state.apply(record);
    this.observer?.applied(record, previousZxid, this.current.state);
    this.current.prep.applied(zxid, record.txn.type === 'closeSession' ? record.header.sessionId : undefined);
    for (const trigger of result.triggers) this.delivery.fire(trigger, zxid);
    const answer = this.inFlight.get(zxid);
    this.inFlight.delete(zxid);
    answer?.({ ok: true, value: result.response });
    return result.response;
  }

  /** The leader is gone: what this server proposed has an unknown outcome. */
  failInFlight(error: KeeperError): void {
    for (const settle of this.inFlight.values()) settle({ ok: false, error });
    this.inFlight.clear();
  }

  afterApplied(zxid: Zxid, run: () => void): void {
    if (this.current.state.lastZxid >= zxid) {
      run();
      return;
    }
    this.waiters.push({ zxid, run });
  }

  /** Runs the waiters whose zxid is applied now, in zxid order. */
  releaseWaiters(): void {
    let released = 0;
    while (released < this.waiters.length && this.waiters[released]!.zxid <= this.current.state.lastZxid) released++;
    if (released === 0) return;
    for (const waiter of this.waiters.splice(0, released)) waiter.run();
  }

  /** Lets the writes in flight become durable and apply, waiting no longer than STOP_DRAIN_MS. */
  async drain(): Promise<void> {
    const pending = [...this.inFlight.keys()];
    if (pending.length === 0) return;
    // Bounded: in an ensemble the leader may be gone (every server stopping at once), and then
    // these writes never commit here. Unacknowledged, they are not lost; a stop that never
    // ends would be.
    let timer: Timer | undefined;
    const applied = new Promise<void>((resolve) => this.afterApplied(Math.max(...pending), resolve));
    const waited = await Promise.race([applied.then(() => true), new Promise<false>((resolve) => (timer = this.world.after(STOP_DRAIN_MS, () => resolve(false))))]);
    timer?.cancel();
    if (!waited) this.logger.warn({ pending: pending.length, waitedMs: STOP_DRAIN_MS }, 'stopping with writes that did not commit in time (none was acknowledged)');
  }
}

export function asKeeperError(error: unknown, logger: Logger): KeeperError {
  if (isKeeperError(error)) return error;
  logger.error({ err: error }, 'unexpected error while serving a request');
  return keeperError('SystemError', undefined, 'unexpected server error');
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
