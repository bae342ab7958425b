import { describe, expect, it } from 'vitest';
import { decodeTxnRecord, encodeTxnRecord } from '../../src/core/codec.js';
import { NodeKind } from '../../src/core/datatree.js';
import { KeeperError } from '../../src/core/errors.js';
import { MultiFailure } from '../../src/core/prep.js';
import { loadChunk, serializeState } from '../../src/core/snapshot.js';
import { ReplicatedState } from '../../src/core/state.js';
import { CreateMode, OPEN_ACL_UNSAFE, Perms, READ_ACL_UNSAFE, type ACL, type Data, type MultiOp, type SessionId, type TxnRecord, type WriteRequest } from '../../src/core/types.js';
import { bytes, CoreHarness, Rng } from './core-harness.js';

// ---------------------------------------------------------------------------------------------
// A full, comparable picture of a state: every node with every field, the indexes, the sessions.

function dump(state: ReplicatedState) {
  const tree = state.tree;
  const nodes = [...tree.walk()]
    .map(([path, node]) => ({
      path,
      data: node.data === null ? null : [...node.data],
      acl: node.acl.map((entry) => `${entry.perms}:${entry.id.scheme}:${entry.id.id}`),
      stat: node.stat(),
      kind: node.kind,
      ttlMs: node.ttlMs,
      children: node.children === null ? [] : [...node.children].sort(),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ephemerals = [...tree.sessionsWithEphemerals()]
    .filter((session) => tree.ephemeralsOf(session).size > 0)
    .sort((a, b) => a - b)
    .map((session) => [session, [...tree.ephemeralsOf(session)].sort()]);
  const sessions = [...state.sessions.entries()].sort(([a], [b]) => a - b).map(([id, info]) => [id, info.timeoutMs, [...info.password]]);
  return {
    size: tree.size,
    digest: tree.digest(),
    nodes,
    ephemerals,
    containers: [...tree.containers].sort(),
    ttlNodes: [...tree.ttlNodes].sort(),
    sessions,
  };
}

/** Every node reachable from the root (nothing orphaned), and the indexes agree with the nodes. */
function expectConsistent(state: ReplicatedState): void {
  const tree = state.tree;
  let walked = 0;
  for (const [path, node] of tree.walk()) {
    walked++;
    if (node.ephemeralOwner !== 0) expect(tree.ephemeralsOf(node.ephemeralOwner).has(path)).toBe(true);
  }
  expect(walked).toBe(tree.size);
  for (const session of tree.sessionsWithEphemerals()) for (const path of tree.ephemeralsOf(session)) expect(tree.get(path)?.ephemeralOwner).toBe(session);
  for (const path of tree.containers) expect(tree.get(path)?.kind).toBe(NodeKind.CONTAINER);
  for (const path of tree.ttlNodes) expect(tree.get(path)?.kind).toBe(NodeKind.TTL);
}

function snapshotOf(state: ReplicatedState, nodesPerChunk?: number): Uint8Array[] {
  return [...serializeState(state, nodesPerChunk)];
}

function restore(chunks: readonly Uint8Array[]): ReplicatedState {
  const fresh = new ReplicatedState();
  for (const chunk of chunks) loadChunk(fresh, chunk);
  return fresh;
}

/** The log as the storage would give it back: through the codec, after the snapshot's zxid. */
function replay(state: ReplicatedState, log: readonly TxnRecord[], afterZxid: number): void {
  state.lastZxid = afterZxid;
  state.replaying = true;
  for (const record of log) if (record.header.zxid > afterZxid) state.apply(decodeTxnRecord(encodeTxnRecord(record)));
  state.replaying = false;
}

// ---------------------------------------------------------------------------------------------
// A random workload over a small name space, so that paths are deleted and re-created often
// (with other children, other kinds, other owners) while a snapshot is being taken.

const NAMES = ['a', 'b', 'c'];
/** With quotas, the workload also makes and removes quota nodes anywhere, the mirror of /a included. */
const QUOTA_NAMES = [...NAMES, 'zookeeper_limits', 'zookeeper_stats'];
const ACLS: ACL[][] = [
  [...OPEN_ACL_UNSAFE],
  // No ADMIN: a later setACL is refused.
  [{ perms: Perms.ALL & ~Perms.ADMIN, id: { scheme: 'world', id: 'anyone' } }],
  [...OPEN_ACL_UNSAFE, { perms: Perms.READ, id: { scheme: 'ip', id: '10.0.0.0/8' } }],
];

class Workload {
  private nextSession = 0x1000;
  /** Sessions created and not (yet) closed, as far as the workload knows. */
  private readonly live: SessionId[] = [];

  constructor(
    readonly h: CoreHarness,
    private readonly rng: Rng,
    private readonly quotas = false,
  ) {}

  /** The applied tree's paths, in a deterministic order. */
  private paths(): string[] {
    return [...this.h.tree.walk()].map(([path]) => path).sort();
  }

  private data(): Data {
    const r = this.rng.int(4);
    if (r === 0) return null;
    if (r === 1) return new Uint8Array(0);
    return bytes(`v${this.rng.int(1000)}`);
  }

  private version(actual: number): number {
    const r = this.rng.int(5);
    return r < 2 ? -1 : r < 4 ? actual : actual + 1;
  }

  private randomNode(includeRoot: boolean): string {
    const paths = this.paths().filter((path) => includeRoot || path !== '/');
    return paths.length === 0 ? '/' : this.rng.pick(paths);
  }

  private createOp(): WriteRequest & { op: 'create' } {
    const parent = this.rng.pick(this.paths().filter((path) => path.split('/').length <= 4));
    const prefix = parent === '/' ? '/' : `${parent}/`;
    const r = this.rng.int(20);
    let mode: CreateMode = CreateMode.PERSISTENT;
    let ttl: number | undefined;
    if (r < 3) mode = CreateMode.PERSISTENT_SEQUENTIAL;
    else if (r < 8) mode = CreateMode.EPHEMERAL;
    else if (r < 10) mode = CreateMode.EPHEMERAL_SEQUENTIAL;
    else if (r < 12) mode = CreateMode.CONTAINER;
    else if (r < 13) {
      mode = this.rng.chance(0.5) ? CreateMode.PERSISTENT_WITH_TTL : CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
      ttl = 1 + this.rng.int(50);
    }
    const sequential = mode === CreateMode.PERSISTENT_SEQUENTIAL || mode === CreateMode.EPHEMERAL_SEQUENTIAL || mode === CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
    const path = prefix + (sequential ? 's-' : this.rng.pick(this.quotas ? QUOTA_NAMES : NAMES));
    return { op: 'create', path, data: this.data(), acl: this.rng.pick(ACLS), mode, ...(ttl === undefined ? {} : { ttl }) };
  }

  private nodeOp(): MultiOp {
    const r = this.rng.int(10);
    if (r < 4) return this.createOp();
    const path = this.randomNode(r >= 7);
    const node = this.h.tree.get(path);
    const version = node?.version ?? 0;
    if (r < 7) return { op: 'delete', path, version: this.version(version) };
    if (r < 9) return { op: 'setData', path, data: this.data(), version: this.version(version) };
    return { op: 'check', path, version: this.version(version) };
  }

  private sessionOf(request: WriteRequest): SessionId {
    const ephemeral = (op: WriteRequest) => op.op === 'create' && (op.mode === CreateMode.EPHEMERAL || op.mode === CreateMode.EPHEMERAL_SEQUENTIAL);
    const needs = ephemeral(request) || (request.op === 'multi' && request.ops.some(ephemeral));
    if (!needs) return this.live.length > 0 && this.rng.chance(0.3) ? this.rng.pick(this.live) : 0;
    return this.live.length > 0 ? this.rng.pick(this.live) : 0;
  }

  private tryPrepare(request: WriteRequest): void {
    try {
      this.h.prepare(request, { sessionId: this.sessionOf(request), enforceQuota: this.quotas });
    } catch (error) {
      if (!(error instanceof KeeperError) && !(error instanceof MultiFailure)) throw error;
    }
  }

  /** Prepares one random thing (no apply). */
  prepareOne(): void {
    const h = this.h;
    const r = this.rng.int(100);
    if (r < 17) this.tryPrepare(this.createOp());
    else if (r < 25) {
      // A new incarnation of a path: another kind, another owner, possibly still pending.
      const path = this.randomNode(false);
      const mode = this.rng.pick([CreateMode.PERSISTENT, CreateMode.EPHEMERAL, CreateMode.EPHEMERAL, CreateMode.CONTAINER]);
      this.tryPrepare({ op: 'delete', path, version: -1 });
      this.tryPrepare({ op: 'create', path, data: this.data(), acl: this.rng.pick(ACLS), mode });
    } else if (r < 45) {
      const path = this.randomNode(false);
      this.tryPrepare({ op: 'delete', path, version: this.version(h.tree.get(path)?.version ?? 0) });
    } else if (r < 53) {
      const path = this.randomNode(true);
      this.tryPrepare({ op: 'setData', path, data: this.data(), version: this.version(h.tree.get(path)?.version ?? 0) });
    } else if (r < 57) {
      const path = this.randomNode(true);
      this.tryPrepare({ op: 'setACL', path, acl: this.rng.pick(ACLS), version: this.version(h.tree.get(path)?.aversion ?? 0) });
    } else if (r < 77) {
      const ops = Array.from({ length: 2 + this.rng.int(4) }, () => this.nodeOp());
      this.tryPrepare({ op: 'multi', ops });
    } else if (r < 85) {
      const session = this.nextSession++;
      h.prepareCreateSession(session, 1_000 + this.rng.int(5_000));
      this.live.push(session);
    } else if (r < 94) {
      if (this.live.length > 0) {
        const index = this.rng.int(this.live.length);
        const session = this.live[index]!;
        this.live.splice(index, 1);
        h.prepareCloseSession(session);
      }
    } else {
      const candidates = h.reapCandidates(h.clock);
      if (candidates.length > 0) h.prepareDeleteContainer(this.rng.pick(candidates));
    }
  }

  /** Prepares 1..4 things, then applies a random part of everything pending. */
  step(): void {
    this.h.clock += this.rng.int(20);
    const count = 1 + (this.rng.chance(0.3) ? this.rng.int(4) : 0);
    for (let i = 0; i < count; i++) this.prepareOne();
    const pending = this.h.pendingCount;
    const applyCount = this.rng.chance(0.7) ? pending : this.rng.int(pending + 1);
    for (let i = 0; i < applyCount; i++) this.h.applyNext();
  }

  finish(): void {
    this.h.applyAll();
  }
}

/**
 * One round: a random workload, a snapshot taken a chunk at a time with the workload running
 * between chunks (pending txns included), more workload; then the chunks are loaded into a fresh
 * state and every txn after the snapshot's starting zxid is replayed over it.
 */
function fuzzySnapshotRound(seed: number, quotas = false): { nodes: number; interleaved: number } {
  const rng = new Rng(seed);
  const h = new CoreHarness();
  const workload = new Workload(h, rng, quotas);
  if (quotas) setUpQuotas(h);
  const warmup = 10 + rng.int(60);
  for (let i = 0; i < warmup; i++) workload.step();

  const generator = serializeState(h.state, rng.chance(0.6) ? 1 : 2 + rng.int(3));
  // Generators are lazy: the snapshot starts at the first next().
  const startZxid = h.state.lastZxid;
  const chunks: Uint8Array[] = [];
  let interleaved = 0;
  for (let next = generator.next(); !next.done; next = generator.next()) {
    chunks.push(next.value);
    const between = rng.int(6);
    for (let i = 0; i < between; i++) workload.step();
    interleaved += between;
  }
  const tail = rng.int(10);
  for (let i = 0; i < tail; i++) workload.step();
  workload.finish();

  const restored = restore(chunks);
  replay(restored, h.log, startZxid);
  expect(dump(restored)).toEqual(dump(h.state));
  expectConsistent(restored);
  expectConsistent(h.state);
  expect(restored.lastZxid).toBe(h.state.lastZxid);
  if (quotas) {
    expect(restored.tree.quotaSubjects()).toEqual(h.tree.quotaSubjects());
    for (const subject of h.tree.quotaSubjects()) expect(h.tree.quotaUsageOf(subject)).toEqual(h.tree.measureQuotaUsage(subject));
  }
  return { nodes: h.tree.size, interleaved };
}

/** A quota on /a with a nested one on /a/b, as zkCli's setquota writes them, with small hard limits. */
function setUpQuotas(h: CoreHarness): void {
  const limits = (count: number) => bytes(`count=-1,bytes=-1=;byteHardLimit=40;countHardLimit=${count}`);
  h.create('/a');
  h.create('/a/b');
  for (const [subject, count] of [['a', 8], ['a/b', 4]] as const) {
    h.create(`/zookeeper/quota/${subject}`);
    h.create(`/zookeeper/quota/${subject}/zookeeper_limits`, limits(count));
    h.create(`/zookeeper/quota/${subject}/zookeeper_stats`, bytes('count=0,bytes=0'));
  }
}

// ---------------------------------------------------------------------------------------------

describe('snapshots', () => {
  it('serializeState → loadChunk gives an equal state: tree, stats, digest, sessions, indexes', () => {
    const h = new CoreHarness();
    h.createSession(11, 3_000);
    h.createSession(12, 4_000);
    h.create('/a', bytes('data'));
    h.create('/a/b', null);
    h.create('/a/e', new Uint8Array(0), CreateMode.EPHEMERAL, { sessionId: 11 });
    h.create('/a/s-', bytes('x'), CreateMode.EPHEMERAL_SEQUENTIAL, { sessionId: 12 });
    h.create('/c', null, CreateMode.CONTAINER);
    h.create('/t', null, CreateMode.PERSISTENT_WITH_TTL, {}, undefined, 1234);
    h.create('/acl', null, CreateMode.PERSISTENT, {}, [{ perms: Perms.READ, id: { scheme: 'ip', id: '10.0.0.0/8' } }, { perms: Perms.ALL, id: { scheme: 'digest', id: 'bob:hash' } }]);
    h.setData('/a', bytes('more'));
    h.run({ op: 'setACL', path: '/a/b', acl: [...READ_ACL_UNSAFE], version: 0 });
    h.setData('/', bytes('root'));
    h.delete('/a/b');
    for (const perChunk of [1, 2, 3, 4096]) {
      const chunks = snapshotOf(h.state, perChunk);
      const fresh = restore(chunks);
      expect(dump(fresh)).toEqual(dump(h.state));
      expect(fresh.tree.digest()).toBe(h.tree.digest());
      expectConsistent(fresh);
      // The restored state keeps working: the same write gives the same result on both.
      const again = new CoreHarness();
      for (const chunk of chunks) loadChunk(again.state, chunk);
      again.resumeAfter(h.state.lastZxid);
      expect(again.create('/a/s-', null, CreateMode.PERSISTENT_SEQUENTIAL)).toBe('/a/s-0000000003');
      expect(again.closeSession(11).triggers.map((t) => t.path)).toEqual(['/a/e', '/a']);
      expect(again.tree.ephemeralsOf(12).size).toBe(1);
    }
  });

  it('a fuzzy snapshot plus the replayed log equals the live state (many seeds)', () => {
    // CORE_FUZZ_FIRST / CORE_FUZZ_SEEDS run another range of seeds (longer runs, reproducing one).
    const first = Number(process.env.CORE_FUZZ_FIRST ?? 1);
    const seeds = Number(process.env.CORE_FUZZ_SEEDS ?? 1000);
    let nodes = 0;
    let interleaved = 0;
    for (let seed = first; seed < first + seeds; seed++) {
      try {
        const result = fuzzySnapshotRound(seed);
        nodes += result.nodes;
        interleaved += result.interleaved;
      } catch (error) {
        throw new Error(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
    // The workload did build trees, and did run while snapshots were being taken.
    expect(nodes / seeds).toBeGreaterThan(10);
    expect(interleaved / seeds).toBeGreaterThan(10);
  });

  it('with quotas (and quota nodes made and removed at random), a fuzzy snapshot plus the log keeps every stats node', () => {
    for (let seed = 1; seed <= 300; seed++) {
      try {
        fuzzySnapshotRound(seed, true);
      } catch (error) {
        throw new Error(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
  });

  it('replaying the whole log over an empty state rebuilds the live state', () => {
    for (let seed = 1000; seed < 1050; seed++) {
      const rng = new Rng(seed);
      const h = new CoreHarness();
      const workload = new Workload(h, rng);
      for (let i = 0; i < 80; i++) workload.step();
      workload.finish();
      const rebuilt = new ReplicatedState();
      for (const record of h.log) rebuilt.apply(decodeTxnRecord(encodeTxnRecord(record)));
      expect(dump(rebuilt)).toEqual(dump(h.state));
    }
  });
});

describe('replay over a fuzzy snapshot: the cases the property test found', () => {
  /** Starts a snapshot of h with one node per chunk and pulls chunks until `until` says stop. */
  function startSnapshot(h: CoreHarness, until: (soFar: ReplicatedState) => boolean) {
    const generator = serializeState(h.state, 1);
    const startZxid = h.state.lastZxid;
    const chunks: Uint8Array[] = [];
    for (let next = generator.next(); !next.done; next = generator.next()) {
      chunks.push(next.value);
      if (until(restore(chunks))) break;
    }
    return {
      finish(): ReplicatedState {
        for (let next = generator.next(); !next.done; next = generator.next()) chunks.push(next.value);
        const restored = restore(chunks);
        replay(restored, h.log, startZxid);
        expect(dump(restored)).toEqual(dump(h.state));
        expectConsistent(restored);
        return restored;
      },
    };
  }

  it("closeSession moves the pzxid of an ephemeral's parent the snapshot took before the close", () => {
    const h = new CoreHarness();
    h.createSession(7);
    h.create('/p');
    h.create('/p/e', null, CreateMode.EPHEMERAL, { sessionId: 7 });
    const snapshot = startSnapshot(h, (soFar) => soFar.tree.has('/p'));
    const close = h.closeSession(7);
    expect(close.record.txn).toEqual({ type: 'closeSession', paths: ['/p/e'] });
    expect(h.stat('/p').pzxid).toBe(close.record.header.zxid);
    snapshot.finish();
  });

  it('a multi whose first op meets a node the snapshot missed still applies its other ops', () => {
    const h = new CoreHarness();
    h.create('/x');
    // The root is taken (its children listed), /x not yet.
    const snapshot = startSnapshot(h, (soFar) => soFar.tree.get('/')!.pzxid === 1 && !soFar.tree.has('/x'));
    h.run({ op: 'multi', ops: [{ op: 'setData', path: '/x', data: bytes('1'), version: -1 }, { op: 'create', path: '/y', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }] });
    h.delete('/x');
    snapshot.finish();
    expect(h.tree.has('/y')).toBe(true);
  });

  it('deleting a node re-created with children after the snapshot walked its parent', () => {
    const h = new CoreHarness();
    h.create('/a');
    // The root is taken (its children listed), /a not yet.
    const snapshot = startSnapshot(h, (soFar) => soFar.tree.get('/')!.pzxid === 1 && !soFar.tree.has('/a'));
    h.delete('/a');
    h.create('/a');
    h.create('/a/c');
    h.create('/a/c/d', null, CreateMode.EPHEMERAL, { sessionId: 3 });
    const restored = snapshot.finish();
    expect([...restored.tree.ephemeralsOf(3)]).toEqual(['/a/c/d']);
  });
});

describe('closeSession txn encoding', () => {
  const header = { sessionId: 5, cxid: 0, zxid: 9, time: 1 };

  it('round-trips the paths; without ephemerals it is the tag alone, as before the paths existed', () => {
    const withPaths: TxnRecord = { header, txn: { type: 'closeSession', paths: ['/a/e', '/b', '/ü/😀'] } };
    expect(decodeTxnRecord(encodeTxnRecord(withPaths))).toEqual(withPaths);
    const bare: TxnRecord = { header, txn: { type: 'closeSession' } };
    const bareBytes = encodeTxnRecord(bare);
    expect(decodeTxnRecord(bareBytes)).toEqual(bare);
    expect(encodeTxnRecord({ header, txn: { type: 'closeSession', paths: [] } })).toEqual(bareBytes);
    expect(encodeTxnRecord(withPaths).length).toBeGreaterThan(bareBytes.length);
  });

  it('refuses truncated or padded paths', () => {
    const bytes = Buffer.from(encodeTxnRecord({ header, txn: { type: 'closeSession', paths: ['/a'] } }));
    expect(() => decodeTxnRecord(bytes.subarray(0, bytes.length - 1))).toThrow(KeeperError);
    expect(() => decodeTxnRecord(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(KeeperError);
    const bare = Buffer.from(encodeTxnRecord({ header, txn: { type: 'closeSession' } }));
    expect(() => decodeTxnRecord(Buffer.concat([bare, Buffer.from([0, 0, 0, 0])]))).toThrow(KeeperError);
  });
});

describe('digest', () => {
  it('two states applying the same txns have equal digests; a different setData changes it', () => {
    const h = new CoreHarness();
    const workload = new Workload(h, new Rng(77));
    for (let i = 0; i < 100; i++) workload.step();
    workload.finish();
    const other = new ReplicatedState();
    for (const record of h.log) other.apply(record);
    expect(other.tree.digest()).toBe(h.tree.digest());

    const target = [...h.tree.walk()].map(([path]) => path).find((path) => path !== '/') ?? '/';
    const zxid = h.state.lastZxid + 1;
    const setData = (data: Uint8Array): TxnRecord => ({ header: { sessionId: 0, cxid: 0, zxid, time: 5 }, txn: { type: 'setData', path: target, data, version: 99 } });
    h.state.apply(setData(bytes('one')));
    other.apply(setData(bytes('two')));
    expect(other.tree.digest()).not.toBe(h.tree.digest());
  });

  it('covers data, versions, times and paths', () => {
    const base = (): CoreHarness => {
      const h = new CoreHarness();
      h.create('/a', bytes('x'));
      return h;
    };
    const reference = base().tree.digest();
    expect(base().tree.digest()).toBe(reference);
    const variants: ((h: CoreHarness) => void)[] = [
      (h) => h.setData('/a', bytes('x')), // same data, new version and mzxid
      (h) => h.create('/b'),
      (h) => h.run({ op: 'setACL', path: '/a', acl: [...OPEN_ACL_UNSAFE], version: -1 }), // aversion
    ];
    for (const change of variants) {
      const h = base();
      change(h);
      expect(h.tree.digest()).not.toBe(reference);
    }
    const later = new CoreHarness();
    later.clock = 2_000;
    later.create('/a', bytes('x'));
    expect(later.tree.digest()).not.toBe(reference);
    const renamed = new CoreHarness();
    renamed.create('/z', bytes('x'));
    expect(renamed.tree.digest()).not.toBe(reference);
  });
});
