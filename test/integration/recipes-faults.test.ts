// The recipes under faults, on a real 3-server ensemble: the leader killed mid-operation
// (SIGKILL), a client's connection lost (its server killed: the session resumes elsewhere), and
// a client's session expired (the only server it knows paused past the timeout). What each
// recipe promises must hold through all three: one lock holder, one leader, at most maxLeases,
// nothing enqueued lost or taken twice, barriers released together, ephemeral registrations back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Cairn } from '../../src/client/index.js';
import {
  DistributedAtomicLong,
  DistributedQueue,
  DoubleBarrier,
  GroupMember,
  LeaderLatch,
  Mutex,
  PersistentNode,
  Semaphore,
  ServiceDiscovery,
  serviceInstance,
  TEXT_SERIALIZER,
} from '../../src/client/recipes/index.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { removeDir, waitFor } from './harness.js';
import { startEnsemble, type Ensemble, type EnsembleMember } from './ensemble-harness.js';

let ensemble: Ensemble;

beforeAll(async () => {
  // A restarted server comes back on new ports: each test's clients take the addresses of the moment.
  ensemble = await startEnsemble({ voters: 3 });
  await ensemble.awaitServing(3);
}, 90_000);

afterAll(async () => {
  if (ensemble === undefined) return;
  await ensemble.stopAll();
  for (const member of ensemble.members) await removeDir(member.dataDir);
});

function alive(member: EnsembleMember): boolean {
  return member.process !== null && member.process.child.exitCode === null && member.process.child.signalCode === null;
}

async function restartDead(): Promise<void> {
  for (const member of ensemble.members) if (!alive(member)) await ensemble.start(member.id);
  await ensemble.awaitServing(3, 60_000);
}

/** A client that knows every server's gRPC address as of now. */
function everyServer(): Promise<Cairn> {
  return connect({ servers: ensemble.members.filter(alive).map((member) => member.grpcAddress), sessionTimeoutMs: 10_000 });
}

async function killLeader(): Promise<number> {
  const leader = ensemble.leader()!;
  await ensemble.members[leader - 1]!.process!.stop('SIGKILL');
  return leader;
}

/** Records the moments a latch leads, to check that two never overlap. */
function leadershipLog(latches: LeaderLatch[]): () => number {
  let leaders = 0;
  let maximum = 0;
  for (const latch of latches) {
    latch.on('isLeader', () => (maximum = Math.max(maximum, ++leaders)));
    latch.on('notLeader', () => leaders--);
  }
  return () => maximum;
}

describe('the recipes with the leader killed mid-operation', () => {
  it('keeps one lock holder, at most maxLeases, one leader, every queued item once, and the counter exact', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => everyServer()));
    const base = '/faults-leader';
    try {
      // Mutex: a read-modify-write under the lock loses nothing only if holders never overlap.
      await clients[0]!.create(base, null);
      await clients[0]!.create(`${base}/counter`, '0');
      let inside = 0;
      let overlap = 0;
      let sections = 0;
      const stopAt = { done: false };
      const lockers = clients.map(async (client) => {
        const mutex = new Mutex(client, `${base}/lock`);
        while (!stopAt.done) {
          await mutex.withLock(async () => {
            if (++inside > 1) overlap++;
            const { data } = await client.getData(`${base}/counter`);
            await client.setData(`${base}/counter`, String(Number(Buffer.from(data!).toString()) + 1));
            inside--;
            sections++;
          });
        }
      });

      // Semaphore of 2 under contention from three clients.
      let leased = 0;
      let overLeased = 0;
      const semaphores = clients.map(async (client) => {
        const semaphore = new Semaphore(client, `${base}/semaphore`, 2);
        while (!stopAt.done) {
          const leases = await semaphore.acquire(1, 30_000);
          if (leases === null) continue;
          if (++leased > 2) overLeased++;
          await new Promise((done) => setTimeout(done, 20));
          leased--;
          for (const lease of leases) await lease.close();
        }
      });

      // Latches: one leader at a time.
      const latches = clients.map((client, index) => new LeaderLatch(client, `${base}/latch`, `p${index}`));
      const maxLeaders = leadershipLog(latches);
      for (const latch of latches) await latch.start();

      // A queue: two producers, one consumer; each item taken at most once.
      const queue = new DistributedQueue(clients[0]!, `${base}/queue`, TEXT_SERIALIZER);
      const consumed: string[] = [];
      new DistributedQueue(clients[2]!, `${base}/queue`, TEXT_SERIALIZER).start((item) => void consumed.push(item));
      const produced: string[] = [];
      const queues = [queue, new DistributedQueue(clients[1]!, `${base}/queue`, TEXT_SERIALIZER)];
      const producers = [0, 1].map(async (which) => {
        const producer = queues[which]!;
        for (let index = 0; index < 40; index++) {
          const item = `p${which}-${index}`;
          await producer.put(item);
          produced.push(item);
        }
      });

      // An atomic counter from every client.
      const atomic = clients.map((client) => new DistributedAtomicLong(client, `${base}/atomic`));
      let increments = 0;
      let ambiguous = 0;
      const counters = atomic.map(async (counter) => {
        for (let index = 0; index < 30; index++) {
          const result = await counter.increment();
          if (result.succeeded) increments++;
          if (result.ambiguous === true) ambiguous++;
        }
      });

      await waitFor(() => sections >= 10, 30_000, 'some critical sections before the kill');
      await killLeader();
      await ensemble.awaitServing(2, 60_000);
      await waitFor(() => sections >= 30, 60_000, 'critical sections after the kill');
      await Promise.all([...producers, ...counters]);
      stopAt.done = true;
      await Promise.all([...lockers, ...semaphores]);

      expect(overlap).toBe(0);
      expect(overLeased).toBe(0);
      // Reads are sequentially consistent: sync first to see every client's last write.
      await clients[0]!.sync(base);
      expect(Number(Buffer.from((await clients[0]!.getData(`${base}/counter`)).data!).toString())).toBe(sections);
      await waitFor(() => latches.filter((latch) => latch.hasLeadership).length === 1, 30_000, 'one leader after the kill');
      expect(maxLeaders()).toBe(1);
      await waitFor(async () => (await clients[0]!.getChildren(`${base}/queue`)).children.length === 0, 30_000, 'the queue to drain');
      const ambiguousPuts = queues.flatMap((producer) => producer.ambiguousPuts);
      await waitFor(() => new Set(consumed).size >= produced.length - 2, 30_000, 'the consumer to take the items');
      expect(consumed.every((item) => produced.includes(item))).toBe(true);
      // Twice only an item whose put lost its answer and was tried again (reported as ambiguous).
      const twice = consumed.filter((item, index) => consumed.indexOf(item) !== index);
      expect(twice.every((item) => ambiguousPuts.includes(item))).toBe(true);
      // Lost only an item whose delete (its take) lost its answer to the kill: at most once, as Curator's.
      expect(produced.length - new Set(consumed).size).toBeLessThanOrEqual(2);
      // Each acknowledged increment was applied once; only one whose answer was lost (reported
      // ambiguous) may be off, by one either way.
      const total = Number((await atomic[0]!.get()).postValue);
      expect(Math.abs(total - increments)).toBeLessThanOrEqual(ambiguous);
      for (const latch of latches) await latch.close();
    } finally {
      for (const client of clients) await client.close();
      await restartDead();
    }
  });

  it('releases a double barrier together though the leader dies while members enter', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => everyServer()));
    try {
      const barriers = clients.map((client) => new DoubleBarrier(client, '/faults-double', 3));
      const entered: number[] = [];
      const first = barriers.slice(0, 2).map(async (barrier, index) => {
        expect(await barrier.enter(60_000)).toBe(true);
        entered.push(index);
      });
      await waitFor(async () => ((await clients[0]!.exists('/faults-double')) === null ? 0 : (await clients[0]!.getChildren('/faults-double')).children.length) >= 2, 30_000, 'two members in');
      await killLeader();
      expect(entered).toEqual([]);
      expect(await barriers[2]!.enter(60_000)).toBe(true);
      await Promise.all(first);
      expect(entered.sort()).toEqual([0, 1]);
      const left = await Promise.all(barriers.map((barrier) => barrier.leave(60_000)));
      expect(left).toEqual([true, true, true]);
    } finally {
      for (const client of clients) await client.close();
      await restartDead();
    }
  });
});

describe('the recipes when a client loses its connection (its server killed)', () => {
  it('keeps the lock, the lease and the ephemeral registrations of the resumed session', async () => {
    const holder = await everyServer();
    const other = await everyServer();
    const base = '/faults-connection';
    try {
      const mutex = new Mutex(holder, `${base}/lock`);
      expect(await mutex.acquire()).toBe(true);
      const lockPath = mutex.lockPath!;
      const semaphore = new Semaphore(holder, `${base}/semaphore`, 1);
      const leases = await semaphore.acquire();
      const member = new GroupMember(holder, `${base}/group`, 'holder', 'payload');
      await member.start();

      const server = ensemble.members.find((candidate) => candidate.grpcAddress === holder.server)!;
      await server.process!.stop('SIGKILL');
      await holder.waitForState('RECONNECTED', 30_000);

      expect(await other.exists(lockPath)).not.toBeNull();
      expect(await new Mutex(other, `${base}/lock`).acquire(1_000)).toBe(false); // still held
      expect(await new Semaphore(other, `${base}/semaphore`, 1).acquire(1, 1_000)).toBeNull(); // still leased
      expect((await other.getChildren(`${base}/group`)).children).toEqual(['holder']);
      await mutex.release();
      for (const lease of leases!) await lease.close();
      expect(await new Mutex(other, `${base}/lock`).acquire(10_000)).toBe(true);
      await member.close();
    } finally {
      await holder.close();
      await other.close();
      await restartDead();
    }
  });
});

describe('the recipes when a client\'s session expires', () => {
  it('hands the lock, the leadership and the lease to others, and registers the ephemerals again in the new session', async () => {
    const only = ensemble.members.find((member) => ensemble.leader() !== member.id)!;
    const victim = await connect({ servers: [only.grpcAddress], sessionTimeoutMs: 2_000, connectionTimeoutMs: 30_000 });
    const other = await everyServer();
    const base = '/faults-expiry';
    const look = new CairnUnaryClient(ensemble.members.find((member) => member !== only && alive(member))!.grpcAddress, { timeoutMs: 15_000 });
    try {
      const mutex = new Mutex(victim, `${base}/lock`);
      expect(await mutex.acquire()).toBe(true);
      const latch = new LeaderLatch(victim, `${base}/latch`, 'victim');
      await latch.start();
      expect(await latch.await(10_000)).toBe(true);
      const leases = await new Semaphore(victim, `${base}/semaphore`, 1).acquire();
      expect(leases).not.toBeNull();
      const node = new PersistentNode(victim, `${base}/node`, 'mine');
      await node.start();
      const discovery = new ServiceDiscovery(victim, `${base}/services`);
      await discovery.register(serviceInstance({ name: 'api', id: 'victim-1', address: '10.0.0.9', port: 1 }));
      const member = new GroupMember(victim, `${base}/group`, 'victim');
      await member.start();
      const oldSession = victim.session.id;

      const otherMutex = new Mutex(other, `${base}/lock`);
      const otherLatch = new LeaderLatch(other, `${base}/latch`, 'other');
      await otherLatch.start();
      const waitingForLock = otherMutex.acquire(60_000);
      const waitingForLease = new Semaphore(other, `${base}/semaphore`, 1).acquire(1, 60_000);

      only.process!.child.kill('SIGSTOP');
      try {
        await victim.waitForState('LOST', 30_000);
        expect(latch.hasLeadership).toBe(false);
        expect(await waitingForLock).toBe(true);
        expect(await otherLatch.await(30_000)).toBe(true);
        expect(await waitingForLease).not.toBeNull();
      } finally {
        only.process!.child.kill('SIGCONT');
      }
      await victim.waitForState('RECONNECTED', 45_000);
      expect(victim.session.id).not.toBe(oldSession);
      // The ephemeral registrations come back, owned by the new session.
      await waitFor(async () => (await look.exists(`${base}/node`))?.ephemeralOwner === victim.session.id, 30_000, 'the persistent node again');
      await waitFor(async () => (await look.exists(`${base}/services/api/victim-1`))?.ephemeralOwner === victim.session.id, 30_000, 'the service instance again');
      await waitFor(async () => (await look.exists(`${base}/group/victim`))?.ephemeralOwner === victim.session.id, 30_000, 'the group member again');
      // The latch joined again, behind the new leader.
      await waitFor(async () => (await latch.participants()).length === 2, 30_000, 'the victim back in the election');
      expect(latch.hasLeadership).toBe(false);
      expect(otherLatch.hasLeadership).toBe(true);
      await Promise.all([latch.close(), otherLatch.close(), node.close(), discovery.close(), member.close(), otherMutex.release()]);
    } finally {
      look.close();
      await victim.close();
      await other.close();
    }
  }, 120_000);
});
