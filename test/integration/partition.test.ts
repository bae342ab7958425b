// Real partitions between real processes: each server in a network namespace of the test's own,
// joined by a bridge; a server's link is cut and restored while clients write. Isolate the
// leader, split 2/1 and 1/1/1, heal — then nothing acknowledged is lost, nothing is duplicated,
// and every server holds the same tree.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { describeWith } from '../support/requirements.js';
import { removeDir, waitFor } from './harness.js';
import { awaitConvergence, childrenEverywhere, lastProposedOf, startEnsemble, stateOf, writeLoad, type Ensemble } from './ensemble-harness.js';
import { createTestNetwork, type TestNetwork } from './netns.js';

describeWith('netns', 'partitions between servers in network namespaces', () => {
  let network: TestNetwork;
  let ensemble: Ensemble;

  beforeAll(async () => {
    network = createTestNetwork(3);
    ensemble = await startEnsemble({
      voters: 3,
      // Slower ticks than the other ensemble tests: a leader keeps leading for syncLimit × tickTime
      // (2 s) after losing its followers, long enough to log the TRUNC test's writes on a busy machine.
      config: { tickTime: 400 },
      placement: (id) => ({
        host: network.address(id),
        wrap: ['ip', 'netns', 'exec', network.namespace(id)],
        ports: { grpc: 2182, http: 8181, client: 2181, quorum: 2888, election: 3888 },
      }),
    });
    await ensemble.awaitServing(3, 60_000);
  }, 120_000);

  afterAll(async () => {
    if (ensemble !== undefined) {
      await ensemble.stopAll();
      for (const member of ensemble.members) await removeDir(member.dataDir);
    }
    network?.remove();
  });

  it('isolating the leader, a 2/1 split and a 1/1/1 split, each healed, lose no acknowledged write', async () => {
    const members = ensemble.members;
    const load = writeLoad(
      members.map((member) => member.grpcAddress),
      '',
    );
    const progress = async (count: number, what: string) => {
      const target = load.acknowledged.size + count;
      await waitFor(() => load.acknowledged.size >= target, 60_000, what);
    };
    const newLeaderOtherThan = async (old: number) => {
      await waitFor(() => ensemble.leaders().some((id) => id !== old) && ensemble.roleOf(old)?.role !== 'leader', 60_000, `a leader other than ${old}`);
      return ensemble.leaders().find((id) => id !== old)!;
    };
    try {
      await progress(50, 'writes before any partition');

      // The leader alone on one side: the other two elect a new leader and keep taking writes.
      const first = ensemble.leader()!;
      network.isolate(first);
      const second = await newLeaderOtherThan(first);
      await progress(50, 'writes with the old leader cut off');
      network.reconnect(first);
      await ensemble.awaitServing(3, 60_000);

      // A follower alone: the majority goes on.
      const follower = members.find((member) => member.id !== ensemble.leader())!.id;
      network.isolate(follower);
      await progress(50, 'writes with a follower cut off');
      network.reconnect(follower);
      await ensemble.awaitServing(3, 60_000);

      // Everyone alone: no quorum anywhere, no leader keeps serving; then heal.
      for (const member of members) network.isolate(member.id);
      await waitFor(() => ensemble.leader() === null, 60_000, 'no serving leader without a quorum');
      for (const member of members) network.reconnect(member.id);
      await ensemble.awaitServing(3, 60_000);
      await progress(50, 'writes after healing');
      expect(second).not.toBe(first);
    } finally {
      for (const member of members) network.reconnect(member.id);
      await load.stop();
    }
    await awaitConvergence(members, 60_000);
    const views = await childrenEverywhere(members, '/');
    for (const view of views) expect(view).toEqual(views[0]);
    const present = new Set(views[0]!.map((child) => `/${child}`));
    for (const path of load.acknowledged) expect(present.has(path), `acknowledged ${path} is present`).toBe(true);
    for (const path of present) if (path.startsWith('/w')) expect(load.attempted.has(path), `${path} was requested`).toBe(true);
  }, 300_000);

  it('TRUNC: a leader cut off from both followers logs txns no one else has, and cuts them when it comes back', async () => {
    const members = ensemble.members;
    await ensemble.awaitServing(3, 60_000);
    // The leader as the servers themselves say it (the logs may lag a little).
    let leader = 0;
    await waitFor(async () => {
      const states = await Promise.all(members.map((member) => stateOf(member)));
      const leaders = states.flatMap((state, index) => (state === 'leader' ? [index + 1] : []));
      if (leaders.length !== 1 || states.filter((state) => state === 'follower').length !== 2) return false;
      leader = leaders[0]!;
      return true;
    }, 60_000, 'one leader and two followers by their own account');
    const old = members[leader - 1]!;
    const followers = members.filter((member) => member.id !== leader);
    const proposedBefore = await lastProposedOf(old);
    // Cut both followers off: the leader still takes our requests (we reach it) and logs them,
    // but no proposal can reach anyone else, so none commits.
    for (const follower of followers) network.isolate(follower.id);
    const doomed = new CairnUnaryClient(old.grpcAddress, { timeoutMs: 700 });
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, index) => doomed.create(`/trunc-${index}`, 'never')));
    doomed.close();
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toEqual([]);
    expect(await lastProposedOf(old), 'the cut-off leader logged proposals').toBeGreaterThan(proposedBefore);
    await old.process!.stop('SIGKILL');
    // Reconnect only once both followers gave up on the old leader and closed its connections;
    // otherwise its kernel could still deliver the logged proposals, and a new leader would rightly
    // commit them.
    // (They are cut off from us too: their own logs say it.)
    await waitFor(() => followers.every((member) => ensemble.roleOf(member.id)?.role === 'looking'), 60_000, 'both followers looking');
    for (const follower of followers) network.reconnect(follower.id);
    await waitFor(() => followers.some((member) => ensemble.roleOf(member.id)?.role === 'leader' && ensemble.roleOf(member.id)?.serving === true), 60_000, 'a new leader of the two');
    const newLeader = followers.find((member) => ensemble.roleOf(member.id)?.role === 'leader')!;
    const writer = new CairnUnaryClient(newLeader.grpcAddress, { timeoutMs: 10_000 });
    await writer.create('/after-trunc', 'new epoch');
    writer.close();
    await ensemble.start(old.id);
    await waitFor(() => ensemble.roleOf(old.id)?.role === 'follower' && ensemble.roleOf(old.id)?.serving === true, 60_000, 'the old leader following');
    await awaitConvergence(members, 60_000);
    expect(old.process!.logs.some((line) => line.msg === "truncating the log after the leader's TRUNC")).toBe(true);
    const views = await childrenEverywhere(members, '/');
    for (const view of views) {
      expect(view).toEqual(views[0]);
      expect(view).toContain('after-trunc');
      expect(view.filter((child) => child.startsWith('trunc-'))).toEqual([]);
    }
  }, 300_000);
});
