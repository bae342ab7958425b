// Watch registrations and ZooKeeper's trigger rules. A watcher is a number: a session id for
// session channels, or an id the server hands to a stateless watch stream. Pure.

import { mutant } from './mutants.js';
import { ancestorsOf } from './path.js';
import { EventType, KeeperState, WatcherType, type WatchEvent, type Zxid } from './types.js';
import type { WatchTrigger } from './state.js';

export type WatcherId = number;

export interface Notification {
  watcher: WatcherId;
  event: WatchEvent;
  /**
   * Fired only by a persistent or persistent-recursive watch: no READ check happened for this
   * node when the watch was set, so the server checks it before delivering (as ZooKeeper 3.8.4+).
   */
  lasting: boolean;
}

/** path → watchers, and watcher → paths (so a session's watches go when the session does). */
class WatchTable {
  private readonly byPath = new Map<string, Set<WatcherId>>();
  private readonly byWatcher = new Map<WatcherId, Set<string>>();

  add(path: string, watcher: WatcherId): void {
    let watchers = this.byPath.get(path);
    if (watchers === undefined) this.byPath.set(path, (watchers = new Set()));
    watchers.add(watcher);
    let paths = this.byWatcher.get(watcher);
    if (paths === undefined) this.byWatcher.set(watcher, (paths = new Set()));
    paths.add(path);
  }

  has(path: string, watcher: WatcherId): boolean {
    return this.byPath.get(path)?.has(watcher) ?? false;
  }

  watchersOf(path: string): ReadonlySet<WatcherId> | undefined {
    return this.byPath.get(path);
  }

  remove(path: string, watcher: WatcherId): boolean {
    const watchers = this.byPath.get(path);
    if (watchers === undefined || !watchers.delete(watcher)) return false;
    if (watchers.size === 0) this.byPath.delete(path);
    const paths = this.byWatcher.get(watcher)!;
    paths.delete(path);
    if (paths.size === 0) this.byWatcher.delete(watcher);
    return true;
  }

  /** Removes and returns every watcher of a path (one-shot firing). */
  take(path: string): Set<WatcherId> | undefined {
    const watchers = this.byPath.get(path);
    if (watchers === undefined) return undefined;
    this.byPath.delete(path);
    for (const watcher of watchers) {
      const paths = this.byWatcher.get(watcher)!;
      paths.delete(path);
      if (paths.size === 0) this.byWatcher.delete(watcher);
    }
    return watchers;
  }

  removeWatcher(watcher: WatcherId): void {
    const paths = this.byWatcher.get(watcher);
    if (paths === undefined) return;
    for (const path of paths) {
      const watchers = this.byPath.get(path)!;
      watchers.delete(watcher);
      if (watchers.size === 0) this.byPath.delete(path);
    }
    this.byWatcher.delete(watcher);
  }

  pathsOf(watcher: WatcherId): ReadonlySet<string> {
    return this.byWatcher.get(watcher) ?? new Set();
  }

  get pathCount(): number {
    return this.byPath.size;
  }

  get watchCount(): number {
    let total = 0;
    for (const watchers of this.byPath.values()) total += watchers.size;
    return total;
  }

  *entries(): Generator<[string, ReadonlySet<WatcherId>]> {
    yield* this.byPath.entries();
  }
}

export type WatchKind = 'data' | 'child' | 'persistent' | 'persistentRecursive';

export class WatchManager {
  /** One-shot data watches (getData, and exists on an existing or missing node). */
  readonly data = new WatchTable();
  /** One-shot child watches (getChildren). */
  readonly child = new WatchTable();
  readonly persistent = new WatchTable();
  readonly persistentRecursive = new WatchTable();

  add(kind: WatchKind, path: string, watcher: WatcherId): void {
    this.table(kind).add(path, watcher);
  }

  private table(kind: WatchKind): WatchTable {
    switch (kind) {
      case 'data':
        return this.data;
      case 'child':
        return this.child;
      case 'persistent':
        return this.persistent;
      case 'persistentRecursive':
        return this.persistentRecursive;
    }
  }

  /**
   * The events a change fires, at most one per watcher per trigger (a watcher holding a data and
   * a child watch on a deleted node hears NodeDeleted once, as in ZooKeeper).
   */
  trigger(trigger: WatchTrigger, zxid: Zxid): Notification[] {
    const { path, type } = trigger;
    const fired = new Map<WatcherId, boolean>();
    const collect = (watchers: Iterable<WatcherId> | undefined, lasting = false): void => {
      if (watchers !== undefined) for (const watcher of watchers) fired.set(watcher, lasting && (fired.get(watcher) ?? true));
    };
    if (type === EventType.NodeChildrenChanged) {
      collect(this.child.take(path));
    } else {
      collect(this.data.take(path));
      if (type === EventType.NodeDeleted) collect(this.child.take(path));
    }
    collect(mutant('persistentWatchFiresOnce') ? this.persistent.take(path) : this.persistent.watchersOf(path), true);
    // Persistent recursive watches hear about every node of the subtree, but not child-list
    // changes: those are implied by the NodeCreated / NodeDeleted of the child itself.
    if (type !== EventType.NodeChildrenChanged) {
      collect(this.persistentRecursive.watchersOf(path), true);
      for (const ancestor of ancestorsOf(path)) collect(this.persistentRecursive.watchersOf(ancestor), true);
    }
    const event: WatchEvent = { type, state: KeeperState.SyncConnected, path, zxid };
    return [...fired].map(([watcher, lasting]) => ({ watcher, event, lasting }));
  }

  /** Whether a watcher holds a watch of the given ZooKeeper WatcherType on a path. */
  has(path: string, watcher: WatcherId, type: WatcherType): boolean {
    switch (type) {
      case WatcherType.CHILDREN:
        return this.child.has(path, watcher);
      case WatcherType.DATA:
        return this.data.has(path, watcher);
      case WatcherType.PERSISTENT:
        return this.persistent.has(path, watcher);
      case WatcherType.PERSISTENT_RECURSIVE:
        return this.persistentRecursive.has(path, watcher);
      case WatcherType.ANY:
        return (
          this.child.has(path, watcher) ||
          this.data.has(path, watcher) ||
          this.persistent.has(path, watcher) ||
          this.persistentRecursive.has(path, watcher)
        );
    }
  }

  /**
   * removeWatches: returns the removal events to deliver (DataWatchRemoved, ChildWatchRemoved,
   * PersistentWatchRemoved), or null when the watcher had no such watch (NoWatcher).
   */
  remove(path: string, watcher: WatcherId, type: WatcherType, zxid: Zxid): WatchEvent[] | null {
    const removed: EventType[] = [];
    const wants = (t: WatcherType) => type === t || type === WatcherType.ANY;
    if (wants(WatcherType.CHILDREN) && this.child.remove(path, watcher)) removed.push(EventType.ChildWatchRemoved);
    if (wants(WatcherType.DATA) && this.data.remove(path, watcher)) removed.push(EventType.DataWatchRemoved);
    if (wants(WatcherType.PERSISTENT) && this.persistent.remove(path, watcher)) removed.push(EventType.PersistentWatchRemoved);
    if (wants(WatcherType.PERSISTENT_RECURSIVE) && this.persistentRecursive.remove(path, watcher)) removed.push(EventType.PersistentWatchRemoved);
    if (removed.length === 0) return null;
    return [...new Set(removed)].map((eventType) => ({ type: eventType, state: KeeperState.SyncConnected, path, zxid }));
  }

  /** A session or stream went away for good. */
  removeWatcher(watcher: WatcherId): void {
    this.data.removeWatcher(watcher);
    this.child.removeWatcher(watcher);
    this.persistent.removeWatcher(watcher);
    this.persistentRecursive.removeWatcher(watcher);
  }

  get watchCount(): number {
    return this.data.watchCount + this.child.watchCount + this.persistent.watchCount + this.persistentRecursive.watchCount;
  }
}
