// Prep: validates a write against the tree plus every change already prepared but not yet
// applied (ZooKeeper's PrepRequestProcessor with its outstanding ChangeRecords), and turns it into
// a txn whose results (sequential names, versions) are decided here. Pure and synchronous.
//
// Quotas (enforceQuota): a create or setData that would take a quota'd subtree over a hard
// limit is refused with QuotaExceeded, as ZooKeeper's checkQuota does. The usage it is checked
// against is the tree's plus that of every change still pending (ZooKeeper checks the applied
// tree alone, so writes in flight together could all pass); in a multi, each op sees the usage
// the ops before it left. Which subtrees have a quota, and their limits, are the applied tree's.

import { checkACL, fixupACL, type AuthId } from './acl.js';
import { NodeKind, UNDELETABLE_PATHS, type DataTree } from './datatree.js';
import { assert, isKeeperError, keeperError, KeeperError } from './errors.js';
import { parentOf, validatePath } from './path.js';
import { dataLengthOf, describeBreach, quotaBreach, type QuotaBreach, type QuotaUsage } from './quota.js';
import { kindOfMode } from './state.js';
import {
  isCreateMode,
  isEphemeral,
  ANY_VERSION,
  isSequential,
  isTtl,
  Perms,
  type ACL,
  type CreateRequest,
  type CreateTxn,
  type Data,
  type MultiOp,
  type MultiResult,
  type MultiSubTxn,
  type SessionId,
  type Txn,
  type WriteRequest,
  type Zxid,
} from './types.js';

/** ZooKeeper's largest TTL: the TTL shares ephemeralOwner's low 56 bits with other flags. */
export const TTL_MAX_MS = 0x00ff_ffff_ffff;

/** What prep needs to know of a node: the tree's node, or a pending change's view of it. */
export interface NodeView {
  version: number;
  cversion: number;
  aversion: number;
  numChildren: number;
  ephemeralOwner: SessionId;
  acl: readonly ACL[];
  kind: NodeKind;
  /** Bytes of data: what a quota's usage changes by when the node goes or its data changes. */
  dataLength: number;
}

interface ChangeRecord {
  zxid: Zxid;
  /** null: the node is deleted by a pending txn. */
  view: NodeView | null;
}

interface UsageRecord {
  zxid: Zxid;
  usage: QuotaUsage;
}

export interface PrepContext {
  sessionId: SessionId;
  identities: readonly AuthId[];
  superDigest: string | undefined;
  /** The zxid the txn will carry. */
  zxid: Zxid;
  maxDataBytes: number;
  extendedTypesEnabled: boolean;
  /** Refuse writes over a hard quota (ZooKeeper's zookeeper.enforceQuota). */
  enforceQuota: boolean;
}

/** A failed multi: answered with per-op results, no txn is made. */
export class MultiFailure {
  constructor(
    readonly results: MultiResult[],
    readonly error: KeeperError,
  ) {}
}

/** The changes one request makes, staged until it is known to succeed as a whole. */
class Overlay {
  /** path → the node as the request leaves it. */
  readonly nodes = new Map<string, ChangeRecord>();
  /** quota subject → its usage as the request leaves it. */
  readonly usage = new Map<string, UsageRecord>();

  get isEmpty(): boolean {
    return this.nodes.size === 0 && this.usage.size === 0;
  }
}

/** Most soft-quota warnings kept for the server to log; later ones are only counted. */
const SOFT_QUOTA_WARNINGS_MAX = 64;

export class Prep {
  private readonly pending = new Overlay();
  /** zxid → paths and quota subjects it changed, in zxid order, so applied changes can be forgotten. */
  private readonly pendingOrder: { zxid: Zxid; paths: string[]; subjects: string[] }[] = [];
  /** Sessions with a closeSession prepared: they may not create anything more. */
  private readonly closing = new Set<SessionId>();
  /** Soft limits passed since the server last took them (ZooKeeper logs a warning for each). */
  private softQuotaWarnings: string[] = [];
  private softQuotaWarningsDropped = 0;

  constructor(private readonly tree: DataTree) {}

  get pendingCount(): number {
    return this.pendingOrder.length;
  }

  isClosing(sessionId: SessionId): boolean {
    return this.closing.has(sessionId);
  }

  /** Validates a write and returns its txn, or throws the KeeperError ZooKeeper would answer. */
  prepare(request: WriteRequest, context: PrepContext): Txn {
    if (request.op === 'multi') {
      const outcome = this.prepareMulti(request.ops, context);
      if (outcome instanceof MultiFailure) throw outcome;
      return outcome;
    }
    const overlay = new Overlay();
    const txn = this.prepareOne(request, context, overlay);
    this.commitOverlay(context.zxid, overlay);
    return txn;
  }

  prepareCloseSession(sessionId: SessionId, zxid: Zxid): Txn {
    const overlay = new Overlay();
    const paths = [...this.ephemeralsOf(sessionId)].sort();
    for (const path of paths) this.stageDelete(path, zxid, overlay);
    this.closing.add(sessionId);
    this.commitOverlay(zxid, overlay);
    return paths.length === 0 ? { type: 'closeSession' } : { type: 'closeSession', paths };
  }

  /** A reaper's removal of an empty container or an expired TTL node; null if it no longer applies. */
  prepareDeleteContainer(path: string, zxid: Zxid): Txn | null {
    // The reaper chose the node from the applied tree. A change still in flight (a new child, a
    // delete and re-create, a setData that restarts a TTL) makes that choice stale: skip it, the
    // next round decides on the applied result.
    if (this.pending.nodes.has(path)) return null;
    const view = this.lookup(path, new Overlay());
    if (view === null || view.numChildren > 0 || view.kind === NodeKind.NORMAL) return null;
    const overlay = new Overlay();
    this.stageDelete(path, zxid, overlay);
    this.commitOverlay(zxid, overlay);
    return { type: 'deleteContainer', path };
  }

  /** Forget pending changes once their txns are applied to the tree. */
  applied(zxid: Zxid, sessionClosed?: SessionId): void {
    while (this.pendingOrder.length > 0 && this.pendingOrder[0]!.zxid <= zxid) {
      const entry = this.pendingOrder.shift()!;
      for (const path of entry.paths) {
        if (this.pending.nodes.get(path)?.zxid === entry.zxid) this.pending.nodes.delete(path);
      }
      for (const subject of entry.subjects) {
        if (this.pending.usage.get(subject)?.zxid === entry.zxid) this.pending.usage.delete(subject);
      }
    }
    if (sessionClosed !== undefined) this.closing.delete(sessionClosed);
  }

  /** Drop every pending change (a leader stepping down; its txns may never commit). */
  reset(): void {
    this.pending.nodes.clear();
    this.pending.usage.clear();
    this.pendingOrder.length = 0;
    this.closing.clear();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The soft quota limits writes passed since the last call, as messages for the server's log
   * (prep does no I/O), and how many more there were than it kept.
   */
  takeSoftQuotaWarnings(): { warnings: string[]; dropped: number } {
    const taken = { warnings: this.softQuotaWarnings, dropped: this.softQuotaWarningsDropped };
    this.softQuotaWarnings = [];
    this.softQuotaWarningsDropped = 0;
    return taken;
  }

  // -------------------------------------------------------------------------------------------

  private commitOverlay(zxid: Zxid, overlay: Overlay): void {
    if (overlay.isEmpty) return;
    for (const [path, record] of overlay.nodes) this.pending.nodes.set(path, { zxid, view: record.view });
    for (const [subject, record] of overlay.usage) this.pending.usage.set(subject, { zxid, usage: record.usage });
    this.pendingOrder.push({ zxid, paths: [...overlay.nodes.keys()], subjects: [...overlay.usage.keys()] });
  }

  private lookup(path: string, overlay: Overlay): NodeView | null {
    const staged = overlay.nodes.get(path) ?? this.pending.nodes.get(path);
    if (staged !== undefined) return staged.view;
    const node = this.tree.get(path);
    if (node === undefined) return null;
    return {
      version: node.version,
      cversion: node.cversion,
      aversion: node.aversion,
      numChildren: node.numChildren,
      ephemeralOwner: node.ephemeralOwner,
      acl: node.acl,
      kind: node.kind,
      dataLength: dataLengthOf(node.data),
    };
  }

  private stage(path: string, view: NodeView | null, zxid: Zxid, overlay: Overlay): void {
    overlay.nodes.set(path, { zxid, view });
  }

  private stageDelete(path: string, zxid: Zxid, overlay: Overlay): void {
    const parentPath = parentOf(path);
    const parent = this.lookup(parentPath, overlay);
    const node = this.lookup(path, overlay);
    assert(parent !== null, `parent of ${path} exists`);
    assert(node !== null, `${path} exists when its delete is prepared`);
    this.stage(parentPath, { ...parent, numChildren: parent.numChildren - 1 }, zxid, overlay);
    this.stage(path, null, zxid, overlay);
    this.stageQuotaChange(path, -1, -node.dataLength, zxid, overlay);
  }

  // -------------------------------------------------------------------------------------------
  // Quotas

  /** A quota's usage as the applied tree, the pending changes and this request's earlier ops leave it. */
  private lookupUsage(subject: string, overlay: Overlay): QuotaUsage {
    const staged = overlay.usage.get(subject) ?? this.pending.usage.get(subject);
    return staged !== undefined ? staged.usage : this.tree.quotaUsageOf(subject);
  }

  /** Stages what a change under `path` does to its quota's usage; returns the breach it makes, if any. */
  private stageQuotaChange(path: string, countDelta: number, bytesDelta: number, zxid: Zxid, overlay: Overlay): QuotaBreach | null {
    const subject = this.tree.quotaSubjectOf(path);
    if (subject === null || (countDelta === 0 && bytesDelta === 0)) return null;
    const before = this.lookupUsage(subject, overlay);
    const after = { count: before.count + countDelta, bytes: before.bytes + bytesDelta };
    overlay.usage.set(subject, { zxid, usage: after });
    return quotaBreach(subject, this.tree.quotaLimitsOf(subject), before, after);
  }

  /**
   * With enforceQuota, refuses a change that takes a quota over a hard limit and notes one over a
   * soft limit; without it, only keeps the usage (ZooKeeper checks nothing then, warns of nothing).
   * Staging before refusing is harmless: a refused request's overlay is dropped.
   */
  private requireWithinQuota(path: string, countDelta: number, bytesDelta: number, context: PrepContext, overlay: Overlay): void {
    const breach = this.stageQuotaChange(path, countDelta, bytesDelta, context.zxid, overlay);
    if (breach === null || !context.enforceQuota) return;
    if (breach.hard) throw keeperError('QuotaExceeded', path, describeBreach(breach));
    if (this.softQuotaWarnings.length < SOFT_QUOTA_WARNINGS_MAX) this.softQuotaWarnings.push(`${describeBreach(breach)} (by ${path}); allowed`);
    else this.softQuotaWarningsDropped++;
  }

  private ephemeralsOf(sessionId: SessionId): Set<string> {
    const paths = new Set(this.tree.ephemeralsOf(sessionId));
    // The newest pending view of a path decides: deleted, or re-created with another owner, it is
    // no longer the session's.
    for (const [path, record] of this.pending.nodes) {
      if (record.view !== null && record.view.ephemeralOwner === sessionId) paths.add(path);
      else paths.delete(path);
    }
    return paths;
  }

  private requireNode(path: string, overlay: Overlay): NodeView {
    const view = this.lookup(path, overlay);
    if (view === null) throw keeperError('NoNode', path);
    return view;
  }

  private requirePermission(view: NodeView, perm: number, path: string, context: PrepContext): void {
    if (!checkACL(view.acl, perm, context.identities, context.superDigest)) throw keeperError('NoAuth', path);
  }

  private requireVersion(expected: number, actual: number, path: string): void {
    if (expected !== ANY_VERSION && expected !== actual) throw keeperError('BadVersion', path);
  }

  private requireDataSize(data: Data, path: string, context: PrepContext): void {
    if (data !== null && data.length > context.maxDataBytes) {
      throw keeperError('BadArguments', path, `data of ${data.length} bytes for ${path} exceeds jute.maxbuffer (${context.maxDataBytes} bytes)`);
    }
  }

  private prepareOne(request: WriteRequest, context: PrepContext, overlay: Overlay): Txn {
    switch (request.op) {
      case 'create':
        return this.prepareCreate(request, context, overlay);
      case 'delete': {
        validatePath(request.path);
        if (UNDELETABLE_PATHS.has(request.path)) throw keeperError('BadArguments', request.path, `${request.path} is a system node and cannot be deleted`);
        // ZooKeeper checks DELETE on the parent before looking for the node: without it, a caller
        // learns nothing about which children exist.
        const parent = this.requireNode(parentOf(request.path), overlay);
        this.requirePermission(parent, Perms.DELETE, request.path, context);
        const node = this.requireNode(request.path, overlay);
        this.requireVersion(request.version, node.version, request.path);
        if (node.numChildren > 0) throw keeperError('NotEmpty', request.path);
        this.stageDelete(request.path, context.zxid, overlay);
        return { type: 'delete', path: request.path };
      }
      case 'setData': {
        validatePath(request.path);
        this.requireDataSize(request.data, request.path, context);
        const node = this.requireNode(request.path, overlay);
        this.requirePermission(node, Perms.WRITE, request.path, context);
        // ZooKeeper checks the quota before the version.
        const dataLength = dataLengthOf(request.data);
        this.requireWithinQuota(request.path, 0, dataLength - node.dataLength, context, overlay);
        this.requireVersion(request.version, node.version, request.path);
        const version = node.version + 1;
        this.stage(request.path, { ...node, version, dataLength }, context.zxid, overlay);
        return { type: 'setData', path: request.path, data: request.data, version };
      }
      case 'setACL': {
        validatePath(request.path);
        const acl = fixupACL(request.path, context.identities, request.acl);
        const node = this.requireNode(request.path, overlay);
        this.requirePermission(node, Perms.ADMIN, request.path, context);
        this.requireVersion(request.version, node.aversion, request.path);
        const aversion = node.aversion + 1;
        this.stage(request.path, { ...node, aversion, acl }, context.zxid, overlay);
        return { type: 'setACL', path: request.path, acl, version: aversion };
      }
      case 'check': {
        validatePath(request.path);
        const node = this.requireNode(request.path, overlay);
        this.requirePermission(node, Perms.READ, request.path, context);
        this.requireVersion(request.version, node.version, request.path);
        return { type: 'check', path: request.path, version: node.version };
      }
      case 'multi':
        throw keeperError('BadArguments', undefined, 'a multi cannot hold another multi');
    }
  }

  private prepareCreate(request: CreateRequest, context: PrepContext, overlay: Overlay): CreateTxn {
    const mode = request.mode;
    if (!isCreateMode(mode)) throw keeperError('BadArguments', request.path, `unknown create mode ${String(mode)}`);
    const ttl = request.ttl ?? 0;
    if (isTtl(mode)) {
      if (!context.extendedTypesEnabled) throw keeperError('Unimplemented', request.path, 'TTL nodes need extendedTypesEnabled=true');
      if (!Number.isInteger(ttl) || ttl <= 0 || ttl > TTL_MAX_MS) throw keeperError('BadArguments', request.path, `TTL ${ttl} ms is outside 1..${TTL_MAX_MS}`);
    } else if (ttl !== 0 && ttl !== -1) {
      throw keeperError('BadArguments', request.path, `a TTL is only valid with a TTL create mode`);
    }
    const sequential = isSequential(mode);
    validatePath(request.path, sequential);
    this.requireDataSize(request.data, request.path, context);
    const acl = fixupACL(request.path, context.identities, request.acl);
    const parentPath = parentOf(request.path);
    const parent = this.requireNode(parentPath, overlay);
    this.requirePermission(parent, Perms.CREATE, request.path, context);
    const path = sequential ? request.path + sequenceSuffix(parent.cversion) : request.path;
    if (sequential) validatePath(path);
    if (this.lookup(path, overlay) !== null) throw keeperError('NodeExists', path);
    if (parent.ephemeralOwner !== 0) throw keeperError('NoChildrenForEphemerals', path);
    const ephemeral = isEphemeral(mode);
    if (ephemeral && this.closing.has(context.sessionId)) throw keeperError('SessionExpired', path);
    const dataLength = dataLengthOf(request.data);
    this.requireWithinQuota(path, 1, dataLength, context, overlay);
    const parentCVersion = parent.cversion + 1;
    this.stage(parentPath, { ...parent, cversion: parentCVersion, numChildren: parent.numChildren + 1 }, context.zxid, overlay);
    const ephemeralOwner = ephemeral ? context.sessionId : 0;
    this.stage(path, { version: 0, cversion: 0, aversion: 0, numChildren: 0, ephemeralOwner, acl, kind: kindOfMode(mode), dataLength }, context.zxid, overlay);
    return { type: 'create', path, data: request.data, acl, ephemeralOwner, parentCVersion, mode, ttl: isTtl(mode) ? ttl : 0 };
  }

  /** All or nothing: on the first failure, per-op results as ZooKeeper reports them. */
  private prepareMulti(ops: readonly MultiOp[], context: PrepContext): Txn | MultiFailure {
    const overlay = new Overlay();
    const txns: MultiSubTxn[] = [];
    for (let index = 0; index < ops.length; index++) {
      try {
        const txn = this.prepareOne(ops[index]!, context, overlay);
        assert(txn.type === 'create' || txn.type === 'delete' || txn.type === 'setData' || txn.type === 'check', 'multi holds only node ops');
        txns.push(txn);
      } catch (error) {
        if (!isKeeperError(error)) throw error;
        const results: MultiResult[] = ops.map((_, i) => ({
          op: 'error',
          code: i < index ? 0 : i === index ? error.code : -2, // Ok before, RuntimeInconsistency after
        }));
        return new MultiFailure(results, error);
      }
    }
    this.commitOverlay(context.zxid, overlay);
    return { type: 'multi', txns };
  }
}

/** ZooKeeper's sequential suffix: the parent's cversion, 10 digits, zero-padded. */
export function sequenceSuffix(counter: number): string {
  // ZooKeeper formats a signed 32-bit int with %010d; past 2^31-1 it wraps negative.
  const wrapped = counter | 0;
  return wrapped < 0 ? `-${String(-wrapped).padStart(9, '0')}` : String(wrapped).padStart(10, '0');
}
