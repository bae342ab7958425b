// A bounded in-memory history of recent changes, so that an SSE client reconnecting with
// Last-Event-ID gets what it missed. The server records every NodeCreated, NodeDeleted and
// NodeDataChanged of the whole tree, each with the ACLs that decided who could hear of it then;
// NodeChildrenChanged is derived on replay from the creates and deletes of children, exactly as
// ZooKeeper's trigger fires it. A replay holds what the live stream would have delivered to that
// subscriber: the events on nodes it may read (a delete: whose parent it may read). When the
// history no longer reaches back to the client's zxid, replay is refused and the stream starts
// with a "resync" event instead.

import type { EventReaders } from '../../server/facade.js';
import { EventType, KeeperState, type ACL, type WatchEvent, type Zxid } from '../../core/types.js';
import { isAncestorOrSelf, parentOf } from '../../core/path.js';
import { assert } from '../../core/errors.js';

interface Recorded {
  event: WatchEvent;
  readers: EventReaders;
}

/** Whether the subscriber may read a node with this ACL (null: the node was gone, as live delivery lets through). */
export type MayRead = (acl: readonly ACL[] | null) => boolean;

export class WatchHistory {
  private readonly ring: (Recorded | undefined)[];
  private start = 0;
  private length = 0;
  /** Every event with a zxid above this is retained; raised as old events are evicted. */
  private retainedAfter: Zxid;

  constructor(
    readonly capacity: number,
    startZxid: Zxid,
  ) {
    assert(Number.isInteger(capacity) && capacity > 0, 'the watch history holds at least one event');
    this.ring = new Array<Recorded | undefined>(capacity);
    this.retainedAfter = startZxid;
  }

  get size(): number {
    return this.length;
  }

  /** The oldest zxid a client may resume from. */
  get oldestResumableZxid(): Zxid {
    return this.retainedAfter;
  }

  record(event: WatchEvent, readers: EventReaders): void {
    if (this.length === this.capacity) {
      const evicted = (this.ring[this.start] as Recorded).event;
      this.retainedAfter = Math.max(this.retainedAfter, evicted.zxid);
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    this.ring[(this.start + this.length) % this.capacity] = { event, readers };
    this.length++;
  }

  /**
   * The events a persistent watch on `path` would have delivered after `lastZxid` to a
   * subscriber that may read what `mayRead` allows, in order; null when some of them are no
   * longer held.
   */
  replay(lastZxid: Zxid, path: string, recursive: boolean, currentZxid: Zxid, mayRead: MayRead): WatchEvent[] | null {
    if (lastZxid < this.retainedAfter || lastZxid > currentZxid) return null;
    const events: WatchEvent[] = [];
    for (let index = 0; index < this.length; index++) {
      const { event, readers } = this.ring[(this.start + index) % this.capacity] as Recorded;
      if (event.zxid <= lastZxid) continue;
      // As live delivery decides: a delete by the parent's ACL, anything else by the node's.
      const visible = mayRead(event.type === EventType.NodeDeleted ? readers.parent : readers.node);
      if (recursive) {
        if (visible && isAncestorOrSelf(path, event.path)) events.push(event);
        continue;
      }
      if (visible && event.path === path) events.push(event);
      const childListChanged = event.type === EventType.NodeCreated || event.type === EventType.NodeDeleted;
      if (childListChanged && event.path !== '/' && parentOf(event.path) === path && mayRead(readers.parent)) {
        events.push({ type: EventType.NodeChildrenChanged, state: KeeperState.SyncConnected, path, zxid: event.zxid });
      }
    }
    return events;
  }
}
