// The driver of the pure ZAB peer in a real server: ticks from a timer, messages from the peer
// transport, durability from the transaction log, epochs in their files, and the node's state
// for snapshots. Each Ready is carried out in the order src/zab/types.ts documents:
// epochs and truncation first, then log appends (reported back once fsynced), then commits
// applied, then messages sent.

import type { Logger } from 'pino';
import { decodeTxnRecord, encodeTxnRecord } from '../core/codec.js';
import { assert, isKeeperError, keeperError } from '../core/errors.js';
import { mutant } from '../core/mutants.js';
import { loadChunk, serializeState } from '../core/snapshot.js';
import { ReplicatedState } from '../core/state.js';
import type { TxnRecord, Zxid } from '../core/types.js';
import { writeEpochs } from '../storage/epochs.js';
import { ZabPeer } from '../zab/peer.js';
import { isEmptyReady, type Entry, type HardState, type Membership, type PeerMessage, type Ready, type ServerId } from '../zab/types.js';
import { decodeForwarded, decodeForwardReply, encodeForwarded, type ForwardedMessage, type ForwardReply } from './forwarding.js';
import type { PeerLink, PeerLinkEvents } from './peer-link.js';
import type { Persistence, RecoveredState } from './persistence.js';
import type { ReplicationListener, ReplicationRole, Replicator } from './replicator.js';
import type { Timer, World } from './world.js';

/** The messages of broadcast in a steady state: none of them starts truncation or a snapshot install. */
const STEADY_MESSAGES: ReadonlySet<PeerMessage['type']> = new Set(['proposal', 'ack', 'commit', 'inform', 'ping', 'forward', 'reply', 'syncRequest', 'syncReply']);

/** ZooKeeper's finalizeWait: how long an election waits for a better vote once a quorum agrees. */
const ELECTION_STEP_MS = 200;

/** How many peer ticks make one tickTime (at least one; a tickTime below the step is one tick). */
export function finePerTickTime(tickTimeMs: number): number {
  return Math.max(1, Math.round(tickTimeMs / ELECTION_STEP_MS));
}

export interface ZabReplicatorOptions {
  world: World;
  self: ServerId;
  membership: Membership;
  /** Opens the link to the other servers, reporting to the events given. */
  link: (events: PeerLinkEvents) => PeerLink;
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
  historyLimit: number;
  persistence: Persistence;
  hardState: HardState;
  recovered: Pick<RecoveredState, 'history' | 'historyBase'> & { lastZxid: Zxid };
  /** Rebuilds the state from disk (after a truncation below what was applied). */
  reload: () => Promise<ReplicatedState>;
  /** The last zxid counter a leader may use in an epoch (default 2³²−1; the simulation shortens it). */
  zxidCounterLimit?: number;
  listener: ReplicationListener;
  logger: Logger;
}

/** Nodes per snapshot chunk streamed to a learner. */
const SNAPSHOT_NODES_PER_CHUNK = 4096;

export class ZabReplicator implements Replicator {
  private readonly zab: ZabPeer;
  private readonly transport: PeerLink;
  private readonly listener: ReplicationListener;
  private readonly logger: Logger;
  private readonly world: World;
  private tickTimer: Timer | null = null;
  private drainScheduled = false;
  /** While the state is being replaced (a truncation below what was applied), inputs wait. */
  private busy: Promise<void> | null = null;
  private readonly waitingInputs: (() => void)[] = [];
  private readonly syncWaiters = new Map<number, { done: () => void; fail: (error: unknown) => void }>();
  private nextSyncId = 1;
  private reportedRole: ReplicationRole | null = null;
  private reportedServing = false;
  private stopped = false;

  constructor(private readonly options: ZabReplicatorOptions) {
    this.listener = options.listener;
    this.world = options.world;
    this.logger = options.logger.child({ component: 'zab', self: options.self });
    const { recovered } = options;
    // The peer counts fine ticks of about ELECTION_STEP_MS: an election decides one tick after a
    // quorum agrees, so a whole tickTime (2 s by default) there would stretch every fail-over.
    // initLimit and syncLimit keep their meaning in tickTime units.
    const finePerTick = finePerTickTime(options.tickTimeMs);
    this.zab = new ZabPeer(
      {
        self: options.self,
        membership: options.membership,
        initLimit: options.initLimit * finePerTick,
        syncLimit: options.syncLimit * finePerTick,
        historyLimit: options.historyLimit,
        ...(options.zxidCounterLimit === undefined ? {} : { zxidCounterLimit: options.zxidCounterLimit }),
      },
      { hardState: options.hardState, lastZxid: recovered.lastZxid, history: recovered.history, historyBase: recovered.historyBase },
    );
    this.transport = options.link({
      onMessage: (from, message) => this.input(() => this.zab.receive(from, message), STEADY_MESSAGES.has(message.type)),
      onDisconnected: (peer) => this.input(() => this.zab.disconnected(peer)),
      onSnapshot: (from, zxid, chunks) => this.installSnapshot(from, zxid, chunks),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Replicator

  get lastProposedZxid(): Zxid {
    return this.zab.lastZxid;
  }

  get serving(): boolean {
    return this.zab.serving && this.busy === null;
  }

  get epoch(): number {
    return this.zab.epoch;
  }

  get preparesWrites(): boolean {
    return this.zab.role === 'leading' && this.zab.serving;
  }

  get role(): ReplicationRole {
    switch (this.zab.role) {
      case 'leading':
        return 'leader';
      case 'following':
        return 'follower';
      case 'observing':
        return 'observer';
      case 'looking':
        return 'looking';
    }
  }

  nextZxid(): Zxid | null {
    return this.busy === null ? this.zab.nextZxid() : null;
  }

  propose(record: TxnRecord): void {
    this.zab.propose({ zxid: record.header.zxid, payload: encodeTxnRecord(record) });
    this.scheduleDrain();
  }

  forward(message: ForwardedMessage): boolean {
    const sent = this.zab.forward(encodeForwarded(message));
    if (sent) this.scheduleDrain();
    return sent;
  }

  reply(to: ServerId, reply: ForwardReply): void {
    this.zab.reply(to, encodeForwarded(reply));
    this.scheduleDrain();
  }

  sync(done: () => void, fail: (error: unknown) => void): boolean {
    const id = this.nextSyncId++;
    if (!this.zab.requestSync(id)) return false;
    this.syncWaiters.set(id, { done, fail });
    this.scheduleDrain();
    return true;
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.tickTimer = this.world.every(this.options.tickTimeMs / finePerTickTime(this.options.tickTimeMs), () => this.input(() => this.zab.tick()));
    this.scheduleDrain();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.tickTimer?.cancel();
    await this.transport.close();
  }

  // -------------------------------------------------------------------------------------------
  // Driving the peer

  /**
   * Feeds the peer one input, now or after the state replacement in progress. The steady-state traffic of broadcast (`steady`: proposals, acks,
   * commits, pings, forwarded writes, fsync completions) is carried out by one drain per
   * event-loop turn, so the acks of both followers or a burst of forwarded writes make one batch
   * of commits and proposals (one socket write per peer) instead of one each. Everything else
   * (elections, sync, ticks, disconnections) may start truncation or a snapshot install, during
   * which later inputs must wait: it first carries out what is pending, then itself, at once.
   */
  private input(run: () => void, steady = false): void {
    if (this.stopped) return;
    if (this.busy !== null) {
      this.waitingInputs.push(run);
      return;
    }
    if (steady) {
      run();
      this.scheduleDrain();
      return;
    }
    this.drain();
    if (this.busy !== null) {
      this.waitingInputs.push(run);
      return;
    }
    run();
    this.drain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // Everything proposed in this event-loop turn goes out as one batch.
    this.world.defer(() => {
      this.drainScheduled = false;
      if (this.busy === null && !this.stopped) this.drain();
    });
  }

  private drain(): void {
    for (let round = 0; round < 10_000; round++) {
      if (this.busy !== null) return;
      const ready = this.zab.takeReady();
      if (isEmptyReady(ready)) {
        this.reportRole();
        return;
      }
      this.carryOut(ready);
    }
    assert(false, 'the ZAB driver settles');
  }

  private carryOut(ready: Ready): void {
    if (ready.hardState !== null && !mutant('reuseEpochAfterRestart')) writeEpochs(this.world.fs, this.options.persistence.dir, ready.hardState);
    if (mutant('snapshotUncommitted')) this.trackUncommitted(ready);
    if (ready.truncateAfter !== null) this.truncate(ready.truncateAfter);
    if (ready.entries.length > 0) this.append(ready);
    for (const entry of ready.committed) this.listener.onCommitted(decodeTxnRecord(entry.payload));
    for (const peer of ready.disconnect) this.transport.close(peer);
    for (const outbound of ready.messages) this.send(outbound.to, outbound.message);
    for (const { from, payload } of ready.forwarded) this.onForwarded(from, payload);
    for (const payload of ready.replies) this.onReply(payload);
    for (const id of ready.syncsDone) {
      const waiter = this.syncWaiters.get(id);
      this.syncWaiters.delete(id);
      waiter?.done();
    }
    this.reportRole();
  }

  private send(to: ServerId, message: PeerMessage): void {
    this.transport.send(to, message);
    if (message.type === 'syncStart' && message.mode === 'snap') {
      // The state as applied now is exactly the snapshot's zxid (commits were applied above).
      const state = this.listener.currentState();
      assert(state.lastZxid === message.zxid, `the streamed state is at ${state.lastZxid}, the SNAP says ${message.zxid}`);
      const streamed = mutant('snapshotUncommitted') ? this.withUncommitted(state) : state;
      this.transport.sendSnapshot(to, message.zxid, serializeState(streamed, SNAPSHOT_NODES_PER_CHUNK));
    }
  }

  /** For the snapshotUncommitted mutant: the logged entries not yet committed, in zxid order. */
  private uncommitted: Entry[] = [];

  private trackUncommitted(ready: Ready): void {
    if (ready.truncateAfter !== null) this.uncommitted = this.uncommitted.filter((entry) => entry.zxid <= ready.truncateAfter!);
    this.uncommitted.push(...ready.entries);
    const committed = ready.committed.at(-1)?.zxid ?? 0;
    this.uncommitted = this.uncommitted.filter((entry) => entry.zxid > committed);
  }

  /** The mutant's snapshot: the applied state plus every uncommitted entry, tagged as the applied zxid. */
  private withUncommitted(state: ReplicatedState): ReplicatedState {
    const copy = new ReplicatedState();
    copy.replaying = true;
    for (const chunk of serializeState(state, SNAPSHOT_NODES_PER_CHUNK)) loadChunk(copy, chunk);
    copy.lastZxid = state.lastZxid;
    for (const entry of this.uncommitted) if (entry.zxid > copy.lastZxid) copy.apply(decodeTxnRecord(entry.payload));
    copy.replaying = false;
    copy.lastZxid = state.lastZxid;
    return copy;
  }

  private append(ready: Ready): void {
    const last = ready.entries.at(-1)!.zxid;
    let failed = false;
    const appends = ready.entries.map((entry) =>
      this.options.persistence.append(entry.zxid, entry.payload).catch((error: unknown) => {
        failed = true;
        this.listener.onFailure(error);
      }),
    );
    // One group commit covers them all; ZAB hears once the last is durable.
    void Promise.all(appends).then(() => {
      if (!failed) this.input(() => this.zab.persisted(last), true);
    });
  }

  /** The leader's TRUNC: cut the log and, if we had applied beyond it, rebuild the state. */
  private truncate(zxid: Zxid): void {
    this.logger.info({ zxid: `0x${zxid.toString(16)}`, applied: `0x${this.listener.currentState().lastZxid.toString(16)}` }, 'truncating the log after the leader\'s TRUNC');
    const truncation = this.options.persistence.truncateAfter(zxid);
    truncation.then(
      () => this.input(() => this.zab.truncated()),
      (error) => this.listener.onFailure(error),
    );
    if (this.listener.currentState().lastZxid <= zxid) return;
    this.becomeBusy(async () => {
      await truncation;
      const state = await this.options.reload();
      assert(state.lastZxid <= zxid, `the rebuilt state ends at ${state.lastZxid}, at or before the truncation ${zxid}`);
      this.listener.replaceState(state);
      if (state.lastZxid < zxid) {
        this.logger.warn({ zxid: `0x${zxid.toString(16)}`, kept: `0x${state.lastZxid.toString(16)}` }, 'the TRUNC removed a snapshot that held txns the older log lacks; syncing again from what is left');
        // The log too ends where the state does, so the next sync's txns after it are taken.
        if (!mutant('shortfallLogNotRewound')) this.options.persistence.resumeAfter(state.lastZxid);
        this.zab.truncationFellShort(state.lastZxid);
      }
    });
  }

  /** A SNAP: make the leader's state ours, durably, before ZAB hears the syncStart. */
  private installSnapshot(from: ServerId, zxid: Zxid, chunks: Uint8Array[]): Promise<void> {
    this.logger.info({ from, zxid: `0x${zxid.toString(16)}`, chunks: chunks.length }, 'installing a snapshot from the leader');
    return this.becomeBusy(async () => {
      const state = new ReplicatedState();
      state.replaying = true;
      for (const chunk of chunks) loadChunk(state, chunk);
      state.replaying = false;
      state.lastZxid = zxid;
      await this.options.persistence.installSnapshot(zxid, chunks);
      this.listener.replaceState(state);
      // Our log ends at the snapshot now, whether or not the connection lives to deliver the syncStart.
      this.zab.snapshotInstalled(from, zxid);
    });
  }

  private becomeBusy(work: () => Promise<void>): Promise<void> {
    const previous = this.busy ?? Promise.resolve();
    const run = previous.then(work);
    this.busy = run;
    run.then(
      () => {
        if (this.busy !== run) return;
        this.busy = null;
        for (const input of this.waitingInputs.splice(0)) {
          if (this.busy !== null) {
            this.waitingInputs.push(input);
            continue;
          }
          input();
        }
        this.drain();
      },
      (error) => this.listener.onFailure(error),
    );
    return run;
  }

  private onForwarded(from: ServerId, payload: Uint8Array): void {
    try {
      this.listener.onForwarded(from, decodeForwarded(payload));
    } catch (error) {
      if (!isKeeperError(error)) throw error;
      this.logger.warn({ from, err: error }, 'ignoring a malformed forwarded message');
    }
  }

  private onReply(payload: Uint8Array): void {
    try {
      this.listener.onForwardReply(decodeForwardReply(payload));
    } catch (error) {
      if (!isKeeperError(error)) throw error;
      this.logger.warn({ err: error }, 'ignoring a malformed reply from the leader');
    }
  }

  /** Whether the current leadership was reported as waiting for voters. */
  private establishingReported = false;

  private reportRole(): void {
    const role = this.role;
    const serving = this.zab.serving;
    // A leader without a quorum of followers only says "serving: false" until initLimit: say whom it waits for.
    const establishing = this.zab.establishing;
    if (establishing === null) this.establishingReported = false;
    else if (!this.establishingReported && establishing.ticks > finePerTickTime(this.options.tickTimeMs)) {
      this.establishingReported = true;
      this.logger.warn({ waitingFor: establishing.waitingFor, epoch: this.zab.epoch }, 'leading for over a tickTime without serving: waiting for voters');
    }
    if (role === this.reportedRole && serving === this.reportedServing) return;
    this.reportedRole = role;
    this.reportedServing = serving;
    this.logger.info({ role, serving, epoch: this.zab.epoch, zxid: `0x${this.zab.lastZxid.toString(16)}` }, 'zab role');
    // The node ends its session channels first, cancelling every request queued behind a sync:
    // a failed sync must not let the read a client pipelined behind it run on a tree that may now
    // be arbitrarily old (found by the simulation, seed 17).
    this.listener.onRoleChanged(role, serving);
    if (!serving) {
      const lost = keeperError('ConnectionLoss', undefined, 'the server lost its leader');
      for (const waiter of this.syncWaiters.values()) waiter.fail(lost);
      this.syncWaiters.clear();
    }
  }
}

