// Fast leader election's order on votes: the higher epoch wins, then the higher zxid, then the
// higher server id (ZooKeeper's totalOrderPredicate). The winner holds every committed txn.

import type { Vote } from './types.js';

export function isBetterVote(candidate: Vote, current: Vote): boolean {
  if (candidate.epoch !== current.epoch) return candidate.epoch > current.epoch;
  if (candidate.zxid !== current.zxid) return candidate.zxid > current.zxid;
  return candidate.leader > current.leader;
}

export function sameVote(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.zxid === b.zxid && a.epoch === b.epoch;
}
