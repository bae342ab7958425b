// Who hears of a change. The watch table (core/watches.ts) says which watchers a change sets off;
// this delivers each event to the session channel or the stateless watch stream (REST, SSE) that
// set the watch, and lets a persistent watch tell only a watcher that may read the node.

import { checkACL, type AuthId } from '../core/acl.js';
import { keeperError } from '../core/errors.js';
import { parentOf, validatePath } from '../core/path.js';
import type { WatchTrigger } from '../core/state.js';
import { EventType, Perms, type SessionId, type WatchEvent, type Zxid } from '../core/types.js';
import type { WatcherId, WatchManager } from '../core/watches.js';
import type { EventReaders, SessionSink, Unsubscribe } from './facade.js';
import type { Current } from './pipeline.js';

/** What delivery needs of a session's channel. */
export interface SessionListener {
  readonly sink: SessionSink | null;
  readonly identities: readonly AuthId[];
}

interface StatelessWatcher {
  identities: readonly AuthId[];
  onEvent: (event: WatchEvent) => void;
}

/** A watcher of every change, told with each who may hear of it (the SSE history). */
type ChangeRecorder = (event: WatchEvent, readers: EventReaders) => void;

export interface WatchDeliveryOptions {
  current: Pick<Current, 'state'>;
  watches: WatchManager;
  superDigest: string | undefined;
  /** The channel of a session attached to this server. */
  channelOf: (sessionId: SessionId) => SessionListener | undefined;
}

export class WatchDelivery {
  private readonly statelessWatchers = new Map<WatcherId, StatelessWatcher>();
  private readonly recorders = new Map<WatcherId, ChangeRecorder>();
  private nextStatelessWatcher = -1;
  private readonly current: Pick<Current, 'state'>;
  private readonly watches: WatchManager;
  private readonly superDigest: string | undefined;
  private readonly channelOf: (sessionId: SessionId) => SessionListener | undefined;

  constructor(options: WatchDeliveryOptions) {
    this.current = options.current;
    this.watches = options.watches;
    this.superDigest = options.superDigest;
    this.channelOf = options.channelOf;
  }

  /** Tells every watch this change sets off; one-shot watches are used up. */
  fire(trigger: WatchTrigger, zxid: Zxid): void {
    for (const notification of this.watches.trigger(trigger, zxid)) {
      const recorder = this.recorders.get(notification.watcher);
      if (recorder !== undefined) {
        recorder(notification.event, this.readersOf(notification.event.path));
        continue;
      }
      if (notification.lasting && !this.mayHear(notification.watcher, notification.event)) continue;
      this.deliver(notification.watcher, notification.event);
    }
  }

  /** A session's watcher id is its session id; stateless watchers count down from -1. */
  deliver(watcher: WatcherId, event: WatchEvent): void {
    if (watcher > 0) this.channelOf(watcher)?.sink?.onEvent(event);
    else this.statelessWatchers.get(watcher)?.onEvent(event);
  }

  /**
   * A persistent watch reports changes anywhere under its path: the watcher hears of a node only
   * if it may read it (a deleted node: if it may list its parent, which would show the name).
   */
  private mayHear(watcher: WatcherId, event: WatchEvent): boolean {
    const identities = watcher > 0 ? this.channelOf(watcher)?.identities : this.statelessWatchers.get(watcher)?.identities;
    if (identities === undefined) return false;
    const path = event.type === EventType.NodeDeleted ? parentOf(event.path) : event.path;
    const node = this.current.state.tree.get(path);
    return node === undefined || checkACL(node.acl, Perms.READ, identities, this.superDigest);
  }

  /** The ACLs that decide who hears of a change at `path`, as the tree stands after it. */
  private readersOf(path: string): EventReaders {
    const tree = this.current.state.tree;
    return { node: tree.get(path)?.acl ?? null, parent: path === '/' ? null : (tree.get(parentOf(path))?.acl ?? null) };
  }

  /** Every change of the tree, with who may hear of it, until the returned function is called. */
  watchAllChanges(onEvent: ChangeRecorder): Unsubscribe {
    const watcher = this.nextStatelessWatcher--;
    this.recorders.set(watcher, onEvent);
    this.watches.add('persistentRecursive', '/', watcher);
    return () => {
      this.recorders.delete(watcher);
      this.watches.removeWatcher(watcher);
    };
  }

  /** A persistent watch without a session, until the returned function is called. */
  watchStateless(path: string, recursive: boolean, identities: AuthId[], onEvent: (event: WatchEvent) => void): Unsubscribe {
    validatePath(path);
    const node = this.current.state.tree.get(path);
    if (node !== undefined && !checkACL(node.acl, Perms.READ, identities, this.superDigest)) throw keeperError('NoAuth', path);
    const watcher = this.nextStatelessWatcher--;
    this.statelessWatchers.set(watcher, { identities: [...identities], onEvent });
    this.watches.add(recursive ? 'persistentRecursive' : 'persistent', path, watcher);
    return () => {
      this.statelessWatchers.delete(watcher);
      this.watches.removeWatcher(watcher);
    };
  }
}
