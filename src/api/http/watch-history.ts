// A bounded in-memory history of recent changes, so that an SSE client reconnecting with
// Last-Event-ID gets what it missed. The server records every NodeCreated, NodeDeleted and
// NodeDataChanged through one recursive watch on the root; NodeChildrenChanged is derived on
// replay from the creates and deletes of children, exactly as ZooKeeper's trigger fires it.
// When the history no longer reaches back to the client's zxid, replay is refused and the
// stream starts with a "resync" event instead.

import { EventType, KeeperState, type WatchEvent, type Zxid } from '../../core/types.js';
import { isAncestorOrSelf, parentOf } from '../../core/path.js';
import { assert } from '../../core/errors.js';

export class WatchHistory {
  private readonly ring: (WatchEvent | undefined)[];
  private start = 0;
  private length = 0;
  /** Every event with a zxid above this is retained; raised as old events are evicted. */
  private retainedAfter: Zxid;
  /** False when the root could not be watched: no history, every resume is a resync. */
  enabled = true;

  constructor(
    readonly capacity: number,
    startZxid: Zxid,
  ) {
    assert(Number.isInteger(capacity) && capacity > 0, 'the watch history holds at least one event');
    this.ring = new Array<WatchEvent | undefined>(capacity);
    this.retainedAfter = startZxid;
  }

  get size(): number {
    return this.length;
  }

  /** The oldest zxid a client may resume from. */
  get oldestResumableZxid(): Zxid {
    return this.retainedAfter;
  }

  record(event: WatchEvent): void {
    if (this.length === this.capacity) {
      const evicted = this.ring[this.start] as WatchEvent;
      this.retainedAfter = Math.max(this.retainedAfter, evicted.zxid);
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    this.ring[(this.start + this.length) % this.capacity] = event;
    this.length++;
  }

  /**
   * The events a persistent watch on `path` would have delivered after `lastZxid`, in order;
   * null when some of them are no longer held.
   */
  replay(lastZxid: Zxid, path: string, recursive: boolean, currentZxid: Zxid): WatchEvent[] | null {
    if (!this.enabled || lastZxid < this.retainedAfter || lastZxid > currentZxid) return null;
    const events: WatchEvent[] = [];
    for (let index = 0; index < this.length; index++) {
      const event = this.ring[(this.start + index) % this.capacity] as WatchEvent;
      if (event.zxid <= lastZxid) continue;
      if (recursive) {
        if (isAncestorOrSelf(path, event.path)) events.push(event);
        continue;
      }
      if (event.path === path) events.push(event);
      const childListChanged = event.type === EventType.NodeCreated || event.type === EventType.NodeDeleted;
      if (childListChanged && event.path !== '/' && parentOf(event.path) === path) {
        events.push({ type: EventType.NodeChildrenChanged, state: KeeperState.SyncConnected, path, zxid: event.zxid });
      }
    }
    return events;
  }
}
