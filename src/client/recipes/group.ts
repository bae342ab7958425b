// Group membership (Curator's GroupMember): each member is an ephemeral node <path>/<id> with its
// payload, kept by a PersistentNode; the members are the children, read live through a TreeCache.

import type { DataInput } from '../data.js';
import type { Cairn } from '../sdk.js';
import { TreeCache } from './cache.js';
import { PersistentNode } from './node.js';
import { joinPath } from './paths.js';

export class GroupMember {
  private readonly node: PersistentNode;
  private readonly cache: TreeCache;

  constructor(
    client: Cairn,
    readonly membershipPath: string,
    readonly id: string,
    payload: DataInput = null,
  ) {
    if (id === '' || id.includes('/')) throw new RangeError(`a member id is one path component, not "${id}"`);
    this.node = new PersistentNode(client, joinPath(membershipPath, id), payload);
    this.cache = new TreeCache(client, membershipPath);
  }

  async start(): Promise<void> {
    await this.node.start();
    await this.cache.start();
  }

  /** Every member's id and payload, as the cache sees them now (this member's included). */
  currentMembers(): Map<string, Uint8Array | null> {
    const members = new Map<string, Uint8Array | null>();
    for (const child of this.cache.children(this.membershipPath)) members.set(child, this.cache.get(joinPath(this.membershipPath, child))?.data ?? null);
    return members;
  }

  /** The cache's events: 'added', 'removed', 'updated' for member nodes. */
  get events(): TreeCache {
    return this.cache;
  }

  async setPayload(payload: DataInput): Promise<void> {
    await this.node.setData(payload);
  }

  async close(): Promise<void> {
    await this.cache.close();
    await this.node.close();
  }
}
