// The TypeScript recipes and Curator 5.4's (Debian's jars, test/curator/CuratorProbe.java) on the
// same paths of one Cairn server: Curator over the ZooKeeper port, the SDK over gRPC. Each pair
// must cooperate as two Curator clients would: a lock excludes the other side, a latch elects one
// leader, a barrier holds both, counters add up.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
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
  ReadWriteLock,
  Semaphore,
  ServiceDiscovery,
  serviceInstance,
  buildUri,
  SharedCount,
  TEXT_SERIALIZER,
  TreeCache,
} from '../../src/client/recipes/index.js';
import { CURATOR_JARS, describeWith, itWith, type RequirementName } from '../support/requirements.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const JAVA_DIR = '/usr/share/java';
const CLASS_PATH = [...CURATOR_JARS, ...['zookeeper', 'zookeeper-jute', 'guava', 'slf4j-api', 'slf4j-nop', 'jackson-core', 'jackson-databind', 'jackson-annotations'].map((name) => `${JAVA_DIR}/${name}.jar`)].join(':');
const NEEDS: RequirementName[] = ['curator', 'jdk'];
const PROTECTED_NODE = /^_c_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-/;

interface Step {
  step: string;
  at: number;
  [fact: string]: unknown;
}

/** Where CuratorProbe.class is, compiled once for the file (a JVM compiling the source each run costs seconds). */
let classes: string | undefined;

function compileProbe(): string {
  classes ??= mkdtempSync(join(tmpdir(), 'cairn-curator-'));
  execFileSync('/usr/bin/javac', ['-nowarn', '-cp', CLASS_PATH, '-d', classes, resolve(ROOT, 'test/curator/CuratorProbe.java')], { stdio: ['ignore', 'pipe', 'pipe'] });
  return classes;
}

/** One CuratorProbe run: its steps as they come, and its end. */
class Probe {
  readonly steps: Step[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';
  private readonly child: ChildProcess;

  constructor(connectString: string, args: (string | number)[]) {
    const child = spawn('/usr/bin/java', ['-cp', `${classes!}:${CLASS_PATH}`, 'CuratorProbe', connectString, ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{')) this.steps.push(JSON.parse(line) as Step);
    });
    child.stderr!.on('data', (chunk) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => child.on('exit', (code) => done(code)));
  }

  async step(name: string, timeoutMs = 60_000): Promise<Step> {
    await waitFor(() => this.steps.some((step) => step.step === name) || this.steps.some((step) => step.step === 'done'), timeoutMs, `Curator's "${name}"`);
    const found = this.steps.find((step) => step.step === name);
    if (found === undefined) throw new Error(`Curator ended without "${name}": ${this.stderr}`);
    return found;
  }

  /** Ends a hold of "stdin". */
  release(): void {
    this.child.stdin!.end('release\n');
  }

  has(name: string): boolean {
    return this.steps.some((step) => step.step === name);
  }

  async finished(): Promise<void> {
    const code = await this.exited;
    if (code !== 0) throw new Error(`CuratorProbe exited ${code}: ${this.stderr}`);
  }
}

describeWith(NEEDS, 'the recipes with Curator 5.4 on the same paths', () => {
  let server: ServerProcess;
  let client: Cairn;
  let zk: string;

  beforeAll(async () => {
    compileProbe();
    server = await startServerProcess();
    zk = `127.0.0.1:${server.clientPort}`;
    client = await connect({ servers: [server.grpcAddress], sessionTimeoutMs: 10_000 });
    await client.create('/interop', null); // the tests' parent, so that each can run alone
  }, 60_000);

  afterAll(async () => {
    if (classes !== undefined) rmSync(classes, { recursive: true, force: true });
    await client?.close();
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  itWith(NEEDS, 'Mutex and InterProcessMutex exclude each other, either way round, with the same node names', async () => {
    const path = '/interop/mutex';
    const curator = new Probe(zk, ['mutex', path, 1500]);
    await curator.step('acquired');
    const ours = new Mutex(client, path);
    expect(await ours.acquire()).toBe(true);
    const acquiredAt = Date.now();
    expect(acquiredAt).toBeGreaterThanOrEqual((await curator.step('releasing')).at);
    const [node] = (await client.getChildren(path)).children;
    expect(node).toMatch(PROTECTED_NODE);
    expect(node).toMatch(/-lock-\d{10}$/);
    await curator.finished();

    // Now ours is held first: Curator must queue behind it.
    const second = new Probe(zk, ['mutex', path, 10]);
    await waitFor(async () => (await client.getChildren(path)).children.length === 2, 30_000, "Curator's lock node");
    await new Promise((done) => setTimeout(done, 500));
    expect(second.has('acquired')).toBe(false);
    const releasedAt = Date.now();
    await ours.release();
    expect((await second.step('acquired')).at).toBeGreaterThanOrEqual(releasedAt);
    await second.finished();
  });

  itWith(NEEDS, 'ReadWriteLock and InterProcessReadWriteLock: readers share, a writer excludes', async () => {
    const path = '/interop/rwlock';
    const curatorReader = new Probe(zk, ['rwlock', path, 'read', 1500]);
    await curatorReader.step('acquired');
    const lock = new ReadWriteLock(client, path);
    expect(await lock.readLock.acquire(5_000)).toBe(true); // readers share
    await lock.readLock.release();
    expect(await lock.writeLock.acquire()).toBe(true); // a writer waits for Curator's reader
    expect(Date.now()).toBeGreaterThanOrEqual((await curatorReader.step('releasing')).at);
    expect((await client.getChildren(path)).children.every((child) => child.includes('__WRIT__') || child.includes('__READ__'))).toBe(true);
    const curatorWriter = new Probe(zk, ['rwlock', path, 'write', 10]);
    await waitFor(async () => (await client.getChildren(path)).children.length === 2, 30_000, "Curator's write node");
    await new Promise((done) => setTimeout(done, 500));
    expect(curatorWriter.has('acquired')).toBe(false);
    await lock.writeLock.release();
    await curatorWriter.step('acquired');
    await Promise.all([curatorReader.finished(), curatorWriter.finished()]);
  });

  itWith(NEEDS, 'Semaphore and InterProcessSemaphoreV2 share one count of leases', async () => {
    const path = '/interop/semaphore';
    const curator = new Probe(zk, ['semaphore', path, 2, 1500]);
    await curator.step('acquired');
    const semaphore = new Semaphore(client, path, 2);
    const first = await semaphore.acquire(1, 5_000);
    expect(first).not.toBeNull();
    expect(await semaphore.acquire(1, 300)).toBeNull(); // both leases are taken
    const second = await semaphore.acquire(1, 30_000);
    expect(second).not.toBeNull();
    expect(Date.now()).toBeGreaterThanOrEqual((await curator.step('releasing')).at);
    expect((await client.getChildren(`${path}/leases`)).children.every((child) => /-lease-\d{10}$/.test(child))).toBe(true);
    for (const lease of [...first!, ...second!]) await lease.close();
    await curator.finished();
  });

  itWith(NEEDS, 'LeaderLatch and Curator\'s LeaderLatch elect one leader, and hand over', async () => {
    const path = '/interop/latch';
    const latch = new LeaderLatch(client, path, 'typescript');
    await latch.start();
    expect(await latch.await(10_000)).toBe(true);
    const watcher = new Probe(zk, ['latch-participants', path, 'java-watcher', 1000]);
    const participants = await watcher.step('participants');
    expect(participants).toMatchObject({ participants: [['typescript', true], ['java-watcher', false]], hasLeadership: false });
    await watcher.finished();
    expect((await latch.participants()).map((participant) => participant.id)).toEqual(['typescript']);

    const curator = new Probe(zk, ['latch', path, 'java', 10]);
    await waitFor(async () => (await latch.participants()).length === 2, 30_000, "Curator's latch node");
    await new Promise((done) => setTimeout(done, 500));
    expect(curator.has('leader')).toBe(false);
    const closedAt = Date.now();
    await latch.close();
    const leader = await curator.step('leader');
    expect(leader.at).toBeGreaterThanOrEqual(closedAt);
    expect(leader.leaderId).toBe('java');
    await curator.finished();
  });

  itWith(NEEDS, "LeaderSelector and Curator's LeaderSelector take turns", async () => {
    const path = '/interop/selector';
    const curator = new Probe(zk, ['selector', path, 'java', 1500]);
    await curator.step('leader');
    let ledAt = 0;
    const selector = new LeaderSelector(client, path, async () => {
      ledAt = Date.now();
    }, { id: 'typescript' });
    selector.start();
    await waitFor(() => ledAt > 0, 30_000, 'our turn');
    expect(ledAt).toBeGreaterThanOrEqual((await curator.step('releasing')).at);
    await selector.close();
    await curator.finished();
  });

  itWith(NEEDS, 'Barrier and DistributedBarrier hold each other\'s waiters', async () => {
    const path = '/interop/barrier';
    const barrier = new Barrier(client, path);
    await barrier.set();
    const curatorWaiter = new Probe(zk, ['barrier-wait', path]);
    await curatorWaiter.step('connected');
    await new Promise((done) => setTimeout(done, 700));
    expect(curatorWaiter.has('passed')).toBe(false);
    const removedAt = Date.now();
    await barrier.remove();
    expect((await curatorWaiter.step('passed')).at).toBeGreaterThanOrEqual(removedAt);
    await curatorWaiter.finished();

    await new Probe(zk, ['barrier-set', path]).finished();
    const waiting = barrier.wait(30_000);
    await new Promise((done) => setTimeout(done, 500));
    const remover = new Probe(zk, ['barrier-remove', path]);
    expect(await waiting).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual((await remover.step('removed')).at);
    await remover.finished();
  });

  itWith(NEEDS, 'DoubleBarrier and DistributedDoubleBarrier: nobody enters before all three, all leave', async () => {
    const path = '/interop/double';
    const first = new Probe(zk, ['double-barrier', path, 3, 300]);
    const second = new Probe(zk, ['double-barrier', path, 3, 300]);
    await waitFor(async () => ((await client.exists(path)) === null ? 0 : (await client.getChildren(path)).children.length) === 2, 30_000, "Curator's two members");
    await new Promise((done) => setTimeout(done, 500));
    expect(first.has('entered') || second.has('entered')).toBe(false);
    const barrier = new DoubleBarrier(client, path, 3);
    const enteredAt = Date.now();
    expect(await barrier.enter(30_000)).toBe(true);
    for (const probe of [first, second]) expect((await probe.step('entered')).at).toBeGreaterThanOrEqual(enteredAt - 50);
    expect(await barrier.leave(30_000)).toBe(true);
    await Promise.all([first.finished(), second.finished()]);
    expect((await client.getChildren(path)).children).toEqual([]);
  });

  itWith(NEEDS, 'SharedCount and DistributedAtomicLong add up with Curator\'s, concurrently', async () => {
    const countPath = '/interop/count';
    const count = new SharedCount(client, countPath, 0);
    await count.start();
    const curatorCount = new Probe(zk, ['shared-count-add', countPath, 40]);
    for (let done = 0; done < 40; ) {
      const seen = await count.get();
      if (await count.trySet(seen, seen.value + 1)) done++;
    }
    await curatorCount.finished();
    expect((await count.get()).value).toBe(80);
    count.close();

    const longPath = '/interop/atomic';
    const atomic = new DistributedAtomicLong(client, longPath);
    const curatorLong = new Probe(zk, ['atomic-long-add', longPath, 40]);
    for (let index = 0; index < 40; index++) expect((await atomic.increment()).succeeded).toBe(true);
    await curatorLong.finished();
    expect((await atomic.get()).postValue).toBe(80n);
  });

  itWith(NEEDS, 'DistributedQueue: FIFO both ways, and DistributedPriorityQueue orders by priority, with Curator\'s item format', async () => {
    const path = '/interop/queue';
    const queue = new DistributedQueue(client, path, TEXT_SERIALIZER);
    await new Probe(zk, ['queue-put', path, 'j1', 'j2', 'j3']).finished();
    for (const item of ['t1', 't2']) await queue.put(item);
    expect([await queue.take(5_000), await queue.take(5_000), await queue.take(5_000)]).toEqual(['j1', 'j2', 'j3']);
    await queue.putMulti(['t3', 't4']);
    const taker = new Probe(zk, ['queue-take', path, 4]);
    expect((await taker.step('taken')).items).toEqual(['t1', 't2', 't3', 't4']);
    await taker.finished();

    const priorityPath = '/interop/priority';
    const priority = new DistributedPriorityQueue(client, priorityPath, TEXT_SERIALIZER);
    await new Probe(zk, ['priority-put', priorityPath, '5:java-5', '-3:java-minus-3', '10:java-10']).finished();
    await priority.putWithPriority('ts-1', 1);
    await priority.putWithPriority('ts-minus-7', -7);
    const order: string[] = [];
    for (let index = 0; index < 5; index++) order.push((await priority.take(5_000))!);
    expect(order).toEqual(['ts-minus-7', 'java-minus-3', 'ts-1', 'java-5', 'java-10']);
  });

  itWith(NEEDS, 'TreeCache sees Curator\'s writes, and CuratorCache sees ours', async () => {
    const path = '/interop/cache';
    await client.create(path, 'root');
    const cache = new TreeCache(client, path);
    const added: string[] = [];
    cache.on('added', (node) => added.push(node.path));
    await cache.start();
    // Four events at most (the root, /a made and changed, /a/b); a cache may see /a's create and
    // change as one create with the newer data, so it also stops after 8 s.
    const watcher = new Probe(zk, ['cache-watch', path, 4, 8_000]);
    await watcher.step('watching');
    await client.create(`${path}/a`, 'from-ts');
    await client.setData(`${path}/a`, 'changed-by-ts');
    await client.create(`${path}/a/b`, 'deep');
    const seen = (await watcher.step('seen')).events as string[];
    expect(seen).toEqual(expect.arrayContaining([`created ${path}=root`, `created ${path}/a/b=deep`]));
    expect(seen.filter((event) => event.includes(`${path}/a=`)).at(-1)).toMatch(/=changed-by-ts$/);
    await watcher.finished();

    await new Probe(zk, ['queue-put', `${path}/q`, 'x']).finished(); // Curator makes nodes under the cached path
    await waitFor(() => cache.children(`${path}/q`).length === 1, 15_000, 'the cache to see Curator\'s node');
    expect(added).toEqual(expect.arrayContaining([path, `${path}/a`, `${path}/a/b`, `${path}/q`]));
    await cache.close();
  });

  itWith(NEEDS, 'GroupMember: the TypeScript and Curator members see each other', async () => {
    const path = '/interop/group';
    const member = new GroupMember(client, path, 'ts-member', 'ts-payload');
    await member.start();
    const curator = new Probe(zk, ['group', path, 'java-member', 'java-payload', 1500]);
    await curator.step('joined');
    await waitFor(() => member.currentMembers().has('java-member'), 15_000, 'the Curator member');
    expect(Buffer.from(member.currentMembers().get('java-member')!).toString()).toBe('java-payload');
    expect((await curator.step('members')).members).toEqual([
      ['java-member', 'java-payload'],
      ['ts-member', 'ts-payload'],
    ]);
    await curator.finished();
    await waitFor(() => !member.currentMembers().has('java-member'), 15_000, 'the Curator member to leave');
    await member.close();
  });

  itWith(NEEDS, 'ServiceDiscovery: instances in x-discovery\'s JSON, registered by either side, found by the other', async () => {
    const base = '/interop/services';
    const registrar = new Probe(zk, ['discovery-register', base, 'api', 'java-1', '10.0.0.5', 8080, 'stdin']);
    await registrar.step('registered');
    const discovery = new ServiceDiscovery<{ zone: string }>(client, base);
    const found = await discovery.queryForInstances('api');
    expect(found).toMatchObject([{ name: 'api', id: 'java-1', address: '10.0.0.5', port: 8080, payload: { zone: 'java-zone' }, serviceType: 'DYNAMIC' }]);
    expect(buildUri(found[0]!)).toBe('http://10.0.0.5:8080/status');

    const ours = serviceInstance({ name: 'api', id: 'ts-1', address: '10.0.0.6', port: 9090, payload: { zone: 'ts-zone' }, uriSpec: '{scheme}://{address}:{port}/status' });
    await discovery.register(ours);
    expect((await client.exists(`${base}/api/ts-1`))?.ephemeralOwner).toBe(client.session.id);
    const query = new Probe(zk, ['discovery-query', base, 'api']);
    expect((await query.step('instances')).instances).toEqual(expect.arrayContaining(['java-1@10.0.0.5:8080 java-zone DYNAMIC http://10.0.0.5:8080/status', 'ts-1@10.0.0.6:9090 ts-zone DYNAMIC http://10.0.0.6:9090/status']));
    await query.finished();

    const provider = discovery.provider('api');
    await provider.start();
    const picks = new Set([provider.getInstance()?.id, provider.getInstance()?.id]);
    expect(picks).toEqual(new Set(['java-1', 'ts-1'])); // round robin over both
    registrar.release();
    await registrar.finished(); // Curator unregisters as it closes
    await waitFor(() => provider.allInstances().length === 1, 15_000, "the Curator instance to go");
    expect(provider.getInstance()?.id).toBe('ts-1');
    await provider.close();
    await discovery.close();
    expect(await client.exists(`${base}/api/ts-1`)).toBeNull();
  });
});
