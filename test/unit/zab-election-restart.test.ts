// Elections of a restarted ensemble over pure ZabPeer objects, with a router that delivers each
// Ready's messages in an order the test chooses. Every server restarts with the same epochs and
// log, so the highest id is the best vote; what varies is who starts when and which notifications
// a server has taken in when its next tick fires (a server whose event loop was busy starting up
// runs its overdue tick before reading the notifications that queued up meanwhile).

import { describe, expect, it } from 'vitest';
import { makeZxid } from '../../src/core/types.js';
import type { ServerId } from '../../src/zab/types.js';
import { fromTo, ZabRouter } from '../support/zab-router.js';

const VOTERS: ServerId[] = [1, 2, 3];
const EPOCH = 2;
const LAST_ZXID = makeZxid(EPOCH, 1);
/** Far more ticks than any of these elections may take, so a stuck server stands out. */
const INIT_LIMIT = 50;

function restartedEnsemble(): ZabRouter {
  return new ZabRouter({ voters: VOTERS, initLimit: INIT_LIMIT, syncLimit: 10, hardState: { acceptedEpoch: EPOCH, currentEpoch: EPOCH }, lastZxid: LAST_ZXID });
}

describe('elections after an ensemble restart', () => {
  it('a server that led on a quorum whose vote had already moved on steps down once the others settled on another leader', () => {
    // 1 and 2 start; 1 votes for 2, which has a quorum for itself and waits a tick for a better vote.
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    router.deliver(fromTo(1, 2));
    // 3 starts; its vote reaches 1, which moves on to 3. Nothing reaches 2 before its next tick.
    router.start(3);
    router.deliver(fromTo(3, 1));
    router.tick(2);
    expect(router.peer(2).role).toBe('leading');
    // Everything else arrives: 1 and 3 elect 3 and establish it; 2 has no follower.
    const ticks = router.runUntil(() => router.allServingUnder(3), INIT_LIMIT - 10);
    expect(ticks, router.describe()).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(10);
    expect(router.peer(2).role).toBe('following');
  });

  it('steps down on the answers of the other leader\'s followers to its repeated announcement when every earlier word is lost', () => {
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    router.deliver(fromTo(1, 2));
    router.start(3);
    router.deliver(fromTo(3, 1));
    // Nothing 2 says reaches 1 while 1 still looks (its announcement on deciding, its answers to
    // 1's votes), and nothing from 3 reaches 2 while 2 leads: only 2's announcement on a later
    // tick, answered by 1 once it follows 3, can tell 2 where the others went.
    router.lose = (message) =>
      (message.from === 2 && message.to === 1 && router.peer(1).role === 'looking') || (message.from === 3 && message.to === 2 && router.peer(2).role === 'leading');
    router.tick(2);
    expect(router.peer(2).role).toBe('leading');
    router.settle();
    expect(router.peer(1).role).toBe('looking');
    const ticks = router.runUntil(() => router.allServingUnder(3), INIT_LIMIT - 10);
    expect(ticks, router.describe()).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(10);
  });

  it('a server that followed a candidate which went on to follow another leader looks again when that candidate turns it away', () => {
    // 1 and 2 start; 1 votes for 2 and has a quorum for it.
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    // 3 starts; its vote reaches 2, which moves on to 3. Nothing reaches 1 before its next tick.
    router.start(3);
    router.deliver(fromTo(3, 2));
    router.tick(1);
    expect(router.peer(1).role).toBe('following');
    expect(router.peer(1).leader).toBe(2);
    const ticks = router.runUntil(() => router.allServingUnder(3), INIT_LIMIT - 10);
    expect(ticks, router.describe()).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(10);
  });

  it('a follower its leader has not taken in yet does not talk a gathering leader out of leading', () => {
    // 1 votes for 2 and has a quorum for it; 3 starts, and 2 moves on to 3 (as 3 does).
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    router.start(3);
    router.deliver(fromTo(3, 2));
    router.deliver(fromTo(2, 3));
    // 1 ticks before hearing that, and follows 2; 2 follows 3, whose FOLLOWERINFO reaches 3 while
    // 3 still looks (and is dropped there); then 3 leads, with no follower it knows of.
    router.tick(1);
    router.tick(2);
    router.deliver((message) => message.from === 2 && message.to === 3 && message.message.type === 'followerInfo');
    router.tick(3);
    expect([router.peer(1).leader, router.peer(2).leader, router.peer(3).role]).toEqual([2, 3, 'leading']);
    // 3's vote from before it led and its announcement reach 1, which follows 2 but has not been
    // taken in by it: 1 keeps quiet rather than tell 3 that 2 leads elsewhere.
    router.tick(3);
    router.deliver(fromTo(3, 1));
    router.deliver(fromTo(1, 3));
    expect(router.peer(3).role).toBe('leading');
    const ticks = router.runUntil(() => router.allServingUnder(3), INIT_LIMIT - 10);
    expect(ticks, router.describe()).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(10);
  });

  it('a looking server follows at once a leader that announces the vote this server cast in the same round', () => {
    // 1 and 2 elect 2; 2 decides first and announces that it leads.
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    router.deliver(fromTo(1, 2));
    router.tick(2);
    expect(router.peer(2).role).toBe('leading');
    // 3 starts while 1 still waits out its tick; 2's announcement reaches 1 before 3's better vote.
    router.start(3);
    router.deliver(fromTo(2, 1));
    expect(router.peer(1).role).toBe('following');
    expect(router.peer(1).leader).toBe(2);
    router.deliver(fromTo(3, 1));
    const ticks = router.runUntil(() => router.allServingUnder(2), 10);
    expect(ticks, router.describe()).not.toBeNull();
  });

  it('a server still waiting out the election it agreed on follows the leader whose repeated announcement reaches it first', () => {
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    router.deliver(fromTo(1, 2));
    // 2 leads; its announcement on deciding is lost, and it ticks (announcing again) before 1 does.
    router.tick(2);
    router.inFlight = router.inFlight.filter((message) => message.message.type !== 'notification');
    router.tick(2);
    router.deliver(fromTo(2, 1));
    expect(router.peer(1).role).toBe('following');
    expect(router.runUntil(() => router.peer(1).serving && router.peer(2).serving, 5), router.describe()).not.toBeNull();
  });

  it('a leader with a quorum of connected followers keeps leading when a stale leader announces itself', () => {
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.start(3);
    router.settle();
    expect(router.runUntil(() => router.allServingUnder(3), 10)).not.toBeNull();
    // A notification from an old leadership of 2, delivered late.
    router.peer(3).receive(2, { type: 'notification', vote: { leader: 2, zxid: LAST_ZXID, epoch: EPOCH }, round: 1, state: 'leading' });
    router.collect(3);
    router.peer(1).receive(2, { type: 'notification', vote: { leader: 2, zxid: LAST_ZXID, epoch: EPOCH }, round: 1, state: 'leading' });
    router.collect(1);
    router.settle();
    expect(router.allServingUnder(3), router.describe()).toBe(true);
  });

  it('two servers that each decided to follow the other look again rather than wait for each other forever', () => {
    // 3 starts looking and its vote reaches 1 and 2, which move on to 3.
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.start(3);
    router.deliver((message) => message.from === 3);
    // Late words of an older leadership of 1 reach 3 first: 1 said it led, 2 that it followed 1. Two
    // voters of three out of election for one leader, which says it leads, settle 3's election.
    const stale = (state: 'leading' | 'following') => ({ type: 'notification' as const, vote: { leader: 1, zxid: LAST_ZXID, epoch: EPOCH }, round: 0, state });
    router.peer(3).receive(1, stale('leading'));
    router.peer(3).receive(2, stale('following'));
    router.collect(3);
    expect([router.peer(3).role, router.peer(3).leader]).toEqual(['following', 1]);
    // 3's FOLLOWERINFO reaches 1 while 1 still looks (dropped there); 1 and 2 elect 3 and send it
    // theirs. 3 turns 2 away; 1's comes from the very server 3 follows.
    router.settle();
    const ticks = router.runUntil(() => router.allServingUnder(3), INIT_LIMIT - 10);
    expect(ticks, router.describe()).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(10);
  });

  it('a leader that is not serving says which voters it is waiting for', () => {
    const router = restartedEnsemble();
    router.start(1);
    router.start(2);
    router.deliver(fromTo(2, 1));
    router.deliver(fromTo(1, 2));
    router.tick(2);
    const leader = router.peer(2);
    expect(leader.role).toBe('leading');
    expect(leader.establishing).toEqual({ ticks: 0, waitingFor: [1, 3] });
    router.tick(2);
    router.tick(2);
    expect(leader.establishing).toEqual({ ticks: 2, waitingFor: [1, 3] });
    router.settle();
    router.tick(1);
    router.settle();
    expect(leader.serving).toBe(true);
    expect(leader.establishing).toBeNull();
    expect(router.peer(1).establishing).toBeNull();
  });
});
