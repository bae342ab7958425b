// Queues, with Curator's layout and item format (org.apache.curator.framework.recipes.queue):
//
//   DistributedQueue          <path>/queue-<seq>              (PERSISTENT_SEQUENTIAL)
//   DistributedPriorityQueue  <path>/queue-<p><hex8><seq>     p is 1 for a priority ≥ 0, else 0;
//                                                             names sort by priority, then arrival
//
// An item node's data is Curator's ItemSerializer format: the int 0x00010001, then per item the
// byte 1, a 4-byte length and the item's bytes, then the byte 2 (big-endian, as Java's
// DataOutputStream writes). Consumers list the children in name order and take an item by reading
// it and deleting it at the version read; only the consumer whose delete succeeds processes it
// (at most once, as Curator's queue without a lock path).

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import type { Cairn } from '../sdk.js';
import { NO_RETRY } from '../retry.js';
import { firedWithin, settledOf } from './lock.js';
import { createWithParents, joinPath } from './paths.js';

const VERSION = 0x00010001;
const ITEM_OPCODE = 1;
const EOF_OPCODE = 2;
const ITEM_NAME = 'queue-';

export interface QueueSerializer<T> {
  serialize(item: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

/** Items as UTF-8 text. */
export const TEXT_SERIALIZER: QueueSerializer<string> = {
  serialize: (item) => new TextEncoder().encode(item),
  deserialize: (bytes) => new TextDecoder().decode(bytes),
};

export function encodeItems(items: readonly Uint8Array[]): Uint8Array {
  const length = 4 + items.reduce((sum, item) => sum + 5 + item.length, 0) + 1;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, VERSION);
  let offset = 4;
  for (const item of items) {
    view.setUint8(offset, ITEM_OPCODE);
    view.setInt32(offset + 1, item.length);
    bytes.set(item, offset + 5);
    offset += 5 + item.length;
  }
  view.setUint8(offset, EOF_OPCODE);
  return bytes;
}

export function decodeItems(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 5 || view.getInt32(0) !== VERSION) throw new Error('not a queue item (wrong version)');
  const items: Uint8Array[] = [];
  let offset = 4;
  for (;;) {
    if (offset >= bytes.length) throw new Error('a queue item ends without its end mark');
    const opcode = view.getUint8(offset);
    if (opcode === EOF_OPCODE) return items;
    if (opcode !== ITEM_OPCODE || offset + 5 > bytes.length) throw new Error(`a queue item has a bad opcode ${opcode}`);
    const length = view.getInt32(offset + 1);
    if (length < 0 || offset + 5 + length > bytes.length) throw new Error('a queue item is truncated');
    items.push(bytes.slice(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
}

/** Curator's priorityToString: sortable text for a 32-bit priority. */
export function priorityKey(priority: number): string {
  if (!Number.isInteger(priority) || priority < -0x8000_0000 || priority > 0x7fff_ffff) throw new RangeError(`a priority is a 32-bit integer, not ${priority}`);
  return `${priority >= 0 ? '1' : '0'}${(priority >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export class DistributedQueue<T> {
  /**
   * Items whose put lost its answer to a broken connection and was tried again: each may be in the
   * queue twice (a sequential create carries no mark to find it by; Curator's put has the same
   * window and does not report it).
   */
  readonly ambiguousPuts: T[] = [];
  private consuming = false;
  private loop: Promise<void> | null = null;
  private readonly stop = new AbortController();

  constructor(
    protected readonly client: Cairn,
    readonly path: string,
    private readonly serializer: QueueSerializer<T>,
  ) {}

  /** Adds an item (several as one node with putMulti). */
  async put(item: T): Promise<string> {
    return this.putNode([item], ITEM_NAME);
  }

  /** Adds items that consumers take together, in order. */
  async putMulti(items: readonly T[]): Promise<string> {
    return this.putNode(items, ITEM_NAME);
  }

  protected async putNode(items: readonly T[], name: string): Promise<string> {
    const data = encodeItems(items.map((item) => this.serializer.serialize(item)));
    return this.client.retry(async (attempt) => {
      if (attempt > 0) this.ambiguousPuts.push(...items);
      return createWithParents(this.client, joinPath(this.path, name), data, CreateMode.PERSISTENT_SEQUENTIAL, NO_RETRY);
    });
  }

  /**
   * Takes the first item, waiting for one (at most `timeoutMs` when given); null if none came.
   * A node of several items (putMulti) gives its first; use start() to consume every item.
   */
  async take(timeoutMs?: number): Promise<T | null> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const { names, watch } = await this.sortedItems();
      for (const name of names) {
        const items = await this.claim(name);
        if (items !== null && items.length > 0) return items[0]!;
      }
      const left = deadline === undefined ? undefined : deadline - Date.now();
      // Items outlive sessions: a watch lost with ours only means look again.
      if ((left !== undefined && left <= 0) || !(await firedWithin(settledOf(watch), left, this.stop.signal))) return null;
    }
  }

  /** Calls `consume` for every item, in queue order, until stop() (one at a time). */
  start(consume: (item: T) => Promise<void> | void): void {
    if (this.consuming) return;
    this.consuming = true;
    this.loop = (async () => {
      while (this.consuming) {
        try {
          const { names, watch } = await this.sortedItems();
          for (const name of names) {
            if (!this.consuming) return;
            const items = await this.claim(name);
            for (const item of items ?? []) await consume(item);
          }
          if (names.length === 0) await firedWithin(settledOf(watch), undefined, this.stop.signal);
        } catch {
          if (!this.consuming) return;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.consuming = false;
    this.stop.abort();
    await this.loop;
  }

  private async sortedItems(): Promise<{ names: string[]; watch: PromiseLike<unknown> }> {
    for (;;) {
      try {
        const { children, watch } = await this.client.getChildren(this.path, { watch: true });
        return { names: children.filter((child) => child.startsWith(ITEM_NAME)).sort(), watch };
      } catch (error) {
        if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
        await createWithParents(this.client, this.path, null, CreateMode.PERSISTENT).catch((raced: unknown) => {
          if (!(isKeeperError(raced) && raced.codeName === 'NodeExists')) throw raced;
        });
      }
    }
  }

  /** Reads and deletes one item node; its items when this consumer won it, null when another did. */
  private async claim(name: string): Promise<T[] | null> {
    const path = joinPath(this.path, name);
    try {
      const { data, stat } = await this.client.getData(path);
      await this.client.delete(path, stat.version);
      return decodeItems(data ?? new Uint8Array(0)).map((bytes) => this.serializer.deserialize(bytes));
    } catch (error) {
      if (isKeeperError(error) && (error.codeName === 'NoNode' || error.codeName === 'BadVersion')) return null;
      throw error;
    }
  }
}

/** Curator's DistributedPriorityQueue: a lower priority number is taken first; equal ones in arrival order. */
export class DistributedPriorityQueue<T> extends DistributedQueue<T> {
  /** With priority 0, as Curator's put does. */
  override async put(item: T): Promise<string> {
    return this.putWithPriority(item, 0);
  }

  async putWithPriority(item: T, priority: number): Promise<string> {
    return this.putNode([item], `${ITEM_NAME}${priorityKey(priority)}`);
  }

  async putMultiWithPriority(items: readonly T[], priority: number): Promise<string> {
    return this.putNode(items, `${ITEM_NAME}${priorityKey(priority)}`);
  }
}
