// How a node's proposals become committed txns. A standalone server makes each record durable in
// its own log and commits it (LocalReplicator); an ensemble member hands it to ZAB
// (ZabReplicator). The node and its parts (the write pipeline, the session table) see only this
// interface.

import { encodeTxnRecord } from '../core/codec.js';
import { assert } from '../core/errors.js';
import type { ReplicatedState } from '../core/state.js';
import { makeZxid, zxidAfter, zxidEpoch, type TxnRecord, type Zxid } from '../core/types.js';
import type { ServerId } from '../zab/types.js';
import type { ForwardedMessage, ForwardReply } from './forwarding.js';
import type { Persistence } from './persistence.js';

export type ReplicationRole = 'standalone' | 'leader' | 'follower' | 'observer' | 'looking';

export interface Replicator {
  /** The zxid of the last proposal (the barrier a refused write or a sync waits for). */
  readonly lastProposedZxid: Zxid;
  /** True when this server prepares writes itself: standalone, or the serving leader. */
  readonly preparesWrites: boolean;
  readonly role: ReplicationRole;
  /** The epoch this server is in (a leader's own; a learner's last acknowledged one). */
  readonly epoch: number;
  /** Whether this server serves clients now (standalone always; a member once synced with a leader). */
  readonly serving: boolean;
  /** The zxid the next proposal must carry; null when this server cannot propose now. */
  nextZxid(): Zxid | null;
  /** Proposes a record carrying nextZxid(); it comes back through `onCommitted` once committed. */
  propose(record: TxnRecord): void;
  /** Learner: hands a message to the leader; false when no leader serves us. */
  forward(message: ForwardedMessage): boolean;
  /** Leader: answers a learner's write that made no txn, once every earlier proposal is committed. */
  reply(to: ServerId, reply: ForwardReply): void;
  /**
   * Learner: `done` runs once everything the leader had proposed before now is applied here.
   * Leader: `done` runs once a quorum has shown that it still leads (everything it proposed
   * before then is still to be applied). `fail` if the leadership is lost first. False when no
   * leader serves us.
   */
  sync(done: () => void, fail: (error: unknown) => void): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What a replicator tells the node it serves. */
export interface ReplicationListener {
  onCommitted(record: TxnRecord): void;
  /** Leader: a learner forwarded a message. */
  onForwarded(from: ServerId, message: ForwardedMessage): void;
  /** Learner: the leader answered a forwarded write that made no txn. */
  onForwardReply(reply: ForwardReply): void;
  /** The role changed (e.g. the leader was lost, or this server now leads). */
  onRoleChanged(role: ReplicationRole, serving: boolean): void;
  /** The state as applied now (a leader streams it to a learner too far behind). */
  currentState(): ReplicatedState;
  /** A snapshot from the leader, or a rebuild after a truncation, replaces the state. */
  replaceState(state: ReplicatedState): void;
  onFailure(error: unknown): void;
}

/** Standalone: a record is committed once it is fsynced in the local log. */
export class LocalReplicator implements Replicator {
  /**
   * The last zxid proposed, or at start the last one recovered. Not the new epoch's zero: a
   * refused write waits for this barrier to be applied, and a zero of an epoch with no txn yet
   * is never applied (a fresh server then left every refused unary write unanswered until a
   * write succeeded).
   */
  lastProposedZxid: Zxid;
  readonly epoch: number;
  readonly preparesWrites = true;
  readonly role = 'standalone' as const;
  readonly serving = true;

  constructor(
    private readonly persistence: Persistence,
    /** A new epoch at every start: zxids never repeat, even over a truncated unacknowledged tail. */
    epoch: number,
    /** The last zxid the recovered state holds. */
    recoveredZxid: Zxid,
    private readonly listener: Pick<ReplicationListener, 'onCommitted' | 'onFailure'>,
  ) {
    assert(zxidEpoch(recoveredZxid) < epoch, `the recovered zxid ${recoveredZxid} comes before epoch ${epoch}`);
    this.epoch = epoch;
    this.lastProposedZxid = recoveredZxid;
  }

  nextZxid(): Zxid {
    return zxidEpoch(this.lastProposedZxid) === this.epoch ? zxidAfter(this.lastProposedZxid) : zxidAfter(makeZxid(this.epoch, 0));
  }

  propose(record: TxnRecord): void {
    const zxid = record.header.zxid;
    assert(zxid === this.nextZxid(), `proposal ${zxid} carries the next zxid ${this.nextZxid()}`);
    this.lastProposedZxid = zxid;
    // Appends resolve in order (one group commit after another), so commits come in zxid order.
    this.persistence.append(zxid, encodeTxnRecord(record)).then(
      () => this.listener.onCommitted(record),
      (error) => this.listener.onFailure(error),
    );
  }

  forward(): boolean {
    return false;
  }

  reply(): void {
    assert(false, 'a standalone server has no learners to answer');
  }

  /** A standalone server is its own leader and quorum. */
  sync(done: () => void): boolean {
    done();
    return true;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
