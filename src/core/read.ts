// Reads: served from the local tree, never through the log. ACL checks and watch registration
// happen here, identically for every facade. Pure and synchronous.

import { checkACL, redactACL, type AuthId } from './acl.js';
import type { DataTree } from './datatree.js';
import { isKeeperError, keeperError } from './errors.js';
import { validatePath } from './path.js';
import type { WatcherId, WatchManager } from './watches.js';
import {
  EventType,
  KeeperState,
  Perms,
  type MultiReadResult,
  type ReadRequest,
  type Response,
  type SessionId,
  type SetWatchesRequest,
  type WatchEvent,
  type Zxid,
} from './types.js';

export interface ReadContext {
  tree: DataTree;
  watches: WatchManager;
  /** null: a session-less read, which may not leave watches. */
  watcher: WatcherId | null;
  sessionId: SessionId;
  identities: readonly AuthId[];
  superDigest: string | undefined;
}

function requireRead(acl: Parameters<typeof checkACL>[0], path: string, context: ReadContext): void {
  if (!checkACL(acl, Perms.READ, context.identities, context.superDigest)) throw keeperError('NoAuth', path);
}

function registerWatch(context: ReadContext, kind: 'data' | 'child', path: string): void {
  if (context.watcher !== null) context.watches.add(kind, path, context.watcher);
}

export function executeRead(request: ReadRequest, context: ReadContext): Response {
  const tree = context.tree;
  switch (request.op) {
    case 'getData': {
      validatePath(request.path);
      const node = tree.get(request.path);
      if (node === undefined) throw keeperError('NoNode', request.path);
      requireRead(node.acl, request.path, context);
      if (request.watch) registerWatch(context, 'data', request.path);
      return { op: 'getData', data: node.data, stat: node.stat() };
    }
    case 'exists': {
      validatePath(request.path);
      const node = tree.get(request.path);
      // ZooKeeper checks no ACL for exists; a watch on a missing node waits for its creation.
      if (request.watch) registerWatch(context, 'data', request.path);
      return { op: 'exists', stat: node === undefined ? null : node.stat() };
    }
    case 'getChildren': {
      validatePath(request.path);
      const node = tree.get(request.path);
      if (node === undefined) throw keeperError('NoNode', request.path);
      requireRead(node.acl, request.path, context);
      if (request.watch) registerWatch(context, 'child', request.path);
      const children = node.children === null ? [] : [...node.children].sort();
      return { op: 'getChildren', children, stat: node.stat() };
    }
    case 'getACL': {
      validatePath(request.path);
      const node = tree.get(request.path);
      if (node === undefined) throw keeperError('NoNode', request.path);
      const admin = checkACL(node.acl, Perms.ADMIN, context.identities, context.superDigest);
      if (!admin && !checkACL(node.acl, Perms.READ, context.identities, context.superDigest)) throw keeperError('NoAuth', request.path);
      const acl = node.acl.map((entry) => ({ perms: entry.perms, id: { ...entry.id } }));
      return { op: 'getACL', acl: admin ? acl : redactACL(acl), stat: node.stat() };
    }
    case 'getAllChildrenNumber': {
      validatePath(request.path);
      const node = tree.get(request.path);
      if (node === undefined) throw keeperError('NoNode', request.path);
      requireRead(node.acl, request.path, context);
      return { op: 'getAllChildrenNumber', totalNumber: countDescendants(tree, request.path) };
    }
    case 'getEphemerals': {
      const prefix = request.prefixPath;
      if (prefix !== '/') validatePath(prefix);
      const paths = [...tree.ephemeralsOf(context.sessionId)].filter((path) => prefix === '/' || path.startsWith(prefix)).sort();
      return { op: 'getEphemerals', paths };
    }
    case 'multiRead': {
      const results: MultiReadResult[] = request.ops.map((op) => {
        try {
          return executeRead(op, context) as MultiReadResult;
        } catch (error) {
          if (!isKeeperError(error)) throw error;
          return { op: 'error', code: error.code };
        }
      });
      return { op: 'multiRead', results };
    }
  }
}

function countDescendants(tree: DataTree, path: string): number {
  let total = 0;
  const stack = [path];
  while (stack.length > 0) {
    const current = stack.pop()!;
    const node = tree.get(current);
    if (node?.children == null) continue;
    const prefix = current === '/' ? '/' : `${current}/`;
    for (const child of node.children) {
      total++;
      stack.push(prefix + child);
    }
  }
  return total;
}

/**
 * A resuming client re-registers its watches with the last zxid it saw; whatever changed since
 * fires at once (ZooKeeper's DataTree.setWatches), the rest is registered.
 */
export function applySetWatches(request: SetWatchesRequest, tree: DataTree, watches: WatchManager, watcher: WatcherId, zxid: Zxid): WatchEvent[] {
  const events: WatchEvent[] = [];
  const fire = (type: EventType, path: string) => events.push({ type, state: KeeperState.SyncConnected, path, zxid });
  for (const path of request.dataWatches) {
    const node = tree.get(path);
    if (node === undefined) fire(EventType.NodeDeleted, path);
    else if (node.mzxid > request.relativeZxid) fire(EventType.NodeDataChanged, path);
    else watches.add('data', path, watcher);
  }
  for (const path of request.existWatches) {
    if (tree.has(path)) fire(EventType.NodeCreated, path);
    else watches.add('data', path, watcher);
  }
  for (const path of request.childWatches) {
    const node = tree.get(path);
    if (node === undefined) fire(EventType.NodeDeleted, path);
    else if (node.pzxid > request.relativeZxid) fire(EventType.NodeChildrenChanged, path);
    else watches.add('child', path, watcher);
  }
  for (const path of request.persistentWatches) watches.add('persistent', path, watcher);
  for (const path of request.persistentRecursiveWatches) watches.add('persistentRecursive', path, watcher);
  return events;
}
