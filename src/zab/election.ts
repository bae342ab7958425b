// Fast leader election (ZooKeeper's FastLeaderElection), as a pure state machine. Notifications
// may be lost, duplicated or reordered: a looking server re-sends its vote every tick.

import { isQuorum } from './quorum.js';
import { isBetterVote, sameVote } from './vote.js';
import type { ElectionState, Membership, Notification, ServerId, Vote } from './types.js';

interface Received {
  vote: Vote;
  round: number;
  state: ElectionState;
}

export interface Decision {
  leader: ServerId;
  vote: Vote;
  round: number;
}

/** What an observer proposes: voters ignore observers' votes, so it can never win. */
const OBSERVER_VOTE_EPOCH = 0;

export class Election {
  round = 0;
  proposal: Vote;
  /** Votes of looking voters in the current round. */
  private readonly received = new Map<ServerId, Received>();
  /** Votes of voters that already follow or lead (they answer a looking server's notification). */
  private readonly outOfElection = new Map<ServerId, Received>();
  /** The tick at which the current proposal first had a quorum; decided one tick later. */
  private quorumSinceTick: number | null = null;

  constructor(
    private readonly self: ServerId,
    private readonly membership: Membership,
  ) {
    this.proposal = { leader: self, zxid: 0, epoch: OBSERVER_VOTE_EPOCH };
  }

  private get isObserver(): boolean {
    return !this.membership.voters.includes(this.self);
  }

  /** Begins a new round with a vote for ourselves (observers vote for nobody that can win). */
  start(own: { zxid: number; epoch: number }): Notification {
    this.round++;
    this.received.clear();
    this.outOfElection.clear();
    this.quorumSinceTick = null;
    this.proposal = this.isObserver ? { leader: this.self, zxid: 0, epoch: OBSERVER_VOTE_EPOCH } : { leader: this.self, zxid: own.zxid, epoch: own.epoch };
    return this.notification();
  }

  notification(): Notification {
    return { type: 'notification', vote: { ...this.proposal }, round: this.round, state: this.isObserver ? 'observing' : 'looking' };
  }

  /**
   * Handles a notification. Returns whether our vote changed (re-broadcast it) and a decision
   * when the sender's information settles the election.
   */
  onNotification(from: ServerId, notification: Notification, tick: number, own: { zxid: number; epoch: number }): { changed: boolean; decision: Decision | null } {
    const fromVoter = this.membership.voters.includes(from);
    if (notification.state === 'looking') {
      if (!fromVoter) return { changed: false, decision: null };
      let changed = false;
      if (notification.round > this.round) {
        this.round = notification.round;
        this.received.clear();
        const mine: Vote = this.isObserver ? this.proposal : { leader: this.self, zxid: own.zxid, epoch: own.epoch };
        this.proposal = isBetterVote(notification.vote, mine) ? { ...notification.vote } : mine;
        this.quorumSinceTick = null;
        changed = true;
      } else if (notification.round < this.round) {
        return { changed: false, decision: null };
      } else if (isBetterVote(notification.vote, this.proposal)) {
        this.proposal = { ...notification.vote };
        this.quorumSinceTick = null;
        changed = true;
      }
      this.received.set(from, { vote: notification.vote, round: notification.round, state: 'looking' });
      return { changed, decision: this.checkQuorum(tick) };
    }
    if (!fromVoter) return { changed: false, decision: null };
    // The sender follows or leads: a quorum of such notifications for one leader that says it
    // leads means the election is over for us too.
    const record: Received = { vote: notification.vote, round: notification.round, state: notification.state };
    this.outOfElection.set(from, record);
    if (notification.round === this.round) this.received.set(from, record);
    // Servers that follow or lead report their leader and its epoch; only those two must agree
    // (as ZooKeeper's Vote.equals when either side is not looking). Our own vote counts when it is
    // the very vote they act on (as ZooKeeper's recvset holds our own notification): a leader that
    // announces the vote we cast in this round is followed at once, before a better vote arriving
    // later in our wait for one can take us elsewhere and leave that leader without a quorum.
    const vote = notification.vote;
    if (notification.round === this.round && this.hasQuorum(this.received, vote, true, sameLeadership) && this.leaderConfirmed(vote.leader, this.received)) {
      return { changed: false, decision: { leader: vote.leader, vote, round: this.round } };
    }
    if (this.hasQuorum(this.outOfElection, vote, false, sameLeadership) && this.leaderConfirmed(vote.leader, this.outOfElection)) {
      this.round = notification.round;
      return { changed: false, decision: { leader: vote.leader, vote, round: notification.round } };
    }
    return { changed: false, decision: null };
  }

  /** Called every tick while looking: decides once a quorum has agreed for a whole tick. */
  onTick(tick: number): Decision | null {
    return this.checkQuorum(tick);
  }

  private checkQuorum(tick: number): Decision | null {
    if (!this.hasQuorum(this.received, this.proposal, true)) {
      this.quorumSinceTick = null;
      return null;
    }
    const everyone = this.membership.voters.every((voter) => voter === this.self || sameVote(this.received.get(voter)?.vote ?? NO_VOTE, this.proposal));
    if (this.quorumSinceTick === null) this.quorumSinceTick = tick;
    // ZooKeeper waits finalizeWait for a better vote; we wait a tick unless every voter agrees.
    if (!everyone && tick <= this.quorumSinceTick) return null;
    return { leader: this.proposal.leader, vote: { ...this.proposal }, round: this.round };
  }

  private hasQuorum(votes: ReadonlyMap<ServerId, Received>, vote: Vote, includeSelf = false, same: (a: Vote, b: Vote) => boolean = sameVote): boolean {
    const agreeing: ServerId[] = [];
    for (const [server, received] of votes) if (same(received.vote, vote)) agreeing.push(server);
    if (includeSelf && !this.isObserver && sameVote(this.proposal, vote)) agreeing.push(this.self);
    return isQuorum(agreeing, this.membership.voters);
  }

  /** A decision for another leader needs that leader's own word that it leads. */
  private leaderConfirmed(leader: ServerId, votes: ReadonlyMap<ServerId, Received>): boolean {
    if (leader === this.self) return !this.isObserver;
    return votes.get(leader)?.state === 'leading';
  }
}

function sameLeadership(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.epoch === b.epoch;
}

const NO_VOTE: Vote = { leader: -1, zxid: -1, epoch: -2 };
