// The znode tree: one owner for nodes, their parent/child links, and the indexes the server needs
// (ephemerals by session, containers, TTL nodes). Pure and synchronous. Mutations are idempotent
// where a replay over a fuzzy snapshot needs them to be: they set absolute values from the txn.

import { crc32 } from 'node:zlib';
import { assert, keeperError } from './errors.js';
import type { ACL, Data, SessionId, Stat, Zxid } from './types.js';
import { basename, joinPath, parentOf } from './path.js';
import {
  dataLengthOf,
  formatQuotaUsage,
  limitsPathOf,
  parseQuotaLimits,
  QuotaUsageTable,
  STATS_NODE,
  statsPathOf,
  subjectOfAnyQuotaNode,
  subjectOfQuotaNode,
  type QuotaLimits,
  type QuotaUsage,
} from './quota.js';

/** What kind of node this is beyond ephemeral/persistent: drives server-side reaping. */
export const SYSTEM_ROOT = '/zookeeper';

/** Nodes no client may delete (ZooKeeper answers BadArguments before looking at ACLs). */
export const UNDELETABLE_PATHS: ReadonlySet<string> = new Set(['/', SYSTEM_ROOT, `${SYSTEM_ROOT}/quota`, `${SYSTEM_ROOT}/config`]);

export const NodeKind = {
  NORMAL: 0,
  CONTAINER: 1,
  TTL: 2,
} as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

/** One znode. Stat fields live inline (one object per node keeps 1M nodes affordable). */
export class ZNode {
  data: Data;
  acl: readonly ACL[];
  czxid: Zxid;
  mzxid: Zxid;
  pzxid: Zxid;
  ctime: number;
  mtime: number;
  version = 0;
  /**
   * The number of children ever created under this node: the sequential-suffix counter. Clients
   * see `2 * cversion - numChildren` (creates plus deletes), as ZooKeeper 3.8 reports it —
   * observed on a real 3.8.0: three sequential creates and a delete show cversion 4, and the
   * next sequential child gets suffix 3.
   */
  cversion = 0;
  aversion = 0;
  ephemeralOwner: SessionId;
  kind: NodeKind;
  ttlMs: number;
  /** Child names; null while the node has never had a child (most nodes are leaves). */
  children: Set<string> | null = null;
  /** Digest contribution of this node, kept so that a change can subtract it. */
  digest = 0;

  constructor(init: { data: Data; acl: readonly ACL[]; zxid: Zxid; time: number; ephemeralOwner: SessionId; kind: NodeKind; ttlMs: number }) {
    this.data = init.data;
    this.acl = init.acl;
    this.czxid = init.zxid;
    this.mzxid = init.zxid;
    this.pzxid = init.zxid;
    this.ctime = init.time;
    this.mtime = init.time;
    this.ephemeralOwner = init.ephemeralOwner;
    this.kind = init.kind;
    this.ttlMs = init.ttlMs;
  }

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }

  stat(): Stat {
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: this.cversion * 2 - this.numChildren,
      aversion: this.aversion,
      ephemeralOwner: this.ephemeralOwner,
      dataLength: this.data === null ? 0 : this.data.length,
      numChildren: this.numChildren,
      pzxid: this.pzxid,
    };
  }
}

/** The bits of a node that the digest covers: everything a client can observe. */
function nodeDigest(path: string, node: ZNode): number {
  let hash = crc32(path);
  if (node.data !== null) hash = crc32(node.data, hash);
  const fields = new Float64Array([
    node.czxid,
    node.mzxid,
    node.pzxid,
    node.ctime,
    node.mtime,
    node.version,
    node.cversion,
    node.aversion,
    node.ephemeralOwner,
    node.data === null ? -1 : node.data.length,
  ]);
  return crc32(new Uint8Array(fields.buffer), hash);
}

const DIGEST_MODULUS = 2 ** 48;

/** Interns ACL lists: most nodes share a handful, as ZooKeeper's ReferenceCountedACLCache does. */
class AclInterner {
  private readonly lists = new Map<string, readonly ACL[]>();

  intern(acl: readonly ACL[]): readonly ACL[] {
    const key = acl.map((entry) => `${entry.perms}|${entry.id.scheme}|${entry.id.id}`).join('\n');
    let shared = this.lists.get(key);
    if (shared === undefined) {
      shared = Object.freeze(acl.map((entry) => Object.freeze({ perms: entry.perms, id: Object.freeze({ ...entry.id }) })));
      this.lists.set(key, shared);
    }
    return shared;
  }
}

export class DataTree {
  private readonly nodes = new Map<string, ZNode>();
  private readonly acls = new AclInterner();
  /** session id → paths of its ephemerals */
  private readonly ephemeralsBySession = new Map<SessionId, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttlNodes = new Set<string>();
  /** Usage of every subtree with a quota (a limits node), kept as nodes change (ZooKeeper's pTrie and stats). */
  private readonly quotas = new QuotaUsageTable();
  private digestSum = 0;

  constructor() {
    this.seedSystemNodes();
  }

  /**
   * The root and ZooKeeper's system nodes, as a fresh ZooKeeper 3.8 shows them: zero zxids and
   * times, empty data, open ACLs except /zookeeper/config (world:anyone read, aversion -1), and
   * creation counters of 0 (so the root shows cversion -1 and /zookeeper -2).
   */
  private seedSystemNodes(): void {
    const open = this.acls.intern([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
    const readOnly = this.acls.intern([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
    const make = (acl: readonly ACL[]) => new ZNode({ data: new Uint8Array(0), acl, zxid: 0, time: 0, ephemeralOwner: 0, kind: NodeKind.NORMAL, ttlMs: 0 });
    const config = make(readOnly);
    config.aversion = -1;
    const nodes: [string, ZNode][] = [
      ['/', make(open)],
      [SYSTEM_ROOT, make(open)],
      [`${SYSTEM_ROOT}/quota`, make(open)],
      [`${SYSTEM_ROOT}/config`, config],
    ];
    for (const [path, node] of nodes) {
      if (path !== '/') {
        const parent = this.nodes.get(parentOf(path))!;
        if (parent.children === null) parent.children = new Set();
        parent.children.add(basename(path));
      }
      this.insert(path, node);
    }
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The digest of every node (order-independent sum), equal on replicas that applied the same txns. */
  digest(): number {
    return this.digestSum;
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  internAcl(acl: readonly ACL[]): readonly ACL[] {
    return this.acls.intern(acl);
  }

  ephemeralsOf(sessionId: SessionId): ReadonlySet<string> {
    return this.ephemeralsBySession.get(sessionId) ?? new Set();
  }

  sessionsWithEphemerals(): IterableIterator<SessionId> {
    return this.ephemeralsBySession.keys();
  }

  /** Every (path, node), parents before children (for snapshots and checks). */
  *walk(): Generator<[string, ZNode]> {
    const stack: string[] = ['/'];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (node === undefined) continue; // removed while a snapshot was walking: fuzzy by design
      yield [path, node];
      if (node.children !== null) {
        const prefix = path === '/' ? '/' : `${path}/`;
        for (const child of node.children) stack.push(prefix + child);
      }
    }
  }

  /** Runs a mutation of one node, keeping the digest in step. */
  private change(path: string, node: ZNode, mutate: (node: ZNode) => void): void {
    this.digestSum = (this.digestSum - node.digest + DIGEST_MODULUS) % DIGEST_MODULUS;
    mutate(node);
    node.digest = nodeDigest(path, node);
    this.digestSum = (this.digestSum + node.digest) % DIGEST_MODULUS;
  }

  private insert(path: string, node: ZNode): void {
    node.digest = nodeDigest(path, node);
    this.digestSum = (this.digestSum + node.digest) % DIGEST_MODULUS;
    this.nodes.set(path, node);
    if (node.ephemeralOwner !== 0) {
      let owned = this.ephemeralsBySession.get(node.ephemeralOwner);
      if (owned === undefined) {
        owned = new Set();
        this.ephemeralsBySession.set(node.ephemeralOwner, owned);
      }
      owned.add(path);
    }
    if (node.kind === NodeKind.CONTAINER) this.containers.add(path);
    if (node.kind === NodeKind.TTL) this.ttlNodes.add(path);
  }

  /**
   * Adds a node under an existing parent. Returns false (and changes nothing) when it already
   * exists — a replay over a fuzzy snapshot meets nodes it created before.
   */
  createNode(
    path: string,
    init: { data: Data; acl: readonly ACL[]; zxid: Zxid; time: number; ephemeralOwner: SessionId; kind: NodeKind; ttlMs: number; parentCVersion: number },
  ): boolean {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) throw keeperError('NoNode', parentPath);
    const exists = this.nodes.has(path);
    // On a replay over a fuzzy snapshot the child may be in the snapshot while its parent was
    // written before the create: bring the parent forward either way (both fields only grow).
    this.change(parentPath, parent, (p) => {
      if (!exists) {
        if (p.children === null) p.children = new Set();
        p.children.add(basename(path));
      }
      if (init.parentCVersion > p.cversion) p.cversion = init.parentCVersion;
      if (init.zxid > p.pzxid) p.pzxid = init.zxid;
    });
    if (exists) return false;
    const node = new ZNode({ ...init, acl: this.acls.intern(init.acl) });
    this.insert(path, node);
    this.accountAdded(path, node);
    return true;
  }

  /** Removes a leaf node. Returns false when it is already gone (replay). */
  deleteNode(path: string, zxid: Zxid): boolean {
    const node = this.nodes.get(path);
    if (node === undefined) {
      // Replay: the node is gone from the snapshot, but its parent may have been written before.
      const parent = this.nodes.get(parentOf(path));
      if (parent !== undefined && zxid > parent.pzxid) this.change(parentOf(path), parent, (p) => (p.pzxid = zxid));
      return false;
    }
    assert(path !== '/', 'the root is never deleted');
    assert(node.numChildren === 0, `deleting ${path} which has children`);
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    assert(parent !== undefined, `parent of ${path} exists`);
    this.digestSum = (this.digestSum - node.digest + DIGEST_MODULUS) % DIGEST_MODULUS;
    this.nodes.delete(path);
    if (node.ephemeralOwner !== 0) {
      const owned = this.ephemeralsBySession.get(node.ephemeralOwner);
      owned?.delete(path);
      if (owned !== undefined && owned.size === 0) this.ephemeralsBySession.delete(node.ephemeralOwner);
    }
    this.containers.delete(path);
    this.ttlNodes.delete(path);
    this.change(parentPath, parent, (p) => {
      p.children!.delete(basename(path));
      if (zxid > p.pzxid) p.pzxid = zxid;
    });
    this.accountRemoved(path, node);
    return true;
  }

  setData(path: string, data: Data, version: number, zxid: Zxid, time: number): ZNode | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    const lengthBefore = dataLengthOf(node.data);
    this.change(path, node, (n) => {
      n.data = data;
      n.version = version;
      n.mzxid = zxid;
      n.mtime = time;
    });
    this.accountDataChanged(path, lengthBefore, dataLengthOf(data));
    return node;
  }

  setACL(path: string, acl: readonly ACL[], aversion: number): ZNode | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    const shared = this.acls.intern(acl);
    this.change(path, node, (n) => {
      n.acl = shared;
      n.aversion = aversion;
    });
    return node;
  }

  /** Restores a node verbatim from a snapshot (parents arrive before children). */
  restoreNode(path: string, fields: Omit<ZNode, 'children' | 'digest' | 'numChildren' | 'stat'>): void {
    const copyInto = (node: ZNode) => {
      node.data = fields.data;
      node.acl = this.acls.intern(fields.acl);
      node.czxid = fields.czxid;
      node.mzxid = fields.mzxid;
      node.pzxid = fields.pzxid;
      node.ctime = fields.ctime;
      node.mtime = fields.mtime;
      node.version = fields.version;
      node.cversion = fields.cversion;
      node.aversion = fields.aversion;
    };
    const existing = this.nodes.get(path);
    if (existing !== undefined) {
      // The root and the system nodes exist from the start; the snapshot's copy wins.
      const lengthBefore = dataLengthOf(existing.data);
      this.change(path, existing, copyInto);
      this.accountDataChanged(path, lengthBefore, dataLengthOf(existing.data));
      return;
    }
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    assert(parent !== undefined, `snapshot lists ${path} before its parent`);
    const node = new ZNode({ data: null, acl: [], zxid: 0, time: 0, ephemeralOwner: fields.ephemeralOwner, kind: fields.kind, ttlMs: fields.ttlMs });
    copyInto(node);
    if (parent.children === null) parent.children = new Set();
    parent.children.add(basename(path)); // child names are not part of the digest
    this.insert(path, node);
    // A snapshot lists nodes in no particular order: a subtree's nodes may come before or after
    // its limits node, and whichever comes later finds the other counted.
    this.accountAdded(path, node);
  }

  // -------------------------------------------------------------------------------------------
  // Quotas. Applying a txn keeps every quota'd subtree's usage, and its stats node's data, equal
  // to what counting the subtree would give, so replicas, snapshots and replays all agree. A
  // subtree is quota'd while its mirror holds a limits or a stats node: were a stats node without
  // limits left as it was (ZooKeeper's is), its data would depend on the history of the tree, and
  // a replay over a fuzzy snapshot passes through other trees than the live one did.

  /** The quota `path` counts toward (the deepest quota'd path at or above it), or null. */
  quotaSubjectOf(path: string): string | null {
    return this.quotas.subjectOf(path);
  }

  quotaUsageOf(subject: string): QuotaUsage {
    return this.quotas.usageOf(subject);
  }

  /** The limits a quota's limits node sets now. */
  quotaLimitsOf(subject: string): QuotaLimits {
    return parseQuotaLimits(this.nodes.get(limitsPathOf(subject))?.data ?? null);
  }

  quotaSubjects(): string[] {
    return [...this.quotas.subjects()].sort();
  }

  /**
   * Counts a subject's subtree: its nodes and data bytes, leaving out the subtrees of deeper
   * quotas (whose nodes count toward those). What the kept usage must always equal.
   */
  measureQuotaUsage(subject: string): QuotaUsage {
    let count = 0;
    let bytes = 0;
    const stack = [subject];
    while (stack.length > 0) {
      const path = stack.pop()!;
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      count++;
      bytes += dataLengthOf(node.data);
      if (node.children === null) continue;
      for (const name of node.children) {
        const child = joinPath(path, name);
        if (!this.quotas.has(child)) stack.push(child);
      }
    }
    return { count, bytes };
  }

  private hasQuotaNodes(subject: string): boolean {
    return this.nodes.has(limitsPathOf(subject)) || this.nodes.has(statsPathOf(subject));
  }

  private accountAdded(path: string, node: ZNode): void {
    const subject = subjectOfAnyQuotaNode(path);
    if (subject === null) return this.countTowardQuota(path, 1, dataLengthOf(node.data));
    if (!this.quotas.has(subject)) this.startQuota(subject);
    this.writeQuotaStats(subject);
  }

  private accountRemoved(path: string, node: ZNode): void {
    const subject = subjectOfAnyQuotaNode(path);
    if (subject === null) return this.countTowardQuota(path, -1, -dataLengthOf(node.data));
    if (!this.hasQuotaNodes(subject)) this.endQuota(subject);
  }

  private accountDataChanged(path: string, lengthBefore: number, lengthAfter: number): void {
    // A stats node shows the usage whatever a client wrote into it (ZooKeeper's would show the
    // client's text until the next change under the quota).
    const subject = subjectOfQuotaNode(path, STATS_NODE);
    if (subject !== null) return this.writeQuotaStats(subject);
    if (lengthAfter !== lengthBefore) this.countTowardQuota(path, 0, lengthAfter - lengthBefore);
  }

  private countTowardQuota(path: string, countDelta: number, bytesDelta: number): void {
    const subject = this.quotas.subjectOf(path);
    if (subject === null) return;
    this.quotas.adjust(subject, countDelta, bytesDelta);
    this.writeQuotaStats(subject);
  }

  /** A subject's first quota node appeared: its subtree's nodes now count toward it, no longer toward an outer quota. */
  private startQuota(subject: string): void {
    assert(!this.quotas.has(subject), `${subject} starts its quota once`);
    const usage = this.measureQuotaUsage(subject);
    const outer = this.quotas.subjectOf(subject);
    if (outer !== null) {
      this.quotas.adjust(outer, -usage.count, -usage.bytes);
      this.writeQuotaStats(outer);
    }
    this.quotas.set(subject, usage);
    this.writeQuotaStats(subject);
  }

  /** A subject's last quota node went: its subtree's nodes count toward the outer quota again, if any. */
  private endQuota(subject: string): void {
    const usage = this.quotas.remove(subject);
    const outer = this.quotas.subjectOf(subject);
    if (outer !== null) {
      this.quotas.adjust(outer, usage.count, usage.bytes);
      this.writeQuotaStats(outer);
    }
  }

  /** Rewrites a stats node's data with the usage (no version or mzxid change, as ZooKeeper's updateQuotaStat). */
  private writeQuotaStats(subject: string): void {
    const path = statsPathOf(subject);
    const node = this.nodes.get(path);
    if (node === undefined) return;
    const data = formatQuotaUsage(this.quotas.usageOf(subject));
    this.change(path, node, (n) => (n.data = data));
  }
}
