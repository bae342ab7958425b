// One ZAB participant as a pure state machine (the shape of etcd's raft `Node`): feed it ticks,
// messages, durability reports and proposals; take a `Ready` batch of work; the driver carries it
// out in the documented order. No I/O, timers, clock or randomness in here.
//
// Phases (ZooKeeper's): election → discovery (FOLLOWERINFO, LEADERINFO, ACKEPOCH) → synchronisation
// (DIFF / TRUNC / SNAP, NEWLEADER, its ACK from a quorum, UPTODATE) → broadcast (PROPOSAL, ACK,
// COMMIT; INFORM for observers). Acks and commits are cumulative, so one message covers a batch.

import { assert } from '../core/errors.js';
import { mutant } from '../core/mutants.js';
import { zxidEpoch, type Zxid } from '../core/types.js';
import { Election, type Decision } from './election.js';
import { isQuorum, quorumZxid } from './quorum.js';
import {
  emptyReady,
  type Entry,
  type HardState,
  type Membership,
  type Notification,
  type PeerMessage,
  type QuorumMessage,
  type Ready,
  type Vote,
  type Role,
  type ServerId,
} from './types.js';

export interface PeerOptions {
  self: ServerId;
  membership: Membership;
  /** Ticks a learner has to connect and sync (ZooKeeper's initLimit). */
  initLimit: number;
  /** Ticks of silence after which a leader drops a learner or a learner its leader (syncLimit). */
  syncLimit: number;
  /** Committed entries kept in memory to bring learners level by DIFF; beyond it, SNAP. */
  historyLimit: number;
  /** The last counter a leader may use in an epoch (2³²−1; the simulation shortens it). */
  zxidCounterLimit?: number;
}

/** A zxid's counter is its low 32 bits. */
export const ZXID_COUNTER_MAX = 2 ** 32 - 1;

/** What a restarted peer knows from its disk: the driver has applied every logged entry. */
export interface PeerRestore {
  hardState: HardState;
  lastZxid: Zxid;
  /** The newest logged entries, ending at lastZxid (may be empty). */
  history: Entry[];
  /** The zxid of the entry just before `history[0]` (0 when the history starts at the beginning). */
  historyBase: Zxid;
}

type LearnerPhase = 'discovering' | 'syncing' | 'synced' | 'active';

interface LearnerHandle {
  id: ServerId;
  observer: boolean;
  phase: LearnerPhase;
  acceptedEpoch: number;
  /** From ACKEPOCH. */
  currentEpoch: number;
  lastZxid: Zxid;
  ackedEpoch: boolean;
  /** The NEWLEADER zxid sent to it; its ack at or beyond this zxid acknowledges NEWLEADER. */
  newLeaderZxid: Zxid;
  /** Highest zxid it reported durable. */
  ackedZxid: Zxid;
  lastHeardTick: number;
  /** The newest leadership-check round it echoed. */
  echoedRound: number;
}

interface Waiting {
  to: ServerId;
  afterZxid: Zxid;
  message: QuorumMessage;
}

/**
 * An answer waiting for a quorum of voters to echo `round`: the leader's own sync `id` (`to` null),
 * or a message to a learner (a syncReply, or the reply to a refused write).
 */
interface PendingSync {
  round: number;
  to: ServerId | null;
  id: number;
  message?: QuorumMessage;
}

interface LeaderState {
  startTick: number;
  epoch: number;
  epochDecided: boolean;
  epochAckQuorum: boolean;
  established: boolean;
  /** Leader's last zxid when it began synchronising: its initial history. */
  initialZxid: Zxid;
  nextCounter: number;
  learners: Map<ServerId, LearnerHandle>;
  /** Replies and sync answers held until the commits they rest on are sent. */
  waiting: Waiting[];
  /** Voters that told us, while we gathered followers, that they follow or lead another server. */
  elsewhere: Set<ServerId>;
  /** The newest leadership-check round sent (pings carry it); rounds start at 0, confirming nothing. */
  round: number;
  /** Syncs in arrival order (so in round order), each waiting for its round to be echoed by a quorum. */
  pendingSyncs: PendingSync[];
}

type LearnerStage = 'connecting' | 'epochAcked' | 'syncing' | 'newLeader' | 'synced' | 'active';

interface LearnerState {
  leader: ServerId;
  stage: LearnerStage;
  startTick: number;
  lastHeardTick: number;
  newLeaderZxid: Zxid;
  /** The epoch NEWLEADER announced: ours only once the history it comes with is durable. */
  newLeaderEpoch: number;
  /** The newest zxid we told the leader is durable. */
  ackSent: Zxid;
}

export class ZabPeer {
  role: Role = 'looking';
  private hard: HardState;
  /** Last logged entry (durable or not). */
  private lastZxidValue: Zxid;
  /** Every logged entry up to here is durable. */
  private durableZxid: Zxid;
  private lastCommittedValue: Zxid;
  /** TRUNCs whose cut the driver has not yet reported durable (see learnerAcknowledge). */
  private pendingTruncations = 0;
  /** Entries after the window base, in zxid order: the recent committed ones and every uncommitted one. */
  private history: Entry[];
  /** The zxid of the last entry before `history[0]` (or of the log's end when empty). */
  private windowBase: Zxid;
  private ticks = 0;
  private readonly election: Election;
  private leaderState: LeaderState | null = null;
  /** The vote that ended our last election: what we tell looking servers. */
  private currentVote: { vote: Vote; round: number } | null = null;
  private learnerState: LearnerState | null = null;
  private ready: Ready = emptyReady();

  constructor(
    private readonly options: PeerOptions,
    restore: PeerRestore,
  ) {
    assert(restore.history.length === 0 || restore.history.at(-1)!.zxid === restore.lastZxid, 'restored history ends at lastZxid');
    this.hard = { ...restore.hardState };
    this.lastZxidValue = restore.lastZxid;
    this.durableZxid = restore.lastZxid;
    this.lastCommittedValue = restore.lastZxid;
    this.history = [...restore.history];
    this.windowBase = this.history.length === 0 ? restore.lastZxid : restore.historyBase;
    assert(this.history.length === 0 || this.windowBase < this.history[0]!.zxid, 'the history base precedes the history');
    this.election = new Election(options.self, options.membership);
    this.startLooking();
  }

  // -------------------------------------------------------------------------------------------
  // Read-only views

  get self(): ServerId {
    return this.options.self;
  }
  get lastZxid(): Zxid {
    return this.lastZxidValue;
  }
  get lastCommitted(): Zxid {
    return this.lastCommittedValue;
  }
  get hardState(): HardState {
    return { ...this.hard };
  }
  get currentTick(): number {
    return this.ticks;
  }
  /** The leader this peer follows or is; null while looking. */
  get leader(): ServerId | null {
    if (this.role === 'leading') return this.self;
    return this.learnerState?.leader ?? null;
  }
  /** Whether this peer can take client writes now (leader established, or learner up to date). */
  get serving(): boolean {
    if (this.role === 'leading') return this.leaderState!.established;
    return this.learnerState?.stage === 'active';
  }
  get epoch(): number {
    return this.role === 'leading' ? this.leaderState!.epoch : this.hard.currentEpoch;
  }
  /**
   * While leading without serving yet: the ticks since the election and the voters that have not
   * acknowledged NEWLEADER (not connected, or still in discovery or synchronisation); else null.
   */
  get establishing(): { ticks: number; waitingFor: ServerId[] } | null {
    if (this.role !== 'leading' || this.leaderState!.established) return null;
    const leader = this.leaderState!;
    const waitingFor = this.voters.filter((voter) => voter !== this.self && leader.learners.get(voter)?.phase !== 'active');
    return { ticks: this.ticks - leader.startTick, waitingFor };
  }
  private get isObserver(): boolean {
    return this.options.membership.observers.includes(this.self);
  }
  private get voters(): readonly ServerId[] {
    return this.options.membership.voters;
  }
  private get allPeers(): ServerId[] {
    return [...this.options.membership.voters, ...this.options.membership.observers].filter((id) => id !== this.self);
  }

  /** Hands over the work accumulated since the last call. */
  takeReady(): Ready {
    const ready = this.ready;
    this.ready = emptyReady();
    ready.messages = coalesce(ready.messages);
    return ready;
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  tick(): void {
    this.ticks++;
    switch (this.role) {
      case 'looking':
        this.tickLooking();
        return;
      case 'leading':
        this.tickLeading();
        return;
      case 'following':
      case 'observing':
        this.tickLearning();
        return;
    }
  }

  receive(from: ServerId, message: PeerMessage): void {
    if (message.type === 'notification') {
      this.onNotification(from, message);
      return;
    }
    if (this.role === 'leading') this.stepLeader(from, message);
    else if (this.role === 'following' || this.role === 'observing') this.stepLearner(from, message);
    // A quorum message while looking belongs to a connection from an older role: ignore it.
  }

  /** The driver made the cut of a TRUNC (ready.truncateAfter) durable; cuts are reported in order. */
  truncated(): void {
    assert(this.pendingTruncations > 0, 'a truncation was pending');
    this.pendingTruncations--;
    this.learnerAcknowledge();
  }

  /**
   * The driver made a leader's snapshot (SNAP) at `zxid` our state and log, durably. The syncStart
   * that announced it comes next if the connection to that leader is still up; when it is not, this
   * is how we learn that our log now ends at the snapshot (found by the simulation, seed 9,519,386:
   * a learner whose leader stepped down during the install went on offering its old last zxid, and
   * the next leader's DIFF from there ran into a log that ended further on).
   */
  snapshotInstalled(from: ServerId, zxid: Zxid): void {
    const learner = this.learnerState;
    // Nothing reaches the peer while the driver installs, so it still waits for this leader's sync.
    assert(learner !== null && learner.leader === from && learner.stage === 'epochAcked', `a snapshot from ${from} installed while waiting for its sync`);
    if (!mutant('snapshotInstallUnreported')) this.restartLogAt(zxid);
  }

  /**
   * The driver's cut of a TRUNC left the log ending at `zxid`, below the cut's point: what lay
   * between was held only by a leader's snapshot (SNAP) beyond the point, which the cut removed,
   * and the log from before that snapshot stops earlier. The leader goes on from the point, which
   * would leave a gap: look again and offer what we hold (found by the simulation, seed 9,721,761:
   * an observer that had installed a would-be leader's snapshot was cut back to a zxid it then no
   * longer held, and applied the next epoch's txns over the gap).
   */
  truncationFellShort(zxid: Zxid): void {
    assert(zxid < this.lastZxidValue, `a cut that fell short ends below ${this.lastZxidValue}, not at ${zxid}`);
    if (mutant('truncationShortfallIgnored')) return;
    this.history = this.history.filter((entry) => entry.zxid <= zxid);
    this.lastZxidValue = zxid;
    this.durableZxid = Math.min(this.durableZxid, zxid);
    this.lastCommittedValue = Math.min(this.lastCommittedValue, zxid);
    if (this.history.length === 0) this.windowBase = Math.min(this.windowBase, zxid);
    if (this.role !== 'looking') this.startLooking();
  }

  /** Our log is a committed snapshot at `zxid` and nothing after it. */
  private restartLogAt(zxid: Zxid): void {
    this.history = [];
    this.windowBase = zxid;
    this.lastZxidValue = zxid;
    this.durableZxid = zxid;
    this.lastCommittedValue = zxid;
  }

  /** The driver made every logged entry up to `zxid` durable. */
  persisted(zxid: Zxid): void {
    if (zxid <= this.durableZxid) return;
    this.durableZxid = Math.min(zxid, this.lastZxidValue);
    if (this.role === 'leading') this.leaderProgress();
    else if (this.learnerState !== null) this.learnerAcknowledge();
  }

  /** The connection to a peer broke (both ends hear of it). */
  disconnected(peer: ServerId): void {
    if (this.role === 'leading') {
      if (this.leaderState!.learners.delete(peer)) this.leaderCheckQuorum();
    } else if (this.learnerState?.leader === peer) {
      this.startLooking();
    }
  }

  /**
   * The leader's next zxid, for the driver to prepare a txn with; null when not serving, or when
   * this epoch's counter is used up (the next tick then starts a new election, for a new epoch).
   */
  nextZxid(): Zxid | null {
    if (this.role !== 'leading' || !this.leaderState!.established) return null;
    if (this.counterExhausted) return null;
    return this.leaderState!.epoch * 2 ** 32 + this.leaderState!.nextCounter;
  }

  private get counterExhausted(): boolean {
    return this.leaderState !== null && this.leaderState.nextCounter > (this.options.zxidCounterLimit ?? ZXID_COUNTER_MAX);
  }

  /** Leader: log and broadcast an entry whose zxid came from nextZxid(). */
  propose(entry: Entry): void {
    const expected = this.nextZxid();
    assert(expected !== null && entry.zxid === expected, `proposal ${entry.zxid} is the leader's next zxid ${expected}`);
    const leader = this.leaderState!;
    leader.nextCounter++;
    this.appendLocal([entry]);
    for (const learner of leader.learners.values()) {
      if (this.receivesProposals(learner)) this.send(learner.id, { type: 'proposal', entries: [entry] });
    }
    if (mutant('commitWithoutQuorum')) this.commitUpTo(entry.zxid);
  }

  /** Learner: forward a client request to the leader; false when there is no serving leader. */
  forward(payload: Uint8Array): boolean {
    if (this.learnerState?.stage !== 'active') return false;
    this.send(this.learnerState.leader, { type: 'forward', payload });
    return true;
  }

  /**
   * Leader: answer a learner's forwarded request that made no txn (a refused write) once we know
   * we still lead and every txn proposed so far is committed: a refusal is a read of our state.
   */
  reply(to: ServerId, payload: Uint8Array): void {
    if (this.leaderState === null) return;
    this.leaderCheckLeadership({ round: 0, to, id: 0, message: { type: 'reply', payload } });
  }

  /**
   * Starts a sync (ZooKeeper's): `id` shows up in `syncsDone` once it is safe to answer. A learner
   * asks its leader, whose syncReply follows the commits of everything it had proposed. A leader
   * first checks that it still leads: a leader that was paused or cut off may have been replaced
   * by one that has since committed writes, and it would answer from a stale history. False when
   * we neither lead nor follow an active leader.
   */
  requestSync(id: number): boolean {
    if (this.role === 'leading') {
      if (!this.leaderState!.established) return false;
      this.leaderCheckLeadership({ round: 0, to: null, id });
      return true;
    }
    if (this.learnerState?.stage !== 'active') return false;
    this.send(this.learnerState.leader, { type: 'syncRequest', id });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Looking

  private startLooking(): void {
    if (this.role === 'leading') for (const learner of this.leaderState!.learners.keys()) this.ready.disconnect.push(learner);
    if (this.learnerState !== null) this.ready.disconnect.push(this.learnerState.leader);
    this.role = 'looking';
    this.leaderState = null;
    this.learnerState = null;
    const notification = this.election.start({ zxid: this.lastZxidValue, epoch: this.hard.currentEpoch });
    this.broadcastNotification(notification);
    // A lone voter needs nobody's vote.
    const decision = this.election.onTick(this.ticks);
    if (decision !== null) this.decide(decision);
  }

  /** What we tell other servers about our state once out of election. */
  private stateNotification(): Notification {
    // Our leader and the epoch of its leadership: what every member of the ensemble agrees on.
    // Until a leader has decided that epoch it says the vote it was elected with, the very vote a
    // server still waiting out that election holds: anything else would take that server's
    // quorum for us away and keep it looking, and us without a follower.
    const leader = this.leaderState;
    const epoch = leader === null ? this.hard.acceptedEpoch : leader.epochDecided ? leader.epoch : this.currentVote!.vote.epoch;
    return {
      type: 'notification',
      vote: { leader: this.leader!, zxid: this.lastZxidValue, epoch },
      round: this.currentVote!.round,
      state: this.role === 'leading' ? 'leading' : this.role === 'observing' ? 'observing' : 'following',
    };
  }

  private broadcastNotification(notification: Notification): void {
    for (const peer of this.allPeers) this.send(peer, notification);
  }

  private tickLooking(): void {
    const decision = this.election.onTick(this.ticks);
    if (decision !== null) {
      this.decide(decision);
      return;
    }
    // Notifications may be lost: repeat ours every tick while looking.
    this.broadcastNotification(this.election.notification());
  }

  private onNotification(from: ServerId, notification: Notification): void {
    if (this.role !== 'looking') {
      // A learner speaks for its leader only once that leader has taken it in (LEADERINFO): until
      // then it may be following a server that follows someone else, which could talk a leader
      // gathering its followers out of leading.
      if (this.learnerState?.stage === 'connecting') return;
      // Tell a looking server who leads, so it can join.
      if (notification.state === 'looking' || notification.state === 'observing') {
        this.send(from, this.stateNotification());
        return;
      }
      if (!this.voters.includes(from) || notification.vote.leader === this.leader) return;
      if (this.role === 'leading' && this.leaderGathering()) {
        if (this.leaderNoteElsewhere(from, notification) && !mutant('gatheringLeaderSitsOut')) {
          // Too few voters are left to follow us: we decided on votes that had moved on while we
          // waited, and the others settled on another leader. Look again (with this notification
          // as the first word of who leads) rather than wait out initLimit.
          this.startLooking();
          this.onNotification(from, notification);
        }
        return;
      }
      // A leader still gathering followers announces itself: tell it whom we follow, so that it
      // can step down. Leaders never answer one another, which could go on back and forth.
      if (this.role === 'following' && notification.state === 'leading') this.send(from, this.stateNotification());
      return;
    }
    const { changed, decision } = this.election.onNotification(from, notification, this.ticks, { zxid: this.lastZxidValue, epoch: this.hard.currentEpoch });
    if (decision !== null) {
      this.decide(decision);
      return;
    }
    if (changed) this.broadcastNotification(this.election.notification());
    // A looking sender behind our round learns of it from our answer.
    if (notification.state === 'looking' && notification.round < this.election.round) this.send(from, this.election.notification());
  }

  private decide(decision: Decision): void {
    this.currentVote = { vote: { ...decision.vote }, round: decision.round };
    if (decision.leader === this.self) {
      this.role = 'leading';
      this.leaderState = {
        startTick: this.ticks,
        epoch: 0,
        epochDecided: false,
        epochAckQuorum: false,
        established: false,
        initialZxid: 0,
        nextCounter: 1,
        learners: new Map(),
        waiting: [],
        elsewhere: new Set(),
        round: 0,
        pendingSyncs: [],
      };
      this.leaderTryDecideEpoch();
      // Answer any notification still in flight with our new state.
      this.broadcastNotification({ type: 'notification', vote: decision.vote, round: decision.round, state: 'leading' });
      return;
    }
    this.role = this.isObserver ? 'observing' : 'following';
    this.learnerState = { leader: decision.leader, stage: 'connecting', startTick: this.ticks, lastHeardTick: this.ticks, newLeaderZxid: 0, newLeaderEpoch: 0, ackSent: 0 };
    this.send(decision.leader, { type: 'followerInfo', acceptedEpoch: this.hard.acceptedEpoch, lastZxid: this.lastZxidValue, observer: this.isObserver });
  }

  // -------------------------------------------------------------------------------------------
  // Leading

  private stepLeader(from: ServerId, message: QuorumMessage): void {
    const leader = this.leaderState!;
    if (message.type === 'followerInfo') {
      this.onFollowerInfo(from, message.acceptedEpoch, message.lastZxid, message.observer);
      return;
    }
    const learner = leader.learners.get(from);
    if (learner === undefined) return; // from a dropped connection
    learner.lastHeardTick = this.ticks;
    switch (message.type) {
      case 'ackEpoch':
        if (message.epoch !== leader.epoch || learner.ackedEpoch) return;
        learner.ackedEpoch = true;
        learner.currentEpoch = message.currentEpoch;
        learner.lastZxid = message.lastZxid;
        this.leaderAfterEpochAck(learner);
        return;
      case 'ack':
        if (message.zxid > learner.ackedZxid) learner.ackedZxid = message.zxid;
        if (learner.phase === 'synced' && message.zxid >= learner.newLeaderZxid) {
          // The NEWLEADER ack: it holds our history durably and took our epoch.
          learner.phase = 'active';
          if (leader.established) this.send(learner.id, { type: 'upToDate', zxid: this.lastCommittedValue });
        }
        this.leaderProgress();
        return;
      case 'ping':
        if (message.round > learner.echoedRound) {
          learner.echoedRound = message.round;
          this.leaderConfirmSyncs();
        }
        return;
      case 'forward':
        if (leader.established) this.ready.forwarded.push({ from, payload: message.payload });
        return;
      case 'syncRequest':
        this.leaderCheckLeadership({ round: 0, to: from, id: message.id });
        return;
      default:
        return; // a learner has nothing else to say to its leader
    }
  }

  private onFollowerInfo(from: ServerId, acceptedEpoch: number, lastZxid: Zxid, observer: boolean): void {
    const leader = this.leaderState!;
    const known = leader.learners.get(from);
    if (known !== undefined && known.phase === 'discovering') {
      // A repeat sent while the learner waited for us to start leading (FIFO: before its ACKEPOCH).
      known.lastHeardTick = this.ticks;
      if (leader.epochDecided && !known.ackedEpoch) this.send(from, { type: 'leaderInfo', epoch: leader.epoch });
      return;
    }
    if (leader.epochDecided && acceptedEpoch > leader.epoch && !observer && !mutant('laterEpochVoterLeftOut')) {
      // The voter accepted a later epoch from a would-be leader that never established: it will
      // refuse ours, look again, find us leading and come back, for as long as we lead (ZooKeeper's
      // "Leaders epoch is less than accepted epoch"). Take that epoch on and look again, as Raft
      // does on a higher term: the next leader's epoch is above it (found by the simulation, seed
      // 9,201,918: a leader paused across two failed attempts of another left it out for good).
      this.setHardState({ acceptedEpoch, currentEpoch: this.hard.currentEpoch });
      this.startLooking();
      return;
    }
    leader.learners.set(from, {
      id: from,
      observer,
      phase: 'discovering',
      acceptedEpoch,
      currentEpoch: 0,
      lastZxid,
      ackedEpoch: false,
      newLeaderZxid: 0,
      ackedZxid: 0,
      lastHeardTick: this.ticks,
      echoedRound: 0,
    });
    if (leader.epochDecided) this.send(from, { type: 'leaderInfo', epoch: leader.epoch });
    else this.leaderTryDecideEpoch();
  }

  /** A new epoch once a quorum (with us) has said which epochs it accepted. */
  private leaderTryDecideEpoch(): void {
    const leader = this.leaderState!;
    const reporters = [this.self, ...[...leader.learners.values()].filter((l) => !l.observer).map((l) => l.id)];
    if (!isQuorum(reporters, this.voters)) return;
    const highest = Math.max(this.hard.acceptedEpoch, ...[...leader.learners.values()].map((l) => l.acceptedEpoch));
    leader.epoch = highest + 1;
    leader.epochDecided = true;
    this.setHardState({ acceptedEpoch: leader.epoch, currentEpoch: this.hard.currentEpoch });
    for (const learner of leader.learners.values()) this.send(learner.id, { type: 'leaderInfo', epoch: leader.epoch });
    // Alone (a single voter), our own acknowledgement is already a quorum.
    this.leaderCheckEpochAcks();
  }

  private leaderAfterEpochAck(learner: LearnerHandle): void {
    const leader = this.leaderState!;
    if (leader.epochAckQuorum) {
      this.syncLearner(learner);
      return;
    }
    // A follower ahead of us means the election picked wrongly: start over.
    const ahead = learner.currentEpoch > this.hard.currentEpoch || (learner.currentEpoch === this.hard.currentEpoch && learner.lastZxid > this.lastZxidValue);
    if (ahead && !learner.observer) {
      this.startLooking();
      return;
    }
    this.leaderCheckEpochAcks();
  }

  /** Synchronisation begins once a quorum (with us) has acknowledged the new epoch. */
  private leaderCheckEpochAcks(): void {
    const leader = this.leaderState!;
    const acked = [this.self, ...[...leader.learners.values()].filter((l) => l.ackedEpoch && !l.observer).map((l) => l.id)];
    if (!isQuorum(acked, this.voters)) return;
    leader.epochAckQuorum = true;
    leader.initialZxid = this.lastZxidValue;
    for (const other of leader.learners.values()) if (other.ackedEpoch && other.phase === 'discovering') this.syncLearner(other);
    this.leaderProgress();
  }

  /** DIFF, TRUNC+DIFF or SNAP, then NEWLEADER; proposals from now on follow on the same connection. */
  private syncLearner(learner: LearnerHandle): void {
    const leader = this.leaderState!;
    const theirs = learner.lastZxid;
    learner.phase = 'syncing';
    if (theirs > this.lastZxidValue || !this.hasZxid(theirs)) {
      const common = this.largestZxidAtOrBelow(theirs);
      if (common === null) {
        this.sendSnapshot(learner);
      } else {
        this.send(learner.id, { type: 'syncStart', mode: 'trunc', zxid: common });
        this.sendEntriesAfter(learner.id, common);
      }
    } else if (this.canDiffFrom(theirs)) {
      this.send(learner.id, { type: 'syncStart', mode: 'diff', zxid: theirs });
      this.sendEntriesAfter(learner.id, theirs);
    } else {
      this.sendSnapshot(learner);
    }
    learner.newLeaderZxid = this.lastZxidValue;
    learner.phase = 'synced';
    this.send(learner.id, { type: 'newLeader', epoch: leader.epoch, zxid: this.lastZxidValue });
    if (this.lastCommittedValue > 0) this.send(learner.id, { type: 'commit', zxid: this.lastCommittedValue });
  }

  private sendSnapshot(learner: LearnerHandle): void {
    // The driver streams the state as applied after this step's commits, which is lastCommitted.
    this.send(learner.id, { type: 'syncStart', mode: 'snap', zxid: this.lastCommittedValue });
    this.ready.sendSnapshot.push(learner.id);
    this.sendEntriesAfter(learner.id, this.lastCommittedValue);
  }

  private sendEntriesAfter(to: ServerId, zxid: Zxid): void {
    const entries = this.history.filter((entry) => entry.zxid > zxid);
    if (entries.length > 0) this.send(to, { type: 'proposal', entries });
  }

  private receivesProposals(learner: LearnerHandle): boolean {
    return learner.phase === 'synced' || (learner.phase === 'active' && !learner.observer);
  }

  /** Commit what a quorum holds, establish the epoch once a quorum acknowledged NEWLEADER. */
  private leaderProgress(): void {
    const leader = this.leaderState;
    if (leader === null || !leader.epochAckQuorum) return;
    if (!leader.established) {
      const acked = [...leader.learners.values()].filter((l) => l.phase === 'active' && !l.observer).map((l) => l.id);
      if (this.durableZxid >= leader.initialZxid) acked.push(this.self);
      if (!isQuorum(acked, this.voters)) return;
      leader.established = true;
      this.setHardState({ acceptedEpoch: this.hard.acceptedEpoch, currentEpoch: leader.epoch });
      this.commitUpTo(leader.initialZxid);
      for (const learner of leader.learners.values()) if (learner.phase === 'active') this.send(learner.id, { type: 'upToDate', zxid: this.lastCommittedValue });
      return;
    }
    const acknowledged = new Map<ServerId, Zxid>([[this.self, this.durableZxid]]);
    for (const learner of leader.learners.values()) if (learner.phase === 'active' && !learner.observer) acknowledged.set(learner.id, learner.ackedZxid);
    const target = quorumZxid(acknowledged, this.voters);
    // Only entries of our own epoch are committed by counting acks; older ones came with the
    // initial history, committed at establishment.
    if (target > this.lastCommittedValue && zxidEpoch(target) === leader.epoch) this.commitUpTo(target);
  }

  private commitUpTo(zxid: Zxid): void {
    const target = Math.min(zxid, this.lastZxidValue);
    if (target <= this.lastCommittedValue) return;
    // The history is in zxid order: slice the newly committed run rather than scan it all.
    const committed = this.history.slice(firstIndexAfter(this.history, this.lastCommittedValue), firstIndexAfter(this.history, target));
    this.ready.committed.push(...committed);
    this.lastCommittedValue = target;
    if (this.role === 'leading') {
      for (const learner of this.leaderState!.learners.values()) {
        if (learner.phase === 'active' && learner.observer) {
          if (committed.length > 0) this.send(learner.id, { type: 'inform', entries: committed });
        } else if (learner.phase === 'synced' || learner.phase === 'active') {
          this.send(learner.id, { type: 'commit', zxid: target });
        }
      }
      this.releaseWaiting();
    }
    this.trimHistory();
  }

  /**
   * Holds a sync until a quorum of voters has echoed a ping sent after it arrived (etcd's
   * ReadIndex). A voter that echoes our ping still followed us then, and one that has taken a
   * newer epoch never follows us again, so no newer leader had a quorum when the sync arrived: no
   * write acknowledged before it started is missing from our history. One round is in flight at
   * a time; the syncs that arrive meanwhile wait for the next, sent when it is confirmed.
   */
  private leaderCheckLeadership(sync: PendingSync): void {
    const leader = this.leaderState!;
    if (mutant('syncWithoutQuorum')) {
      this.leaderAnswerSync(sync);
      return;
    }
    const inFlight = leader.pendingSyncs.some((pending) => pending.round === leader.round);
    sync.round = leader.round + 1;
    leader.pendingSyncs.push(sync);
    if (!inFlight) this.leaderSendRound();
  }

  private leaderSendRound(): void {
    const leader = this.leaderState!;
    leader.round++;
    for (const learner of leader.learners.values()) if (!learner.observer) this.send(learner.id, { type: 'ping', round: leader.round });
    // With no other voter (a single voter with observers), we are the quorum.
    this.leaderConfirmSyncs();
  }

  /** Answers the syncs whose round a quorum echoed; starts the next round if some still wait. */
  private leaderConfirmSyncs(): void {
    const leader = this.leaderState!;
    const first = leader.pendingSyncs[0];
    if (first === undefined) return;
    const echoed = (round: number) => [this.self, ...[...leader.learners.values()].filter((l) => !l.observer && l.echoedRound >= round).map((l) => l.id)];
    if (!isQuorum(echoed(first.round), this.voters)) return;
    const confirmed = first.round;
    let answered = 0;
    while (answered < leader.pendingSyncs.length && leader.pendingSyncs[answered]!.round <= confirmed) {
      this.leaderAnswerSync(leader.pendingSyncs[answered]!);
      answered++;
    }
    leader.pendingSyncs.splice(0, answered);
    if (leader.pendingSyncs.length > 0) this.leaderSendRound();
  }

  private leaderAnswerSync(sync: PendingSync): void {
    if (sync.to === null) this.ready.syncsDone.push(sync.id);
    else this.leaderHold(sync.to, sync.message ?? { type: 'syncReply', id: sync.id });
  }

  private leaderHold(to: ServerId, message: QuorumMessage): void {
    const leader = this.leaderState;
    if (leader === null) return;
    leader.waiting.push({ to, afterZxid: this.lastZxidValue, message });
    this.releaseWaiting();
  }

  private releaseWaiting(): void {
    const leader = this.leaderState!;
    let released = 0;
    while (released < leader.waiting.length && leader.waiting[released]!.afterZxid <= this.lastCommittedValue) {
      const waiting = leader.waiting[released]!;
      if (leader.learners.has(waiting.to)) this.send(waiting.to, waiting.message);
      released++;
    }
    if (released > 0) leader.waiting.splice(0, released);
  }

  private tickLeading(): void {
    const leader = this.leaderState!;
    if (!leader.established && this.ticks - leader.startTick > this.options.initLimit) {
      this.startLooking();
      return;
    }
    // The low 32 bits of the zxid are used up: as ZooKeeper does, force an election (a new epoch).
    if (this.counterExhausted) {
      this.startLooking();
      return;
    }
    if (this.leaderGathering()) {
      // Our announcement when we decided may have been lost, or met servers still looking that
      // have since followed someone else: repeat it to the voters that have not joined us, whose
      // answers tell us whether a quorum is still within reach.
      const announcement = this.stateNotification();
      for (const voter of this.voters) if (voter !== this.self && !leader.learners.has(voter)) this.send(voter, announcement);
    }
    for (const learner of [...leader.learners.values()]) {
      const limit = learner.phase === 'active' ? this.options.syncLimit : this.options.initLimit;
      if (this.ticks - learner.lastHeardTick > limit) {
        leader.learners.delete(learner.id);
        this.ready.disconnect.push(learner.id);
        continue;
      }
      this.send(learner.id, { type: 'ping', round: leader.round });
    }
    this.leaderCheckQuorum();
  }

  /** Whether we lead unestablished, without a quorum of voters connected to us yet. */
  private leaderGathering(): boolean {
    const leader = this.leaderState!;
    if (leader.established) return false;
    const connected = [this.self, ...[...leader.learners.values()].filter((l) => !l.observer).map((l) => l.id)];
    return !isQuorum(connected, this.voters);
  }

  /**
   * Records that a voter follows or leads another server, and that the server it names leads
   * (a follower speaks only once its leader has taken it in). Returns whether the voters that may
   * still follow us (those connected to us count whatever they said before) are fewer than a quorum.
   */
  private leaderNoteElsewhere(from: ServerId, notification: Notification): boolean {
    const leader = this.leaderState!;
    leader.elsewhere.add(from);
    leader.elsewhere.add(notification.vote.leader);
    const reachable = this.voters.filter((voter) => leader.learners.has(voter) || !leader.elsewhere.has(voter));
    return !isQuorum(reachable, this.voters);
  }

  /** A leader without a quorum of live followers steps down and never commits again in this epoch. */
  private leaderCheckQuorum(): void {
    const leader = this.leaderState!;
    if (!leader.established) return;
    const live = [this.self, ...[...leader.learners.values()].filter((l) => l.phase === 'active' && !l.observer).map((l) => l.id)];
    if (!isQuorum(live, this.voters)) this.startLooking();
  }

  // -------------------------------------------------------------------------------------------
  // Following and observing

  private stepLearner(from: ServerId, message: QuorumMessage): void {
    const learner = this.learnerState!;
    if (from !== learner.leader) {
      // It elected us on votes that moved on while it waited: we follow someone else. Turn it
      // away, so it looks again now instead of retrying us for initLimit.
      if (message.type === 'followerInfo') this.ready.disconnect.push(from);
      return;
    }
    if (message.type === 'followerInfo' && !mutant('mutualFollowersWait')) {
      // The server we follow follows us: each of us decided on the other from votes that had moved
      // on (a stale LEADING and a stale FOLLOWING make a quorum of the out-of-election). Neither
      // would ever lead, and each one's FOLLOWERINFO would keep the other from timing out: look
      // again, which drops the connection and so sends it looking too (found by the simulation,
      // seed 9,012,941).
      this.startLooking();
      return;
    }
    learner.lastHeardTick = this.ticks;
    switch (message.type) {
      case 'leaderInfo':
        if (learner.stage === 'connecting') this.onLeaderInfo(message.epoch);
        return;
      case 'syncStart':
        this.onSyncStart(message.mode, message.zxid);
        return;
      case 'proposal':
        // Before the leader's syncStart a proposal belongs to a leadership we are not synced with
        // (a leader still holding our old handle sends to our new connection): logging it would
        // leave a gap in our log (found by the simulation, seed 4,000,278).
        if (learner.stage === 'connecting' || learner.stage === 'epochAcked') return;
        this.onProposal(message.entries);
        return;
      case 'newLeader':
        learner.stage = 'newLeader';
        learner.newLeaderZxid = message.zxid;
        learner.newLeaderEpoch = message.epoch;
        this.learnerAcknowledge();
        return;
      case 'upToDate':
        learner.stage = 'active';
        this.commitUpTo(message.zxid);
        return;
      case 'commit':
        this.commitUpTo(message.zxid);
        return;
      case 'inform':
        if (learner.stage === 'connecting' || learner.stage === 'epochAcked') return;
        this.onProposal(message.entries);
        this.commitUpTo(message.entries.at(-1)?.zxid ?? 0);
        return;
      case 'ping':
        this.send(from, { type: 'ping', round: message.round });
        return;
      case 'reply':
        this.ready.replies.push(message.payload);
        return;
      case 'syncReply':
        this.ready.syncsDone.push(message.id);
        return;
      default:
        return;
    }
  }

  private onLeaderInfo(epoch: number): void {
    const learner = this.learnerState!;
    // ZAB's promise: never acknowledge an epoch below one we accepted. An observer's promise
    // counts for nothing (its acknowledgements are never part of a quorum), so it joins a leader
    // whose epoch is below one it accepted from a would-be leader that never established, or it
    // could never join again.
    if (epoch < this.hard.acceptedEpoch && (!this.isObserver || epoch < this.hard.currentEpoch)) {
      this.startLooking();
      return;
    }
    if (epoch > this.hard.acceptedEpoch) this.setHardState({ acceptedEpoch: epoch, currentEpoch: this.hard.currentEpoch });
    learner.stage = 'epochAcked';
    this.send(learner.leader, { type: 'ackEpoch', epoch, currentEpoch: this.hard.currentEpoch, lastZxid: this.lastZxidValue });
  }

  private onSyncStart(mode: 'diff' | 'trunc' | 'snap', zxid: Zxid): void {
    const learner = this.learnerState!;
    learner.stage = 'syncing';
    if (mode === 'trunc') {
      if (!mutant('skipTruncate')) this.truncateAfter(zxid);
    } else if (mode === 'snap') {
      // The driver installed the snapshot (streamed right behind this message) before telling us.
      this.restartLogAt(zxid);
    } else {
      assert(zxid === this.lastZxidValue, `a DIFF starts at our last zxid ${this.lastZxidValue}, not ${zxid}`);
    }
  }

  private truncateAfter(zxid: Zxid): void {
    if (zxid >= this.lastZxidValue) return;
    this.pendingTruncations++;
    this.history = this.history.filter((entry) => entry.zxid <= zxid);
    this.lastZxidValue = zxid;
    this.durableZxid = Math.min(this.durableZxid, zxid);
    this.lastCommittedValue = Math.min(this.lastCommittedValue, zxid);
    if (this.history.length === 0 && this.windowBase > zxid) this.windowBase = zxid;
    this.ready.truncateAfter = this.ready.truncateAfter === null ? zxid : Math.min(this.ready.truncateAfter, zxid);
  }

  private onProposal(entries: Entry[]): void {
    const fresh = entries.filter((entry) => entry.zxid > this.lastZxidValue);
    if (fresh.length === 0) return;
    this.appendLocal(fresh);
    if (this.role !== 'following') return;
    if (mutant('ackBeforeFsync')) {
      this.durableZxid = this.lastZxidValue;
      this.learnerAcknowledge();
    }
    if (mutant('applyBeforeCommit') && this.learnerState?.stage === 'active') this.commitUpTo(this.lastZxidValue);
  }

  /** Tell the leader what is durable: the NEWLEADER ack first, then cumulative acks. */
  private learnerAcknowledge(): void {
    const learner = this.learnerState;
    if (learner === null) return;
    // Until a TRUNC's cut is durable the log still holds what it cut: acknowledging now would let
    // a crash bring back txns the new epoch's history does not have, on a server that then leads
    // with them (found by the simulation, seed 129: a follower that crashed right after its
    // NEWLEADER ack came back with the two txns its TRUNC had removed, and led an epoch with them).
    if (this.pendingTruncations > 0 && !mutant('ackBeforeTruncationDurable')) return;
    if (learner.stage === 'newLeader') {
      // NEWLEADER is acknowledged only once the synced history and the new epoch are durable, and
      // the epoch is taken only once the history is: a server whose currentEpoch is new but whose
      // log lacks the history it came with would win the next election on that epoch and TRUNC
      // away committed txns (found by the simulation, seed 2,000,044: a follower whose fsync
      // failed right after NEWLEADER; ZAB's phase 2 orders it so).
      if (this.durableZxid < learner.newLeaderZxid) return;
      this.setHardState({ acceptedEpoch: this.hard.acceptedEpoch, currentEpoch: learner.newLeaderEpoch });
      learner.stage = 'synced';
      learner.ackSent = this.durableZxid;
      this.send(learner.leader, { type: 'ack', zxid: this.durableZxid });
      return;
    }
    // Observers do not vote: once synced they acknowledge nothing.
    if (this.isObserver) return;
    if ((learner.stage === 'synced' || learner.stage === 'active') && this.durableZxid > learner.ackSent) {
      learner.ackSent = this.durableZxid;
      this.send(learner.leader, { type: 'ack', zxid: this.durableZxid });
    }
  }

  private tickLearning(): void {
    const learner = this.learnerState!;
    const limit = learner.stage === 'active' ? this.options.syncLimit : this.options.initLimit;
    if (this.ticks - learner.lastHeardTick > limit) {
      this.startLooking();
      return;
    }
    if (learner.stage === 'connecting' && (this.ticks - learner.startTick) % 2 === 0) {
      // The leader may not have decided yet when our first FOLLOWERINFO arrived on a fresh connection.
      this.send(learner.leader, { type: 'followerInfo', acceptedEpoch: this.hard.acceptedEpoch, lastZxid: this.lastZxidValue, observer: this.isObserver });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Log

  private appendLocal(entries: Entry[]): void {
    for (const entry of entries) {
      assert(entry.zxid > this.lastZxidValue, `entry ${entry.zxid} follows ${this.lastZxidValue}`);
      this.history.push(entry);
      this.lastZxidValue = entry.zxid;
    }
    this.ready.entries.push(...entries);
  }

  private hasZxid(zxid: Zxid): boolean {
    if (zxid === this.windowBase) return true;
    return binarySearch(this.history, zxid) >= 0;
  }

  /** The largest zxid we hold that is ≤ `zxid`, if our window reaches back that far. */
  private largestZxidAtOrBelow(zxid: Zxid): Zxid | null {
    let found: Zxid | null = this.windowBase <= zxid ? this.windowBase : null;
    for (const entry of this.history) {
      if (entry.zxid > zxid) break;
      found = entry.zxid;
    }
    return found;
  }

  /** DIFF works when every entry after `zxid` is still in memory. */
  private canDiffFrom(zxid: Zxid): boolean {
    return zxid >= this.windowBase;
  }

  private trimHistory(): void {
    const excess = this.history.length - this.options.historyLimit;
    // Trim in steps of a quarter of the limit, so the commit path does not shift the whole
    // array on every commit once the window is full.
    if (excess <= 0 || excess < Math.floor(this.options.historyLimit / 4)) return;
    // Never drop an uncommitted entry: a new leader may need to send it.
    let drop = 0;
    while (drop < excess && this.history[drop]!.zxid <= this.lastCommittedValue) drop++;
    if (drop === 0) return;
    this.windowBase = this.history[drop - 1]!.zxid;
    this.history.splice(0, drop);
  }

  // -------------------------------------------------------------------------------------------

  private setHardState(next: HardState): void {
    assert(next.acceptedEpoch >= this.hard.acceptedEpoch && next.currentEpoch >= this.hard.currentEpoch, 'epochs never go back');
    this.hard = next;
    this.ready.hardState = { ...next };
  }

  private send(to: ServerId, message: PeerMessage): void {
    assert(to !== this.self, 'a peer never messages itself');
    this.ready.messages.push({ to, message });
  }
}

/** Index of the first entry with a zxid greater than `zxid` (entries are in zxid order). */
function firstIndexAfter(entries: readonly Entry[], zxid: Zxid): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (entries[middle]!.zxid <= zxid) low = middle + 1;
    else high = middle;
  }
  return low;
}

function binarySearch(entries: readonly Entry[], zxid: Zxid): number {
  let low = 0;
  let high = entries.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const value = entries[middle]!.zxid;
    if (value === zxid) return middle;
    if (value < zxid) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** Merges runs of proposals to one peer into one message and keeps only the last commit/ack of a run. */
function coalesce(messages: Ready['messages']): Ready['messages'] {
  const result: Ready['messages'] = [];
  for (const outbound of messages) {
    const previous = result.at(-1);
    if (previous !== undefined && previous.to === outbound.to) {
      const a = previous.message;
      const b = outbound.message;
      if (a.type === 'proposal' && b.type === 'proposal') {
        result[result.length - 1] = { to: outbound.to, message: { type: 'proposal', entries: [...a.entries, ...b.entries] } };
        continue;
      }
      if ((a.type === 'commit' && b.type === 'commit') || (a.type === 'ack' && b.type === 'ack')) {
        result[result.length - 1] = outbound;
        continue;
      }
    }
    result.push(outbound);
  }
  return result;
}
