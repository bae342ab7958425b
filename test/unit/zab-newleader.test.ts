// A follower takes the epoch of a NEWLEADER only once the history synced with it is durable
// (ZAB's phase 2): found by the simulation, where a follower whose fsync failed right after
// NEWLEADER restarted with the new currentEpoch and a log without that history, won the next
// election on its epoch, and TRUNCated away a committed txn (seed 2,000,044).

import { describe, expect, it } from 'vitest';
import { makeZxid, type Zxid } from '../../src/core/types.js';
import { ZabPeer } from '../../src/zab/peer.js';
import type { Entry, HardState, PeerMessage, Ready } from '../../src/zab/types.js';

const OLD_EPOCH = 2;
const NEW_EPOCH = 3;

function entry(counter: number): Entry {
  return { zxid: makeZxid(OLD_EPOCH, counter), payload: new Uint8Array([counter]) };
}

/**
 * Server 2 of three, elected into following server 1; by default its log holds counter 1 of the
 * old epoch.
 */
function followerOfOne(log: { lastZxid: Zxid; history: Entry[]; historyBase: Zxid } = { lastZxid: makeZxid(OLD_EPOCH, 1), history: [entry(1)], historyBase: 0 }): ZabPeer {
  const peer = new ZabPeer(
    { self: 2, membership: { voters: [1, 2, 3], observers: [] }, initLimit: 20, syncLimit: 10, historyLimit: 100 },
    { hardState: { acceptedEpoch: OLD_EPOCH, currentEpoch: OLD_EPOCH }, ...log },
  );
  peer.takeReady();
  const vote = { leader: 1, zxid: makeZxid(OLD_EPOCH, 3), epoch: OLD_EPOCH };
  peer.receive(1, { type: 'notification', vote, round: 1, state: 'leading' });
  peer.receive(3, { type: 'notification', vote, round: 1, state: 'following' });
  for (let tick = 0; tick < 3 && peer.role !== 'following'; tick++) peer.tick();
  expect(peer.role).toBe('following');
  peer.takeReady();
  return peer;
}

function step(peer: ZabPeer, message: PeerMessage): Ready {
  peer.receive(1, message);
  return peer.takeReady();
}

describe('NEWLEADER', () => {
  it('makes the new epoch current only together with the acknowledgement, once the synced history is durable', () => {
    const peer = followerOfOne();
    const epochs: (HardState | null)[] = [];
    epochs.push(step(peer, { type: 'leaderInfo', epoch: NEW_EPOCH }).hardState);
    expect(epochs.at(-1)).toEqual({ acceptedEpoch: NEW_EPOCH, currentEpoch: OLD_EPOCH });
    step(peer, { type: 'syncStart', mode: 'diff', zxid: makeZxid(OLD_EPOCH, 1) });
    const logged = step(peer, { type: 'proposal', entries: [entry(2), entry(3)] });
    expect(logged.entries.map((logEntry) => logEntry.zxid)).toEqual([makeZxid(OLD_EPOCH, 2), makeZxid(OLD_EPOCH, 3)]);
    const newLeaderZxid: Zxid = makeZxid(OLD_EPOCH, 3);
    const beforeDurable = step(peer, { type: 'newLeader', epoch: NEW_EPOCH, zxid: newLeaderZxid });
    // The history is not durable yet: no new currentEpoch, no acknowledgement.
    expect(beforeDurable.hardState).toBeNull();
    expect(beforeDurable.messages.filter((outbound) => outbound.message.type === 'ack')).toEqual([]);
    expect(peer.hardState.currentEpoch).toBe(OLD_EPOCH);
    peer.persisted(makeZxid(OLD_EPOCH, 2));
    expect(peer.takeReady().hardState).toBeNull();
    peer.persisted(newLeaderZxid);
    const durable = peer.takeReady();
    // In one Ready, which the driver carries out in order: the epoch files first, then the ack.
    expect(durable.hardState).toEqual({ acceptedEpoch: NEW_EPOCH, currentEpoch: NEW_EPOCH });
    expect(durable.messages).toContainEqual({ to: 1, message: { type: 'ack', zxid: newLeaderZxid } });
  });
});

describe('TRUNC', () => {
  it('acknowledges NEWLEADER only once the cut is durable (found by the simulation, seed 129)', () => {
    // Server 2 of three, its log durable up to counter 3 of the old epoch; the new leader has only up to 1.
    const peer = followerOfOne({ lastZxid: makeZxid(OLD_EPOCH, 3), history: [entry(1), entry(2), entry(3)], historyBase: 0 });
    step(peer, { type: 'leaderInfo', epoch: NEW_EPOCH });
    const cut = step(peer, { type: 'syncStart', mode: 'trunc', zxid: makeZxid(OLD_EPOCH, 1) });
    expect(cut.truncateAfter).toBe(makeZxid(OLD_EPOCH, 1));
    // What survives the cut was durable all along, but the cut itself is not yet.
    const early = step(peer, { type: 'newLeader', epoch: NEW_EPOCH, zxid: makeZxid(OLD_EPOCH, 1) });
    expect(early.messages.filter((outbound) => outbound.message.type === 'ack')).toEqual([]);
    expect(early.hardState).toBeNull();
    peer.truncated();
    const durable = peer.takeReady();
    expect(durable.hardState).toEqual({ acceptedEpoch: NEW_EPOCH, currentEpoch: NEW_EPOCH });
    expect(durable.messages).toContainEqual({ to: 1, message: { type: 'ack', zxid: makeZxid(OLD_EPOCH, 1) } });
  });
});

describe('SNAP', () => {
  it('a snapshot installed before the connection dropped is our log, though its syncStart never arrives (found by the simulation, seed 9,519,386)', () => {
    const peer = followerOfOne();
    step(peer, { type: 'leaderInfo', epoch: NEW_EPOCH });
    // The driver installed the leader's snapshot, then the connection failed before the syncStart was delivered.
    const snapshot = makeZxid(NEW_EPOCH - 1, 7);
    peer.snapshotInstalled(1, snapshot);
    peer.disconnected(1);
    const looking = peer.takeReady();
    expect(peer.role).toBe('looking');
    expect(peer.lastZxid).toBe(snapshot);
    expect(peer.lastCommitted).toBe(snapshot);
    const votes = looking.messages.filter((outbound) => outbound.message.type === 'notification').map((outbound) => outbound.message);
    expect(votes[0]).toMatchObject({ vote: { leader: 2, zxid: snapshot } });
    // Only the leader whose sync we wait for can have sent it.
    const other = followerOfOne();
    step(other, { type: 'leaderInfo', epoch: NEW_EPOCH });
    expect(() => other.snapshotInstalled(3, snapshot)).toThrow(/installed while waiting for its sync/);
  });
});

describe('a TRUNC that falls short', () => {
  it('a cut that left the log below the TRUNC point sends the learner looking with what it kept, acknowledging nothing (found by the simulation, seed 9,721,761)', () => {
    // Server 2 holds up to counter 3; the leader TRUNCs it to 2, but the cut removed the snapshot
    // that was its only copy of 2: what is left ends at 1.
    const peer = followerOfOne({ lastZxid: makeZxid(OLD_EPOCH, 3), history: [], historyBase: makeZxid(OLD_EPOCH, 3) });
    step(peer, { type: 'leaderInfo', epoch: NEW_EPOCH });
    expect(step(peer, { type: 'syncStart', mode: 'trunc', zxid: makeZxid(OLD_EPOCH, 2) }).truncateAfter).toBe(makeZxid(OLD_EPOCH, 2));
    step(peer, { type: 'newLeader', epoch: NEW_EPOCH, zxid: makeZxid(OLD_EPOCH, 2) });
    peer.truncationFellShort(makeZxid(OLD_EPOCH, 1));
    const after = peer.takeReady();
    expect(peer.role).toBe('looking');
    expect(peer.lastZxid).toBe(makeZxid(OLD_EPOCH, 1));
    expect(after.disconnect).toContain(1);
    expect(after.messages.find((outbound) => outbound.message.type === 'notification')?.message).toMatchObject({ vote: { zxid: makeZxid(OLD_EPOCH, 1) } });
    // The cut itself becomes durable later: still no acknowledgement, and no new epoch.
    peer.truncated();
    const durable = peer.takeReady();
    expect(durable.messages.filter((outbound) => outbound.message.type === 'ack')).toEqual([]);
    expect(peer.hardState.currentEpoch).toBe(OLD_EPOCH);
  });
});
