// A leader answers a sync, or a learner's refused write, only once a quorum of voters has echoed
// a ping it sent after the request arrived: a leader that was paused or cut off may have been
// replaced by one that committed writes since, and would answer from a stale history (found by
// the simulation, seeds 4,000,245 and 20,027). Pure ZabPeer objects over a router that delivers
// what the test lets through.

import { describe, expect, it } from 'vitest';
import { makeZxid } from '../../src/core/types.js';
import type { ZabPeer } from '../../src/zab/peer.js';
import type { ServerId } from '../../src/zab/types.js';
import { type InFlight, ZabRouter } from '../support/zab-router.js';

const VOTERS: ServerId[] = [1, 2, 3];

class Router extends ZabRouter {
  constructor(observers: ServerId[] = []) {
    super({ voters: VOTERS, observers, initLimit: 10, syncLimit: 5, hardState: { acceptedEpoch: 1, currentEpoch: 1 }, lastZxid: makeZxid(1, 1) });
    this.startAll();
  }

  /** Elects server 3 (the highest id, all else equal) and waits until it serves. */
  elect(): ZabPeer {
    for (let tick = 0; tick < 30 && !(this.peer(3).role === 'leading' && this.peer(3).serving); tick++) this.tickAll();
    const leader = this.peer(3);
    expect(leader.role).toBe('leading');
    expect(leader.serving).toBe(true);
    this.settle();
    this.received.length = 0;
    return leader;
  }
}

const touchesLeader = (message: InFlight) => message.from === 3 || message.to === 3;

describe('leadership check', () => {
  it("holds the leader's own sync until a quorum echoes a ping sent after it", () => {
    const router = new Router();
    const leader = router.elect();
    expect(leader.requestSync(7)).toBe(true);
    router.collect(3);
    expect(router.syncsDone.get(3)).toEqual([]);
    const pings = router.inFlight.filter((message) => message.message.type === 'ping');
    expect(pings.map((message) => message.to).sort()).toEqual([1, 2]);
    const round = (pings[0]!.message as { round: number }).round;
    expect(round).toBeGreaterThan(0);
    // One follower's echo and the leader itself are a quorum of three.
    router.settle((message) => message.to !== 2 && message.from !== 2);
    expect(router.syncsDone.get(3)).toEqual([7]);
  });

  it('never answers a sync while cut off from every follower, and fails it by stepping down', () => {
    const router = new Router();
    const leader = router.elect();
    expect(leader.requestSync(8)).toBe(true);
    router.collect(3);
    router.drop(touchesLeader);
    for (let tick = 0; tick < 4; tick++) router.tickAll(touchesLeader);
    expect(leader.role).toBe('leading');
    expect(router.syncsDone.get(3)).toEqual([]);
    for (let tick = 0; tick < 10 && leader.role === 'leading'; tick++) router.tickAll(touchesLeader);
    expect(leader.role).not.toBe('leading');
    expect(router.syncsDone.get(3)).toEqual([]);
  });

  it("answers a learner's sync and a refused write only after the check", () => {
    const router = new Router();
    const leader = router.elect();
    router.peer(1).requestSync(3);
    router.collect(1);
    leader.reply(1, new Uint8Array([9]));
    router.collect(3);
    // The sync request reaches the leader; no echo comes back yet.
    router.settle((message) => message.from === 1 && message.to === 3 && message.message.type === 'syncRequest');
    const toLearner = () => router.inFlight.filter((message) => message.to === 1).map((message) => message.message.type);
    expect(toLearner()).not.toContain('reply');
    expect(toLearner()).not.toContain('syncReply');
    router.settle();
    const delivered = router.received.filter((message) => message.to === 1).map((message) => message.message.type);
    expect(delivered).toContain('reply');
    expect(delivered).toContain('syncReply');
    expect(router.syncsDone.get(1)).toEqual([3]);
  });

  it('does not let a round sent before a sync arrived answer it', () => {
    const router = new Router();
    const leader = router.elect();
    leader.requestSync(1);
    router.collect(3);
    const firstRound = router.inFlight.filter((message) => message.message.type === 'ping');
    router.inFlight = router.inFlight.filter((message) => message.message.type !== 'ping');
    // The second sync comes while the first round is out: it needs the next one.
    leader.requestSync(2);
    router.collect(3);
    expect(router.inFlight.filter((message) => message.message.type === 'ping')).toEqual([]);
    router.inFlight.push(...firstRound);
    router.settle((message) => !(message.from === 3 && message.message.type === 'ping' && (message.message as { round: number }).round > 1));
    expect(router.syncsDone.get(3)).toEqual([1]);
    router.settle();
    expect(router.syncsDone.get(3)).toEqual([1, 2]);
  });

  it('does not count observers: with one voter and observers the leader alone is the quorum', () => {
    const router = new Router([4]);
    const leader = router.elect();
    leader.requestSync(5);
    router.collect(3);
    // Only the observer answers: two voters of three have not, so no answer yet.
    router.settle((message) => !(message.to === 1 || message.to === 2 || message.from === 1 || message.from === 2));
    expect(router.syncsDone.get(3)).toEqual([]);
    router.settle();
    expect(router.syncsDone.get(3)).toEqual([5]);
  });
});
