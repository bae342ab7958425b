// A live copy of a subtree (Curator's CuratorCache / TreeCache): every node's data and Stat under
// a path, kept current by one persistent recursive watch, with events for what changed. Curator's
// cache keeps no znodes of its own, so any writer's changes (a Curator client's included) show.
//
// A reconnect may have hidden changes (a persistent watch is not replayed), and a lost session
// loses the watch: either way the cache reads the subtree again and reports the differences.

import { isKeeperError } from '../../core/errors.js';
import { EventType, type Stat } from '../../core/types.js';
import { Emitter } from '../emitter.js';
import type { Cairn, ConnectionState } from '../sdk.js';
import type { PersistentWatch } from '../watches.js';
import { joinPath } from './paths.js';

export interface CachedNode {
  path: string;
  data: Uint8Array | null;
  stat: Stat;
}

export interface TreeCacheEvents {
  added: [CachedNode];
  updated: [CachedNode, CachedNode];
  removed: [CachedNode];
  /** The first full read is done (and again after each rebuild). */
  initialized: [];
}

function isNoNode(error: unknown): boolean {
  return isKeeperError(error) && error.codeName === 'NoNode';
}

function isUnder(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

export class TreeCache extends Emitter<TreeCacheEvents> {
  private readonly nodes = new Map<string, CachedNode>();
  private watch: PersistentWatch | null = null;
  private running = false;
  private rebuilding: Promise<void> | null = null;
  private readonly onState = (state: ConnectionState) => {
    if (state === 'RECONNECTED' && this.running) void this.rebuild().catch(() => undefined);
  };

  constructor(
    private readonly client: Cairn,
    readonly path: string,
  ) {
    super();
  }

  /** Reads the subtree and follows it; resolves once initialized. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.client.on('state', this.onState);
    await this.rebuild();
  }

  /** The node at `path` as last seen, if it is in the subtree. */
  get(path: string): CachedNode | undefined {
    return this.nodes.get(path);
  }

  /** Every node, by path. */
  snapshot(): Map<string, CachedNode> {
    return new Map(this.nodes);
  }

  /** The cached children of `path`, by name. */
  children(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...this.nodes.keys()].filter((candidate) => candidate.startsWith(prefix) && candidate !== path && !candidate.slice(prefix.length).includes('/')).map((candidate) => candidate.slice(prefix.length));
  }

  async close(): Promise<void> {
    this.running = false;
    this.client.off('state', this.onState);
    await this.watch?.close().catch(() => undefined);
    this.watch = null;
  }

  private rebuild(): Promise<void> {
    this.rebuilding ??= this.doRebuild().finally(() => (this.rebuilding = null));
    return this.rebuilding;
  }

  private async doRebuild(): Promise<void> {
    if (this.watch === null) {
      const watch = await this.client.watch(this.path, { recursive: true });
      this.watch = watch;
      void this.follow(watch);
    }
    const seen = new Map<string, CachedNode>();
    await this.readTree(this.path, seen);
    for (const [path, node] of this.nodes) if (!seen.has(path)) this.remove(path, node);
    for (const node of seen.values()) this.put(node);
    this.emit('initialized');
  }

  private async readTree(path: string, into: Map<string, CachedNode>): Promise<void> {
    let node: CachedNode;
    let children: string[];
    try {
      const { data, stat } = await this.client.getData(path);
      node = { path, data, stat };
      children = stat.numChildren === 0 ? [] : (await this.client.getChildren(path)).children;
    } catch (error) {
      if (isNoNode(error)) return;
      throw error;
    }
    into.set(path, node);
    await Promise.all(children.map((child) => this.readTree(joinPath(path, child), into)));
  }

  private async follow(watch: PersistentWatch): Promise<void> {
    try {
      for await (const event of watch) {
        if (!isUnder(event.path, this.path)) continue;
        if (event.type === EventType.NodeDeleted) {
          for (const [path, node] of this.nodes) if (isUnder(path, event.path)) this.remove(path, node);
        } else if (event.type === EventType.NodeCreated || event.type === EventType.NodeDataChanged) {
          await this.refresh(event.path);
        }
      }
    } catch {
      // The session was lost: the watch is gone. A new one is set by the rebuild on RECONNECTED.
      if (this.watch === watch) this.watch = null;
    }
  }

  private async refresh(path: string): Promise<void> {
    try {
      const { data, stat } = await this.client.getData(path);
      this.put({ path, data, stat });
    } catch (error) {
      if (!isNoNode(error)) throw error;
      const old = this.nodes.get(path);
      if (old !== undefined) this.remove(path, old);
    }
  }

  private put(node: CachedNode): void {
    const old = this.nodes.get(node.path);
    if (old !== undefined && old.stat.mzxid === node.stat.mzxid && old.stat.pzxid === node.stat.pzxid) return;
    // A read may return an older version than one already seen (events and reads race): keep the newer.
    if (old !== undefined && old.stat.mzxid > node.stat.mzxid) return;
    this.nodes.set(node.path, node);
    if (old === undefined) this.emit('added', node);
    else this.emit('updated', old, node);
  }

  private remove(path: string, node: CachedNode): void {
    if (!this.nodes.delete(path)) return;
    this.emit('removed', node);
  }
}
