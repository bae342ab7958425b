// ZAB's vocabulary: servers, log entries, the peer messages, and what a step hands back.
// Everything here is data; the protocol lives in peer.ts and election.ts.

import type { Zxid } from '../core/types.js';

export type ServerId = number;

export interface Entry {
  zxid: Zxid;
  /** An encoded txn record; opaque to the protocol. */
  payload: Uint8Array;
}

export type Role = 'looking' | 'following' | 'leading' | 'observing';

export interface Membership {
  voters: readonly ServerId[];
  observers: readonly ServerId[];
}

/** A vote in fast leader election. `epoch` is the candidate's current (last acknowledged) epoch. */
export interface Vote {
  leader: ServerId;
  zxid: Zxid;
  epoch: number;
}

export type ElectionState = 'looking' | 'following' | 'leading' | 'observing';

/** Election notifications travel on their own lossy channel: dropped, duplicated, reordered. */
export interface Notification {
  type: 'notification';
  vote: Vote;
  /** The sender's election round (ZooKeeper's logical clock). */
  round: number;
  state: ElectionState;
}

// Messages on the FIFO connection between a learner and its leader (ZooKeeper's quorum packets).
export interface FollowerInfo {
  type: 'followerInfo';
  acceptedEpoch: number;
  lastZxid: Zxid;
  observer: boolean;
}
export interface LeaderInfo {
  type: 'leaderInfo';
  epoch: number;
}
export interface AckEpoch {
  type: 'ackEpoch';
  epoch: number;
  currentEpoch: number;
  lastZxid: Zxid;
}
/** How the leader brings a learner level: what to cut first, or a snapshot to install. */
export interface SyncStart {
  type: 'syncStart';
  mode: 'diff' | 'trunc' | 'snap';
  /** trunc: drop everything after this zxid. snap: the snapshot's zxid (the driver streams it). */
  zxid: Zxid;
}
export interface Proposal {
  type: 'proposal';
  entries: Entry[];
}
export interface Ack {
  type: 'ack';
  /** Every entry up to this zxid is durable on the sender. */
  zxid: Zxid;
}
export interface Commit {
  type: 'commit';
  /** Every entry up to this zxid is committed. */
  zxid: Zxid;
}
/** Committed entries for an observer, which takes no part in acknowledging. */
export interface Inform {
  type: 'inform';
  entries: Entry[];
}
export interface NewLeader {
  type: 'newLeader';
  epoch: number;
  zxid: Zxid;
}
export interface UpToDate {
  type: 'upToDate';
  /** Everything up to here is committed. */
  zxid: Zxid;
}
/**
 * The leader's heartbeat, echoed by its learners. `round` numbers the leader's leadership checks:
 * a learner's echo of round R tells the leader that this learner still followed it after every
 * sync assigned to R arrived (see ZabPeer.requestSync).
 */
export interface Ping {
  type: 'ping';
  round: number;
}
/** A client request a learner forwards to the leader; opaque to the protocol. */
export interface Forward {
  type: 'forward';
  payload: Uint8Array;
}
/** The leader's answer to a forwarded request that made no txn; sent after the commits it rests on. */
export interface Reply {
  type: 'reply';
  payload: Uint8Array;
}
export interface SyncRequest {
  type: 'syncRequest';
  id: number;
}
export interface SyncReply {
  type: 'syncReply';
  id: number;
}

export type QuorumMessage =
  | FollowerInfo
  | LeaderInfo
  | AckEpoch
  | SyncStart
  | Proposal
  | Ack
  | Commit
  | Inform
  | NewLeader
  | UpToDate
  | Ping
  | Forward
  | Reply
  | SyncRequest
  | SyncReply;

export type PeerMessage = Notification | QuorumMessage;

export interface Outbound {
  to: ServerId;
  message: PeerMessage;
}

/** What must survive a restart besides the log. */
export interface HardState {
  acceptedEpoch: number;
  currentEpoch: number;
}

/**
 * One step's work for the driver, in this order: persist `hardState` (fsync) and `truncateAfter`
 * / `installSnapshot`; append `entries` (and report `persisted` once fsynced); send `messages`
 * (connection `disconnect`s first); apply `committed`; stream snapshots for `sendSnapshot`.
 */
export interface Ready {
  hardState: HardState | null;
  /** Cut the log (and the applied state) back to this zxid. */
  truncateAfter: Zxid | null;
  entries: Entry[];
  disconnect: ServerId[];
  messages: Outbound[];
  committed: Entry[];
  /** The leader must stream its state, as of after `committed`, to these learners. */
  sendSnapshot: ServerId[];
  /** Requests learners forwarded, for the leader's driver to prepare and propose. */
  forwarded: { from: ServerId; payload: Uint8Array }[];
  /** Replies to requests this learner forwarded. */
  replies: Uint8Array[];
  /** Syncs this learner asked for that are now answered. */
  syncsDone: number[];
}

export function emptyReady(): Ready {
  return {
    hardState: null,
    truncateAfter: null,
    entries: [],
    disconnect: [],
    messages: [],
    committed: [],
    sendSnapshot: [],
    forwarded: [],
    replies: [],
    syncsDone: [],
  };
}

/** Whether a step left nothing for the driver to do. */
export function isEmptyReady(ready: Ready): boolean {
  return (
    ready.hardState === null &&
    ready.truncateAfter === null &&
    ready.entries.length === 0 &&
    ready.committed.length === 0 &&
    ready.disconnect.length === 0 &&
    ready.messages.length === 0 &&
    ready.sendSnapshot.length === 0 &&
    ready.forwarded.length === 0 &&
    ready.replies.length === 0 &&
    ready.syncsDone.length === 0
  );
}
