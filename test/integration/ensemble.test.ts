// Ensembles of real server processes: writes through every server, a leader killed with
// SIGKILL under load, a leader paused with SIGSTOP and resumed. At the end of each: no
// acknowledged write lost, none duplicated, every server's tree digest equal.

import { afterEach, describe, expect, it } from 'vitest';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { CairnClient } from '../../src/client/session.js';
import { removeDir, waitFor } from './harness.js';
import { NzcClient, zookeeper } from '../jute/nzc.js';
import { awaitConvergence, childrenEverywhere, startEnsemble, writeLoad, type Ensemble, type EnsembleMember } from './ensemble-harness.js';

const ensembles: Ensemble[] = [];

afterEach(async () => {
  for (const ensemble of ensembles.splice(0)) {
    await ensemble.stopAll();
    for (const member of ensemble.members) await removeDir(member.dataDir);
  }
});

async function launch(voters: number, observers = 0): Promise<Ensemble> {
  const ensemble = await startEnsemble({ voters, observers });
  ensembles.push(ensemble);
  await ensemble.awaitServing(voters + observers);
  return ensemble;
}

describe('an ensemble of real processes', () => {
  it('3 voters and an observer: writes through every server, sessions and ephemerals, one history', async () => {
    const ensemble = await launch(3, 1);
    const clients = await Promise.all(ensemble.members.map((member) => CairnClient.connect(member.grpcAddress, { timeoutMs: 6_000 })));
    try {
      await clients[0]!.create('/app', 'root');
      for (const [index, client] of clients.entries()) {
        await client.create(`/app/from-${index + 1}`, `server ${index + 1}`);
        await client.create(`/app/eph-${index + 1}`, null, { mode: 1 });
      }
      for (const client of clients) {
        await client.sync('/app');
        expect((await client.getChildren('/app')).children.sort()).toEqual(['eph-1', 'eph-2', 'eph-3', 'eph-4', 'from-1', 'from-2', 'from-3', 'from-4']);
      }
      // A refused write through a follower comes back as ZooKeeper's error.
      await expect(clients[1]!.create('/app', 'again')).rejects.toMatchObject({ code: -110 });
      // Closing a session on one server removes its ephemeral everywhere.
      await clients[2]!.close();
      await clients[0]!.sync('/app');
      expect((await clients[0]!.getChildren('/app')).children).not.toContain('eph-3');
      await awaitConvergence(ensemble.members);
    } finally {
      for (const client of clients) await client.close().catch(() => undefined);
    }
  }, 120_000);

  it('SIGKILL of the leader under load: a new leader takes writes, nothing acknowledged is lost', async () => {
    const ensemble = await launch(3);
    const setup = new CairnUnaryClient(ensemble.members[0]!.grpcAddress, { timeoutMs: 10_000 });
    await setup.create('/load', null);
    setup.close();
    const leader = ensemble.leader()!;
    const followers = ensemble.members.filter((member) => member.id !== leader);
    const load = writeLoad(
      followers.map((member) => member.grpcAddress),
      '/load',
    );
    await waitFor(() => load.acknowledged.size >= 100, 30_000, 'writes before the kill');
    const killedAtMs = Date.now();
    await ensemble.members[leader - 1]!.process!.stop('SIGKILL');
    await waitFor(() => load.successTimes.some((time) => time > killedAtMs + 50), 60_000, 'a write after the new election');
    const failoverMs = load.successTimes.find((time) => time > killedAtMs + 50)! - killedAtMs;
    const countAfter = load.acknowledged.size;
    await waitFor(() => load.acknowledged.size >= countAfter + 100, 30_000, 'writes under the new leader');
    await load.stop();
    expect(ensemble.leader()).not.toBe(leader);

    await ensemble.start(leader);
    await ensemble.awaitServing(3);
    await awaitConvergence(ensemble.members);
    const views = await childrenEverywhere(ensemble.members, '/load');
    for (const view of views) expect(view).toEqual(views[0]);
    const present = new Set(views[0]!.map((child) => `/load/${child}`));
    for (const path of load.acknowledged) expect(present.has(path), `acknowledged ${path} is present`).toBe(true);
    for (const path of present) expect(load.attempted.has(path), `${path} was requested`).toBe(true);
    console.log(`leader fail-over (SIGKILL to the next acknowledged write): ${failoverMs} ms`);
  }, 180_000);

  it('a leader asked to stop with proposals that cannot commit (its followers paused) still stops, acknowledging none of them', async () => {
    const ensemble = await launch(3);
    const leaderId = ensemble.leader()!;
    const leader = ensemble.members[leaderId - 1]!;
    const followers = ensemble.members.filter((member) => member.id !== leaderId);
    for (const follower of followers) follower.process!.child.kill('SIGSTOP');
    try {
      const client = new CairnUnaryClient(leader.grpcAddress, { timeoutMs: 30_000 });
      const writes = Array.from({ length: 5 }, (_, index) => client.create(`/never-${index}`, 'x').then(() => 'acknowledged', () => 'failed'));
      await waitFor(
        async () => {
          const response = await fetch(`http://${leader.host}:${leader.httpPort}/commands/srvr`).catch(() => null);
          const body = (await response?.json()) as { server_stats: { outstanding_requests: number } } | undefined;
          return (body?.server_stats.outstanding_requests ?? 0) > 0;
        },
        20_000,
        'proposals in flight on the leader',
      );
      const started = Date.now();
      const exit = await leader.process!.stop('SIGTERM');
      expect(exit.code).toBe(0);
      expect(Date.now() - started, 'the stop waits for in-flight writes only so long').toBeLessThan(15_000);
      expect(await Promise.all(writes)).toEqual(Array(5).fill('failed'));
      client.close();
    } finally {
      for (const follower of followers) follower.process!.child.kill('SIGCONT');
    }
  });

  it('SIGSTOP of the leader: the others elect a new one; the old leader rejoins without its old epoch', async () => {
    const ensemble = await launch(3);
    const leader = ensemble.leader()!;
    const paused = ensemble.members[leader - 1]!;
    const others = ensemble.members.filter((member) => member.id !== leader);
    const load = writeLoad(
      others.map((member) => member.grpcAddress),
      '',
    );
    await waitFor(() => load.acknowledged.size >= 50, 30_000, 'writes before the pause');
    paused.process!.child.kill('SIGSTOP');
    try {
      // The paused leader's own log still says it leads: look for another one.
      await waitFor(() => ensemble.leaders().some((id) => id !== leader), 60_000, 'a new leader while the old one is paused');
      const countAfter = load.acknowledged.size;
      await waitFor(() => load.acknowledged.size >= countAfter + 50, 30_000, 'writes under the new leader');
    } finally {
      paused.process!.child.kill('SIGCONT');
    }
    await load.stop();
    // The old leader finds it lost its quorum, and follows the new one.
    await waitFor(() => ensemble.roleOf(leader)?.role === 'follower' && ensemble.roleOf(leader)?.serving === true, 60_000, 'the old leader following').catch((error: Error) => {
      const roles = ensemble.members.map((member) => `${member.id}:${JSON.stringify(ensemble.roleOf(member.id))}`).join(' ');
      const tail = paused.process!.logs.slice(-15).map((line) => JSON.stringify(line)).join('\n');
      throw new Error(`${error.message}; roles ${roles}; the old leader's last log lines:\n${tail}`);
    });
    await ensemble.awaitServing(3);
    await awaitConvergence(ensemble.members);
    const views = await childrenEverywhere(ensemble.members, '/');
    for (const view of views) expect(view).toEqual(views[0]);
    const present = new Set(views[0]!.map((child) => `/${child}`));
    for (const path of load.acknowledged) expect(present.has(path), `acknowledged ${path} is present`).toBe(true);
  }, 180_000);
});

describe('five voters', () => {
  it('survive two SIGKILLed servers (the leader first) under load with one history', async () => {
    const ensemble = await launch(5);
    const setup = new CairnUnaryClient(ensemble.members[0]!.grpcAddress, { timeoutMs: 10_000 });
    await setup.create('/five', null);
    setup.close();
    const leader = ensemble.leader()!;
    const followers = ensemble.members.filter((member) => member.id !== leader);
    const [victim, ...survivors] = followers as [EnsembleMember, ...EnsembleMember[]];
    const load = writeLoad(
      survivors.map((member) => member.grpcAddress),
      '/five',
    );
    await waitFor(() => load.acknowledged.size >= 100, 30_000, 'writes before the kills');
    await ensemble.members[leader - 1]!.process!.stop('SIGKILL');
    await victim.process!.stop('SIGKILL');
    const countAfter = load.acknowledged.size;
    await waitFor(() => load.acknowledged.size >= countAfter + 100, 60_000, 'writes with three of five');
    await load.stop();
    await ensemble.start(leader);
    await ensemble.start(victim.id);
    await ensemble.awaitServing(5, 60_000);
    await awaitConvergence(ensemble.members);
    const views = await childrenEverywhere(ensemble.members, '/five');
    for (const view of views) expect(view).toEqual(views[0]);
    const present = new Set(views[0]!.map((child) => `/five/${child}`));
    for (const path of load.acknowledged) expect(present.has(path), `acknowledged ${path} is present`).toBe(true);
    for (const path of present) expect(load.attempted.has(path), `${path} was requested`).toBe(true);
  }, 180_000);
});

describe('stock ZooKeeper clients against an ensemble', () => {
  it('node-zookeeper-client writes through any server, watches across servers, and moves its session to another server', async () => {
    const ensemble = await launch(3);
    const [first, second, third] = ensemble.members as [EnsembleMember, EnsembleMember, EnsembleMember];
    const writer = await NzcClient.connect(`127.0.0.1:${first.clientPort}`);
    const watcher = await NzcClient.connect(`127.0.0.1:${second.clientPort}`);
    try {
      expect(await writer.create('/zk', Buffer.from('a'))).toBe('/zk');
      const ephemeral = await writer.create('/zk/e-', null, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
      expect(ephemeral).toBe('/zk/e-0000000000');
      await watcher.getData('/zk', true);
      await writer.setData('/zk', Buffer.from('b'));
      await waitFor(() => watcher.events.length === 1, 10_000, 'the watch event on another server');
      expect(watcher.events).toEqual(['NODE_DATA_CHANGED:/zk']);
      // The same session, resumed on a third server with its id and password, keeps its ephemeral.
      const moved = await NzcClient.connect(`127.0.0.1:${third.clientPort}`, { sessionId: writer.sessionId, sessionPassword: writer.sessionPassword });
      try {
        expect(moved.sessionId.equals(writer.sessionId)).toBe(true);
        expect((await moved.getChildren('/zk')).children).toEqual(['e-0000000000']);
        await moved.create('/zk/from-third', null);
      } finally {
        await moved.close();
      }
      await waitFor(async () => (await watcher.getChildren('/zk')).children.length === 1, 10_000, 'the ephemeral gone with the closed session');
      expect((await watcher.getChildren('/zk')).children).toEqual(['from-third']);
    } finally {
      await writer.close().catch(() => undefined);
      await watcher.close();
    }
  }, 120_000);
});

describe('bringing a server level', () => {
  it('SNAP: a server far behind the leader (beyond its DIFF history) gets a snapshot', async () => {
    const ensemble = await startEnsemble({ voters: 3, config: { syncHistoryTxns: 50 } });
    ensembles.push(ensemble);
    const leader = await ensemble.awaitServing(3);
    const behind = ensemble.members.find((member) => member.id !== leader)!;
    await behind.process!.stop('SIGKILL');
    const client = new CairnUnaryClient(ensemble.members[leader - 1]!.grpcAddress, { timeoutMs: 10_000 });
    try {
      await client.create('/snap', null);
      for (let batch = 0; batch < 6; batch++) await Promise.all(Array.from({ length: 50 }, (_, index) => client.create(`/snap/n${batch}-${index}`, 'x')));
    } finally {
      client.close();
    }
    await ensemble.start(behind.id);
    await ensemble.awaitServing(3);
    await awaitConvergence(ensemble.members);
    expect(behind.process!.logs.some((line) => line.msg === 'installing a snapshot from the leader')).toBe(true);
    const views = await childrenEverywhere(ensemble.members, '/snap');
    for (const view of views) expect(view).toHaveLength(300);
  }, 120_000);

  it('a leader killed with unacknowledged proposals in flight: each is committed everywhere or nowhere', async () => {
    const ensemble = await launch(3);
    const leader = ensemble.leader()!;
    const old = ensemble.members[leader - 1]!;
    const followers = ensemble.members.filter((member) => member.id !== leader);
    const writer = new CairnUnaryClient(old.grpcAddress, { timeoutMs: 10_000 });
    await writer.create('/before', 'committed');
    writer.close();
    // With both followers paused, the leader logs proposals it cannot commit (they may still sit
    // in the followers' socket buffers, so a new leader may commit them: their outcome is unknown).
    for (const follower of followers) follower.process!.child.kill('SIGSTOP');
    const doomed = new CairnUnaryClient(old.grpcAddress, { timeoutMs: 500 });
    const attempts = await Promise.allSettled(Array.from({ length: 20 }, (_, index) => doomed.create(`/doomed-${index}`, 'unknown')));
    doomed.close();
    expect(attempts.every((attempt) => attempt.status === 'rejected')).toBe(true);
    await old.process!.stop('SIGKILL');
    for (const follower of followers) follower.process!.child.kill('SIGCONT');
    await waitFor(() => followers.some((member) => ensemble.roleOf(member.id)?.role === 'leader' && ensemble.roleOf(member.id)?.serving === true), 60_000, 'a new leader');
    const newLeader = followers.find((member) => ensemble.roleOf(member.id)?.role === 'leader')!;
    const after = new CairnUnaryClient(newLeader.grpcAddress, { timeoutMs: 10_000 });
    await after.create('/after', 'new epoch');
    after.close();
    await ensemble.start(old.id);
    await waitFor(() => ensemble.roleOf(old.id)?.serving === true, 60_000, 'the old leader serving again');
    await awaitConvergence(ensemble.members);
    const views = await childrenEverywhere(ensemble.members, '/');
    for (const view of views) {
      expect(view).toEqual(views[0]);
      expect(view).toContain('before');
      expect(view).toContain('after');
    }
  }, 120_000);
});

describe('sessions when a server loses its leader', () => {
  it('a follower ends its session channels as unavailable; the client resumes the session on another server', async () => {
    const ensemble = await launch(3);
    const leader = ensemble.leader()!;
    const [follower, other] = ensemble.members.filter((member) => member.id !== leader) as [EnsembleMember, EnsembleMember];
    const client = await CairnClient.connect(follower.grpcAddress, { timeoutMs: 8_000 });
    await client.create('/mine', null, { mode: 1 });
    const ended = new Promise<unknown>((resolve) => client.once('end', resolve));
    await ensemble.members[leader - 1]!.process!.stop('SIGKILL');
    expect(await ended).toEqual({ kind: 'closed', reason: 'unavailable' });
    // Resume on whichever of the two serves first once they elected a new leader.
    let resumed: CairnClient | null = null;
    await waitFor(async () => {
      for (const member of [other, follower]) {
        try {
          resumed = await CairnClient.connect(member.grpcAddress, { timeoutMs: 8_000, sessionId: client.sessionId, password: client.password, lastZxidSeen: client.lastZxid });
          return true;
        } catch {
          // not serving yet
        }
      }
      return false;
    }, 60_000, 'the session resumed on a serving server');
    try {
      expect(resumed!.sessionId).toBe(client.sessionId);
      await resumed!.sync('/');
      expect(await resumed!.exists('/mine')).not.toBeNull();
    } finally {
      await resumed!.close();
    }
  }, 120_000);
});
