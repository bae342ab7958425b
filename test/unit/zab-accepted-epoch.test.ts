// A server that accepted a later epoch from a would-be leader that never established must still
// be able to join the leader that did. A voter keeps ZAB's promise (it never acknowledges an
// epoch below one it accepted), so the leader takes that epoch on and a new election goes above
// it; an observer's acknowledgement counts for nothing, so it simply joins (found by the
// simulation, seed 9,201,918: both stayed out for as long as the leader lasted).

import { describe, expect, it } from 'vitest';
import { makeZxid } from '../../src/core/types.js';
import type { ServerId } from '../../src/zab/types.js';
import { ZabRouter } from '../support/zab-router.js';

const EPOCH = 2;
const LATER = EPOCH + 3;

function ensemble(observers: ServerId[] = []): ZabRouter {
  return new ZabRouter({ voters: [1, 2, 3], observers, initLimit: 10, syncLimit: 5, hardState: { acceptedEpoch: EPOCH, currentEpoch: EPOCH }, lastZxid: makeZxid(EPOCH, 1) });
}

function servingUnder(router: ZabRouter, leader: ServerId, ticks: number): void {
  expect(router.runUntil(() => router.allServingUnder(leader), ticks), router.describe()).not.toBeNull();
}

describe('a server that accepted a later epoch than the leader\'s', () => {
  it('a voter: the leader takes the epoch on and steps down, and the next leadership, above it, has all three', () => {
    const router = ensemble();
    router.start(1);
    router.start(2);
    servingUnder(router, 2, 20);
    expect(router.peer(2).epoch).toBe(EPOCH + 1);
    // 3 comes back having accepted LATER from attempts at leading that came to nothing.
    router.start(3, { acceptedEpoch: LATER, currentEpoch: EPOCH });
    servingUnder(router, 2, 30);
    expect(router.peer(2).epoch).toBeGreaterThan(LATER);
    expect(router.peer(3).hardState).toEqual({ acceptedEpoch: router.peer(2).epoch, currentEpoch: router.peer(2).epoch });
  });

  it('an observer joins the leader as it is, without an election and without lowering the epoch it accepted', () => {
    const router = ensemble([4]);
    router.start(1);
    router.start(2);
    router.start(3);
    servingUnder(router, 3, 20);
    const epoch = router.peer(3).epoch;
    router.start(4, { acceptedEpoch: LATER, currentEpoch: EPOCH });
    servingUnder(router, 3, 20);
    expect(router.peer(3).epoch).toBe(epoch);
    expect(router.peer(4).hardState).toEqual({ acceptedEpoch: LATER, currentEpoch: epoch });
  });
});
