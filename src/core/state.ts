// The replicated state machine: the tree plus the session table. Applying a txn is deterministic:
// every replica that applies the same txns in zxid order holds the same state and digest.

import { assert, isKeeperError, keeperError } from './errors.js';
import { DataTree, NodeKind, type ZNode } from './datatree.js';
import { mutant } from './mutants.js';
import { joinPath, parentOf } from './path.js';
import {
  CreateMode,
  EventType,
  isTtl,
  type CreateTxn,
  type MultiResult,
  type Response,
  type SessionId,
  type Txn,
  type TxnHeader,
  type TxnRecord,
  type Zxid,
} from './types.js';

export interface SessionInfo {
  timeoutMs: number;
  password: Uint8Array;
}

/** A change that may fire watches: the server's watch manager turns these into events. */
export interface WatchTrigger {
  path: string;
  type: EventType;
}

export interface ApplyResult {
  /** The answer for the client that proposed the txn (undefined for session txns). */
  response: Response | undefined;
  triggers: WatchTrigger[];
}

export function kindOfMode(mode: CreateMode): NodeKind {
  if (mode === CreateMode.CONTAINER) return NodeKind.CONTAINER;
  if (isTtl(mode)) return NodeKind.TTL;
  return NodeKind.NORMAL;
}

export class ReplicatedState {
  readonly tree = new DataTree();
  readonly sessions = new Map<SessionId, SessionInfo>();
  /** zxid of the last applied txn. */
  lastZxid: Zxid = 0;

  apply(record: TxnRecord): ApplyResult {
    const { header, txn } = record;
    // Replays over a fuzzy snapshot may re-apply txns at or below the snapshot's zxid; live
    // application must be strictly increasing.
    assert(header.zxid > this.lastZxid || this.replaying, `zxid ${header.zxid} after ${this.lastZxid}`);
    const triggers: WatchTrigger[] = [];
    let response: Response | undefined;
    try {
      response = this.applyTxn(header, txn, triggers);
    } catch (error) {
      // A replay over a fuzzy snapshot may meet a node the snapshot already saw deleted.
      if (!this.replaying || !isKeeperError(error)) throw error;
    }
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    return { response, triggers };
  }

  /** True while recovery replays the log over a fuzzy snapshot. */
  replaying = false;

  private applyTxn(header: TxnHeader, txn: Txn, triggers: WatchTrigger[]): Response | undefined {
    switch (txn.type) {
      case 'createSession':
        this.sessions.set(header.sessionId, { timeoutMs: txn.timeoutMs, password: txn.password });
        return undefined;
      case 'closeSession':
        this.closeSession(header, txn.paths ?? [], triggers);
        return undefined;
      case 'multi':
        return this.applyMulti(header, txn.txns, triggers);
      case 'error':
        throw keeperError('RuntimeInconsistency', undefined, 'an error txn outside multi');
      default:
        return this.applyOne(header, txn, triggers);
    }
  }

  private applyOne(header: TxnHeader, txn: Exclude<Txn, { type: 'multi' | 'createSession' | 'closeSession' | 'error' }>, triggers: WatchTrigger[]): Response {
    const tree = this.tree;
    switch (txn.type) {
      case 'create': {
        this.applyCreate(header, txn, triggers);
        return { op: 'create', path: txn.path, stat: tree.get(txn.path)!.stat() };
      }
      case 'delete':
      case 'deleteContainer': {
        if (this.deleteNode(txn.path, header.zxid)) {
          triggers.push({ path: txn.path, type: EventType.NodeDeleted });
          triggers.push({ path: parentOf(txn.path), type: EventType.NodeChildrenChanged });
        }
        return { op: 'delete' };
      }
      case 'setData': {
        const node = tree.setData(txn.path, txn.data, txn.version, header.zxid, header.time);
        triggers.push({ path: txn.path, type: EventType.NodeDataChanged });
        return { op: 'setData', stat: statOrThrow(node, txn.path) };
      }
      case 'setACL': {
        const node = tree.setACL(txn.path, txn.acl, txn.version);
        return { op: 'setACL', stat: statOrThrow(node, txn.path) };
      }
      case 'check':
        return { op: 'check' };
    }
  }

  private applyCreate(header: TxnHeader, txn: CreateTxn, triggers: WatchTrigger[]): void {
    const created = this.tree.createNode(txn.path, {
      data: txn.data,
      acl: txn.acl,
      zxid: header.zxid,
      time: header.time,
      ephemeralOwner: txn.ephemeralOwner,
      kind: kindOfMode(txn.mode),
      ttlMs: txn.ttl,
      parentCVersion: txn.parentCVersion,
    });
    if (created) {
      triggers.push({ path: txn.path, type: EventType.NodeCreated });
      triggers.push({ path: parentOf(txn.path), type: EventType.NodeChildrenChanged });
    }
  }

  private applyMulti(header: TxnHeader, txns: readonly Txn[], triggers: WatchTrigger[]): Response {
    const failed = txns.some((t) => t.type === 'error');
    if (failed) {
      // A failed multi changes nothing; its txn only carries the per-op results.
      const results: MultiResult[] = txns.map((t) => ({ op: 'error', code: t.type === 'error' ? t.code : 0 }));
      return { op: 'multi', results };
    }
    const results: MultiResult[] = [];
    for (const sub of mutant('multiDropsLastOp') && txns.length > 1 ? txns.slice(0, -1) : txns) {
      assert(sub.type !== 'multi' && sub.type !== 'createSession' && sub.type !== 'closeSession' && sub.type !== 'error', 'multi holds only node ops');
      try {
        results.push(this.applyOne(header, sub, triggers) as MultiResult);
      } catch (error) {
        // As for a whole txn in apply(): on a replay over a fuzzy snapshot one op may meet a node
        // the snapshot saw deleted; the other ops of the multi must still be applied.
        if (!this.replaying || !isKeeperError(error)) throw error;
        results.push({ op: 'error', code: error.code });
      }
    }
    return { op: 'multi', results };
  }

  /** Removes a node (false when already gone, on a replay). */
  private deleteNode(path: string, zxid: Zxid): boolean {
    if (this.replaying) this.dropLaterDescendants(path, zxid);
    return this.tree.deleteNode(path, zxid);
  }

  /**
   * On a replay over a fuzzy snapshot, a node being deleted may hold children: the snapshot walked
   * them after the node was deleted and re-created. The live tree had no children here at this
   * zxid, so each of them was created later, and later txns of the log create them again. Remove
   * them, deepest first; a replay fires no watches.
   */
  private dropLaterDescendants(path: string, zxid: Zxid): void {
    const node = this.tree.get(path);
    if (node === undefined || node.children === null) return;
    for (const name of [...node.children].sort()) {
      const child = joinPath(path, name);
      this.dropLaterDescendants(child, zxid);
      this.tree.deleteNode(child, zxid);
    }
  }

  /** Deletes the ephemerals prep listed, in that (sorted) order, so events are ordered alike everywhere. */
  private closeSession(header: TxnHeader, paths: readonly string[], triggers: WatchTrigger[]): void {
    const owned = this.tree.ephemeralsOf(header.sessionId);
    const listed = new Set(paths);
    // Live, the list is exactly the session's ephemerals. On a replay some may be gone already
    // (the snapshot missed them), but every one the replayed tree holds must be listed.
    assert(
      [...owned].every((path) => listed.has(path)) && (this.replaying || owned.size === listed.size),
      `closeSession of 0x${header.sessionId.toString(16)} lists its ephemerals`,
    );
    for (const path of paths) {
      // Deleted even when the snapshot lacks the node: its parent's pzxid must still move.
      if (this.deleteNode(path, header.zxid)) {
        triggers.push({ path, type: EventType.NodeDeleted });
        triggers.push({ path: parentOf(path), type: EventType.NodeChildrenChanged });
      }
    }
    this.sessions.delete(header.sessionId);
  }
}

function statOrThrow(node: ZNode | undefined, path: string) {
  if (node === undefined) throw keeperError('NoNode', path);
  return node.stat();
}
