// The recipes under faults, on a real 3-server ensemble: the leader killed mid-operation
// (SIGKILL), a client's connection lost (its server killed: the session resumes elsewhere), and
// a client's session expired (the only server it knows paused past the timeout). What each
// recipe promises must hold through all three: one lock holder, one leader, at most maxLeases,
// nothing enqueued lost or taken twice, barriers released together, ephemeral registrations back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Cairn } from '../../src/client/index.js';
import {
  Barrier,
  DistributedAtomicLong,
  DistributedPriorityQueue,
  DistributedQueue,
  DoubleBarrier,
  GroupMember,
  LeaderLatch,
  LeaderSelector,
  Mutex,
  PersistentNode,
  ReadWriteLock,
  Semaphore,
  ServiceDiscovery,
  serviceInstance,
  SharedCount,
  TEXT_SERIALIZER,
  TreeCache,
} from '../../src/client/recipes/index.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { removeDir, waitFor } from './harness.js';
import { startEnsemble, type Ensemble, type EnsembleMember } from './ensemble-harness.js';

let ensemble: Ensemble;

beforeAll(async () => {
  // A restarted server comes back on new ports: each test's clients take the addresses of the moment.
  // tickTime is 200 ms here, which caps sessions at 4 s (20 ticks); a failover under load may take
  // longer than that, so allow the 20 s the clients ask for.
  ensemble = await startEnsemble({ voters: 3, config: { maxSessionTimeout: 30_000 } });
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

/** A client that knows every server's gRPC address as of now (but `except`'s). */
function everyServer(except?: EnsembleMember): Promise<Cairn> {
  return connect({ servers: ensemble.members.filter((member) => alive(member) && member !== except).map((member) => member.grpcAddress), sessionTimeoutMs: 20_000 });
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
    // Not on the server about to be paused: it must go on meanwhile.
    const other = await everyServer(only);
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

// ---------------------------------------------------------------------------------------------
// The other recipes, under each of the three faults

/** Every path under `path`, itself included, as one client sees it after a sync. */
async function treeOf(client: Cairn, path: string): Promise<string[]> {
  await client.sync(path);
  const paths = [path];
  for (const child of (await client.getChildren(path)).children) paths.push(...(await treeOf(client, `${path}/${child}`)));
  return paths.sort();
}

/** Readers and writers of one ReadWriteLock, checking that a writer is always alone. */
function readWriteLoad(clients: Cairn[], path: string, stop: { done: boolean }) {
  let readers = 0;
  let writers = 0;
  let violations = 0;
  let sections = 0;
  const loops = clients.map(async (client, index) => {
    const lock = new ReadWriteLock(client, path);
    const mutex = index === 0 ? lock.writeLock : lock.readLock;
    while (!stop.done) {
      await mutex.withLock(async () => {
        if (index === 0) writers++;
        else readers++;
        if (writers > 1 || (writers === 1 && readers > 0)) violations++;
        await new Promise((done) => setTimeout(done, 10));
        if (index === 0) writers--;
        else readers--;
        sections++;
      });
    }
  });
  return { loops, violations: () => violations, sections: () => sections };
}

/** LeaderSelectors that re-queue, checking that two terms never overlap. */
function selectorLoad(clients: Cairn[], path: string) {
  let leading = 0;
  let overlaps = 0;
  let terms = 0;
  const selectors = clients.map(
    (client, index) =>
      new LeaderSelector(
        client,
        path,
        async () => {
          if (++leading > 1) overlaps++;
          await new Promise((done) => setTimeout(done, 30));
          leading--;
          terms++;
        },
        { id: `s${index}`, autoRequeue: true },
      ),
  );
  for (const selector of selectors) selector.start();
  return { selectors, overlaps: () => overlaps, terms: () => terms };
}

describe('every other recipe under each fault', () => {
  it('with the leader killed: read-write lock, selector, barrier, priority queue, shared count, tree cache, registrations', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => everyServer()));
    const base = '/faults-others-leader';
    const stop = { done: false };
    try {
      await clients[0]!.create(base, null);
      const rw = readWriteLoad(clients, `${base}/rw`, stop);
      const selection = selectorLoad(clients, `${base}/selector`);
      const barrier = new Barrier(clients[0]!, `${base}/barrier`);
      await barrier.set();
      const waiting = [1, 2].map((index) => new Barrier(clients[index]!, `${base}/barrier`).wait(60_000));
      const queue = new DistributedPriorityQueue(clients[1]!, `${base}/priority`, TEXT_SERIALIZER);
      const counts = clients.map((client) => new SharedCount(client, `${base}/count`));
      for (const count of counts) await count.start();
      let setsDone = 0;
      const counting = counts.map(async (count) => {
        for (let done = 0; done < 20; ) {
          const seen = await count.get();
          if (await count.trySet(seen, seen.value + 1)) {
            done++;
            setsDone++;
          }
        }
      });
      const cache = new TreeCache(clients[2]!, `${base}/tree`);
      await clients[0]!.create(`${base}/tree`, null);
      await cache.start();
      const node = new PersistentNode(clients[0]!, `${base}/node`, 'n');
      await node.start();
      const member = new GroupMember(clients[1]!, `${base}/group`, 'm1');
      await member.start();
      const discovery = new ServiceDiscovery(clients[2]!, `${base}/services`);
      await discovery.register(serviceInstance({ name: 'api', id: 'i1', address: '10.0.0.1', port: 1 }));

      const writes = (async () => {
        for (let index = 0; index < 20; index++) {
          await clients[0]!.create(`${base}/tree/n${index}`, String(index));
          await queue.putWithPriority(`item-${index}`, (index * 7) % 5);
        }
      })();
      await waitFor(() => rw.sections() >= 10 && selection.terms() >= 5, 30_000, 'some sections and terms before the kill');
      await killLeader();
      await ensemble.awaitServing(2, 60_000);
      await writes;
      await Promise.all(counting);
      const termsAfterKill = selection.terms();
      await waitFor(() => selection.terms() >= termsAfterKill + 5, 60_000, 'terms after the kill');
      await barrier.remove();
      expect(await Promise.all(waiting)).toEqual([true, true]);
      stop.done = true;
      await Promise.all(rw.loops);
      for (const selector of selection.selectors) await selector.close();

      expect(rw.violations()).toBe(0);
      expect(selection.overlaps()).toBe(0);
      const taken: string[] = [];
      for (let item = await queue.take(2_000); item !== null; item = await queue.take(2_000)) taken.push(item);
      const priorities = taken.map((item) => (Number(item.split('-')[1]) * 7) % 5);
      expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
      expect(new Set(taken).size).toBe(20);
      expect(taken.length - 20).toBeLessThanOrEqual(queue.ambiguousPuts.length);
      await clients[0]!.sync(base);
      const total = (await counts[0]!.get()).value;
      const ambiguous = counts.reduce((sum, count) => sum + count.ambiguousSets, 0);
      expect(Math.abs(total - setsDone)).toBeLessThanOrEqual(ambiguous);
      const tree = await treeOf(clients[2]!, `${base}/tree`);
      await waitFor(() => [...cache.snapshot().keys()].sort().join() === tree.join(), 30_000, 'the cache to match the tree');
      expect((await clients[1]!.exists(`${base}/node`))?.ephemeralOwner).toBe(clients[0]!.session.id);
      expect(member.currentMembers().has('m1')).toBe(true);
      expect((await discovery.queryForInstances('api')).map((instance) => instance.id)).toEqual(['i1']);
      for (const count of counts) count.close();
      await Promise.all([cache.close(), node.close(), member.close(), discovery.close()]);
    } finally {
      stop.done = true;
      for (const client of clients) await client.close();
      await restartDead();
    }
  }, 120_000);

  it('with a client\'s connection lost: its locks, leadership, waits, queues, counters, cache and registrations carry on', async () => {
    const victim = await everyServer();
    const other = await everyServer();
    const base = '/faults-others-connection';
    try {
      await other.create(base, null);
      const write = new ReadWriteLock(victim, `${base}/rw`).writeLock;
      expect(await write.acquire()).toBe(true);
      const latch = new LeaderLatch(victim, `${base}/latch`, 'victim');
      const otherLatch = new LeaderLatch(other, `${base}/latch`, 'other');
      await latch.start();
      await latch.await(10_000);
      await otherLatch.start();
      let aborted = false;
      const selector = new LeaderSelector(victim, `${base}/selector`, async (signal) => {
        await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
        aborted = true;
      });
      selector.start();
      await waitFor(() => selector.hasLeadership, 10_000, 'the victim to lead the selector');
      const barrier = new Barrier(other, `${base}/barrier`);
      await barrier.set();
      const waiting = new Barrier(victim, `${base}/barrier`).wait(60_000);
      const entering = new DoubleBarrier(victim, `${base}/double`, 2).enter(60_000);
      const consumed: string[] = [];
      new DistributedQueue(victim, `${base}/queue`, TEXT_SERIALIZER).start((item) => void consumed.push(item));
      const producer = new DistributedQueue(other, `${base}/queue`, TEXT_SERIALIZER);
      const count = new SharedCount(victim, `${base}/count`);
      await count.start();
      const atomic = new DistributedAtomicLong(victim, `${base}/atomic`);
      await other.create(`${base}/tree`, null);
      const cache = new TreeCache(victim, `${base}/tree`);
      await cache.start();
      const node = new PersistentNode(victim, `${base}/node`, 'n');
      await node.start();
      const discovery = new ServiceDiscovery(victim, `${base}/services`);
      await discovery.register(serviceInstance({ name: 'api', id: 'victim', address: '10.0.0.2', port: 2 }));
      await producer.put('before');

      const server = ensemble.members.find((candidate) => candidate.grpcAddress === victim.server)!;
      await server.process!.stop('SIGKILL');
      // While the victim is cut off: writes it must catch up with.
      await producer.put('during');
      await other.create(`${base}/tree/during`, 'x');
      await victim.waitForState('RECONNECTED', 30_000);

      expect(await new ReadWriteLock(other, `${base}/rw`).readLock.acquire(1_000)).toBe(false); // the write lock is still held
      await write.release();
      // Leadership was given up while SUSPENDED (it cannot know its node stands): one leader after.
      await waitFor(() => [latch, otherLatch].filter((each) => each.hasLeadership).length === 1, 30_000, 'one latch leader');
      expect(aborted).toBe(true);
      await barrier.remove();
      expect(await waiting).toBe(true);
      expect(await new DoubleBarrier(other, `${base}/double`, 2).enter(30_000)).toBe(true);
      expect(await entering).toBe(true);
      await producer.put('after');
      await waitFor(() => consumed.length === 3, 30_000, 'the consumer to catch up');
      expect(consumed).toEqual(['before', 'during', 'after']);
      const seen = await count.get();
      expect(await count.trySet(seen, seen.value + 1)).toBe(true);
      expect((await atomic.increment()).succeeded).toBe(true);
      await waitFor(() => cache.get(`${base}/tree/during`) !== undefined, 30_000, 'the cache to see what happened while cut off');
      expect((await other.exists(`${base}/node`))?.ephemeralOwner).toBe(victim.session.id);
      expect((await new ServiceDiscovery(other, `${base}/services`).queryForInstances('api')).map((instance) => instance.id)).toEqual(['victim']);
      count.close();
      await Promise.all([latch.close(), otherLatch.close(), selector.close(), cache.close(), node.close(), discovery.close()]);
    } finally {
      await victim.close();
      await other.close();
      await restartDead();
    }
  }, 120_000);

  it('with a client\'s session expired: others take its read lock and leadership, its waits and consumers go on in the new session', async () => {
    const only = ensemble.members.find((member) => ensemble.leader() !== member.id)!;
    const victim = await connect({ servers: [only.grpcAddress], sessionTimeoutMs: 2_000, connectionTimeoutMs: 30_000 });
    // Not on the server about to be paused: it must go on meanwhile.
    const other = await everyServer(only);
    const base = '/faults-others-expiry';
    try {
      await other.create(base, null);
      const read = new ReadWriteLock(victim, `${base}/rw`).readLock;
      expect(await read.acquire()).toBe(true);
      const otherWrite = new ReadWriteLock(other, `${base}/rw`).writeLock;
      const writing = otherWrite.acquire(60_000);
      let victimAborted = false;
      const victimSelector = new LeaderSelector(victim, `${base}/selector`, async (signal) => {
        await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
        victimAborted = true;
      });
      victimSelector.start();
      await waitFor(() => victimSelector.hasLeadership, 10_000, 'the victim to lead');
      let otherLed = false;
      const otherSelector = new LeaderSelector(other, `${base}/selector`, async () => {
        otherLed = true;
      });
      otherSelector.start();
      const barrier = new Barrier(other, `${base}/barrier`);
      await barrier.set();
      const waiting = new Barrier(victim, `${base}/barrier`).wait(90_000);
      const entering = new DoubleBarrier(victim, `${base}/double`, 3).enter(90_000).catch((error: unknown) => error);
      const consumed: string[] = [];
      new DistributedQueue(victim, `${base}/queue`, TEXT_SERIALIZER).start((item) => void consumed.push(item));
      const producer = new DistributedQueue(other, `${base}/queue`, TEXT_SERIALIZER);
      await other.create(`${base}/tree`, null);
      const cache = new TreeCache(victim, `${base}/tree`);
      await cache.start();
      const atomic = new DistributedAtomicLong(victim, `${base}/atomic`);

      only.process!.child.kill('SIGSTOP');
      try {
        await victim.waitForState('LOST', 30_000);
        expect(await writing).toBe(true); // the victim's read lock went with its session
        await waitFor(() => otherLed, 30_000, 'the other selector to lead');
        expect(victimAborted).toBe(true);
        await producer.put('while-lost');
        await other.create(`${base}/tree/while-lost`, 'x');
        await otherWrite.release();
      } finally {
        only.process!.child.kill('SIGCONT');
      }
      await victim.waitForState('RECONNECTED', 45_000);
      // A member whose ephemeral went with the session cannot have entered: its enter fails.
      expect(await entering).toMatchObject({ codeName: 'SessionExpired' });
      await barrier.remove();
      expect(await waiting).toBe(true);
      await waitFor(() => consumed.includes('while-lost'), 30_000, 'the consumer to go on in the new session');
      await waitFor(() => cache.get(`${base}/tree/while-lost`) !== undefined, 30_000, 'the cache to rebuild');
      expect((await atomic.increment()).succeeded).toBe(true);
      await Promise.all([victimSelector.close(), otherSelector.close(), cache.close()]);
    } finally {
      await victim.close();
      await other.close();
    }
  }, 120_000);
});
