// The client's side of watches, as ZooKeeper's client keeps them (ZKWatchManager): who waits on
// which path for what, which events reach whom, and what to send again (SetWatches) when a
// session is resumed on another connection.

import { EventType, type SetWatchesRequest, type WatchEvent } from '../core/types.js';
import { KeeperError } from '../core/errors.js';
import { EventQueue } from './events.js';

export type OneShotKind = 'data' | 'exist' | 'child';

/** A one-shot watch: the event that fired it, as a promise or an iterator of one. */
export class OneShotWatch implements PromiseLike<WatchEvent>, AsyncIterable<WatchEvent> {
  private settle!: { resolve: (event: WatchEvent) => void; reject: (error: unknown) => void };
  private readonly fired: Promise<WatchEvent>;
  private done = false;

  constructor(
    readonly kind: OneShotKind,
    readonly path: string,
  ) {
    this.fired = new Promise<WatchEvent>((resolve, reject) => (this.settle = { resolve, reject }));
    this.fired.catch(() => undefined); // a caller that never looks at a failed watch is not an error
  }

  get settled(): boolean {
    return this.done;
  }

  fire(event: WatchEvent): void {
    if (this.done) return;
    this.done = true;
    this.settle.resolve(event);
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.settle.reject(error);
  }

  then<A = WatchEvent, B = never>(onFulfilled?: ((event: WatchEvent) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.fired.then(onFulfilled, onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    yield await this.fired;
  }
}

/** A persistent (optionally recursive) watch: every event, as an async iterator, until closed. */
export class PersistentWatch implements AsyncIterable<WatchEvent> {
  private readonly queue: EventQueue<WatchEvent>;

  constructor(
    readonly path: string,
    readonly recursive: boolean,
    private readonly onClose: (watch: PersistentWatch) => Promise<void>,
    capacity?: number,
  ) {
    this.queue = new EventQueue(capacity);
  }

  deliver(event: WatchEvent): void {
    this.queue.push(event);
  }

  fail(error: unknown): void {
    this.queue.fail(error);
  }

  /** Stops the watch (removes it from the server); the iterator ends. */
  async close(): Promise<void> {
    this.queue.end();
    await this.onClose(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return this.queue;
  }
}

/** Which one-shot kinds an event fires (ZooKeeper's client rules). */
function kindsFiredBy(type: EventType): readonly OneShotKind[] {
  switch (type) {
    case EventType.NodeCreated:
    case EventType.NodeDataChanged:
      return ['data', 'exist'];
    case EventType.NodeDeleted:
      return ['data', 'exist', 'child'];
    case EventType.NodeChildrenChanged:
      return ['child'];
    default:
      return [];
  }
}

function isUnder(path: string, ancestor: string): boolean {
  return ancestor === '/' || path === ancestor || path.startsWith(`${ancestor}/`);
}

export class ClientWatches {
  private readonly oneShot: Record<OneShotKind, Map<string, Set<OneShotWatch>>> = { data: new Map(), exist: new Map(), child: new Map() };
  private readonly persistent = new Map<string, Set<PersistentWatch>>();
  private readonly recursive = new Map<string, Set<PersistentWatch>>();

  addOneShot(watch: OneShotWatch): void {
    add(this.oneShot[watch.kind], watch.path, watch);
  }

  removeOneShot(watch: OneShotWatch): void {
    remove(this.oneShot[watch.kind], watch.path, watch);
  }

  addPersistent(watch: PersistentWatch): void {
    add(watch.recursive ? this.recursive : this.persistent, watch.path, watch);
  }

  /** True when it was the last of its kind on the path (the server's watch may go). */
  removePersistent(watch: PersistentWatch): boolean {
    const map = watch.recursive ? this.recursive : this.persistent;
    remove(map, watch.path, watch);
    return !map.has(watch.path);
  }

  /** Hands an event to every watch it concerns; one-shot watches are then gone. */
  dispatch(event: WatchEvent): void {
    for (const kind of kindsFiredBy(event.type)) {
      const watches = this.oneShot[kind].get(event.path);
      if (watches === undefined) continue;
      this.oneShot[kind].delete(event.path);
      for (const watch of watches) watch.fire(event);
    }
    if (event.type === EventType.DataWatchRemoved || event.type === EventType.ChildWatchRemoved || event.type === EventType.PersistentWatchRemoved) return;
    for (const watch of this.persistent.get(event.path) ?? []) watch.deliver(event);
    // A recursive watch hears of nodes, not of child lists (as in ZooKeeper).
    if (event.type === EventType.NodeChildrenChanged) return;
    for (const [path, watches] of this.recursive) if (isUnder(event.path, path)) for (const watch of watches) watch.deliver(event);
  }

  /** What a resumed session must ask the server for again. */
  toSetWatches(relativeZxid: number): SetWatchesRequest | null {
    const request: SetWatchesRequest = {
      op: 'setWatches',
      relativeZxid,
      dataWatches: [...this.oneShot.data.keys()],
      existWatches: [...this.oneShot.exist.keys()],
      childWatches: [...this.oneShot.child.keys()],
      persistentWatches: [...this.persistent.keys()],
      persistentRecursiveWatches: [...this.recursive.keys()],
    };
    const count = request.dataWatches.length + request.existWatches.length + request.childWatches.length + request.persistentWatches.length + request.persistentRecursiveWatches.length;
    return count === 0 ? null : request;
  }

  /** The session is gone: every watch learns why, and none is left. */
  failAll(error: KeeperError): void {
    for (const map of Object.values(this.oneShot)) {
      for (const watches of map.values()) for (const watch of watches) watch.fail(error);
      map.clear();
    }
    for (const map of [this.persistent, this.recursive]) {
      for (const watches of map.values()) for (const watch of watches) watch.fail(error);
      map.clear();
    }
  }

  get size(): number {
    let count = 0;
    for (const map of [...Object.values(this.oneShot), this.persistent, this.recursive]) for (const watches of map.values()) count += watches.size;
    return count;
  }
}

function add<T>(map: Map<string, Set<T>>, path: string, item: T): void {
  let set = map.get(path);
  if (set === undefined) map.set(path, (set = new Set()));
  set.add(item);
}

function remove<T>(map: Map<string, Set<T>>, path: string, item: T): void {
  const set = map.get(path);
  if (set === undefined) return;
  set.delete(item);
  if (set.size === 0) map.delete(path);
}
