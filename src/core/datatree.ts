// The znode tree: one owner for nodes, their parent/child links, and the indexes the server needs
// (ephemerals by session, containers, TTL nodes). Pure and synchronous. Mutations are idempotent
// where a replay over a fuzzy snapshot needs them to be: they set absolute values from the txn.

import { crc32 } from 'node:zlib';
import { assert, keeperError } from './errors.js';
import type { ACL, Data, SessionId, Stat, Zxid } from './types.js';
import { basename, parentOf } from './path.js';

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
    this.insert(path, new ZNode({ ...init, acl: this.acls.intern(init.acl) }));
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
    return true;
  }

  setData(path: string, data: Data, version: number, zxid: Zxid, time: number): ZNode | undefined {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    this.change(path, node, (n) => {
      n.data = data;
      n.version = version;
      n.mzxid = zxid;
      n.mtime = time;
    });
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
      this.change(path, existing, copyInto);
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
  }
}
