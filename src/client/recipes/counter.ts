// Shared counters, with Curator's encodings (org.apache.curator.framework.recipes):
//
//   SharedCount          (shared.SharedCount)          <path> holds a 4-byte big-endian int
//   DistributedAtomicLong (atomic.DistributedAtomicLong) <path> holds an 8-byte big-endian long
//
// Changes are optimistic: read the value and its version, write with that version, and on
// BadVersion (someone else won) read again. A missing node counts as 0 (or the seed) and is made
// by the first write.

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import { Emitter } from '../emitter.js';
import type { Cairn } from '../sdk.js';
import { isRetryable, NO_RETRY } from '../retry.js';
import { createWithParents } from './paths.js';

function isCode(error: unknown, name: string): boolean {
  return isKeeperError(error) && error.codeName === name;
}

export function encodeInt32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value);
  return bytes;
}

export function decodeInt32(bytes: Uint8Array | null): number {
  if (bytes === null || bytes.length < 4) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0);
}

export function encodeInt64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, value);
  return bytes;
}

export function decodeInt64(bytes: Uint8Array | null): bigint {
  if (bytes === null || bytes.length < 8) return 0n;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(0);
}

export interface VersionedValue<T> {
  value: T;
  /** The node's version when read; -1 when it did not exist. */
  version: number;
}

export interface SharedCountEvents {
  /** The count changed (seen through a watch). */
  changed: [number];
}

/** Curator's SharedCount: an int everyone can read, set, or set only if unchanged since read. */
export class SharedCount extends Emitter<SharedCountEvents> {
  /** trySet calls whose answer was lost and that were judged from the count read afterwards (see AtomicValue.ambiguous). */
  ambiguousSets = 0;
  private watching = false;

  constructor(
    private readonly client: Cairn,
    readonly path: string,
    /** The count a missing node stands for (and is created with by start()). */
    readonly seed = 0,
  ) {
    super();
  }

  /** Makes the node with the seed if missing, and starts reporting changes. */
  async start(): Promise<void> {
    try {
      await createWithParents(this.client, this.path, encodeInt32(this.seed), CreateMode.PERSISTENT);
    } catch (error) {
      if (!isCode(error, 'NodeExists')) throw error;
    }
    this.watching = true;
    void this.watchLoop();
  }

  private async watchLoop(): Promise<void> {
    while (this.watching) {
      try {
        const { data, watch } = await this.client.getData(this.path, { watch: true });
        void data;
        await watch;
        if (!this.watching) return;
        this.emit('changed', (await this.get()).value);
      } catch {
        if (!this.watching) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async get(): Promise<VersionedValue<number>> {
    try {
      const { data, stat } = await this.client.getData(this.path);
      return { value: decodeInt32(data), version: stat.version };
    } catch (error) {
      if (isCode(error, 'NoNode')) return { value: this.seed, version: -1 };
      throw error;
    }
  }

  async set(value: number): Promise<void> {
    try {
      await this.client.setData(this.path, encodeInt32(value));
    } catch (error) {
      if (!isCode(error, 'NoNode')) throw error;
      await createWithParents(this.client, this.path, encodeInt32(value), CreateMode.PERSISTENT);
    }
  }

  /** Sets `value` only if the count is still at `previous`'s version; false when someone changed it first. */
  async trySet(previous: VersionedValue<number>, value: number): Promise<boolean> {
    try {
      // Not retried by the SDK: after a lost answer a blind retry answers BadVersion (or NodeExists) for our own write.
      if (previous.version < 0) await createWithParents(this.client, this.path, encodeInt32(value), CreateMode.PERSISTENT, NO_RETRY);
      else await this.client.submit({ op: 'setData', path: this.path, data: encodeInt32(value), version: previous.version }, NO_RETRY);
      return true;
    } catch (error) {
      if (isCode(error, 'BadVersion') || isCode(error, 'NodeExists') || isCode(error, 'NoNode')) return false;
      if (!isRetryable(error)) throw error;
      // The answer was lost: the write was ours if the count moved one version on, to our value
      // (as ambiguous as DistributedAtomicLong's, see AtomicValue.ambiguous).
      this.ambiguousSets++;
      const now = await this.get();
      return now.version === previous.version + 1 && now.value === value;
    }
  }

  close(): void {
    this.watching = false;
  }
}

/** What an atomic operation did (Curator's AtomicValue): the value before and after. */
export interface AtomicValue {
  succeeded: boolean;
  preValue: bigint;
  postValue: bigint;
  /**
   * A write's answer was lost to a broken connection, so the change may have been applied once
   * more or once less than reported: ZooKeeper's conditional writes carry no writer's mark to find
   * out by, and Curator's encoding has no room for one. Curator does not report it; it retries and
   * may count twice.
   */
  ambiguous?: boolean;
}

/** Curator's DistributedAtomicLong (optimistic mode): a 64-bit value changed atomically. */
export class DistributedAtomicLong {
  constructor(
    private readonly client: Cairn,
    readonly path: string,
    /** Attempts before an operation gives up with succeeded: false. */
    private readonly maxAttempts = 100,
  ) {}

  private async read(): Promise<VersionedValue<bigint>> {
    try {
      const { data, stat } = await this.client.getData(this.path);
      return { value: decodeInt64(data), version: stat.version };
    } catch (error) {
      if (isCode(error, 'NoNode')) return { value: 0n, version: -1 };
      throw error;
    }
  }

  async get(): Promise<AtomicValue> {
    const { value } = await this.read();
    return { succeeded: true, preValue: value, postValue: value };
  }

  /**
   * Applies `change` to the value atomically, retrying when another writer wins. An attempt whose
   * answer was lost makes the outcome `ambiguous`: it may have been applied, and then a later
   * attempt applies the change again (when others wrote meanwhile), or be taken as applied when it
   * was not (when the value it would have written is there, written by another).
   */
  async update(change: (value: bigint) => bigint | null): Promise<AtomicValue> {
    let last = 0n;
    let lost: { version: number; value: bigint } | null = null;
    let ambiguous = false;
    const outcome = (value: AtomicValue): AtomicValue => (ambiguous ? { ...value, ambiguous: true } : value);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const current = await this.read();
      last = current.value;
      // A write whose answer was lost: if the node moved one version on, to what we wrote, take it as ours.
      if (lost !== null && current.version === lost.version + 1 && current.value === lost.value) return outcome({ succeeded: true, preValue: current.value, postValue: lost.value });
      lost = null;
      const next = change(current.value);
      if (next === null) return outcome({ succeeded: false, preValue: current.value, postValue: current.value });
      try {
        // Not retried by the SDK: a retry after a lost answer could apply the change twice.
        if (current.version < 0) await createWithParents(this.client, this.path, encodeInt64(next), CreateMode.PERSISTENT, NO_RETRY);
        else await this.client.submit({ op: 'setData', path: this.path, data: encodeInt64(next), version: current.version }, NO_RETRY);
        return outcome({ succeeded: true, preValue: current.value, postValue: next });
      } catch (error) {
        // (A create that was applied leaves version 0: "one version on" from the missing node's -1.)
        if (isRetryable(error)) {
          lost = { version: current.version, value: next };
          ambiguous = true;
          continue;
        }
        if (!(isCode(error, 'BadVersion') || isCode(error, 'NodeExists') || isCode(error, 'NoNode'))) throw error;
      }
    }
    return outcome({ succeeded: false, preValue: last, postValue: last });
  }

  add(delta: bigint): Promise<AtomicValue> {
    return this.update((value) => BigInt.asIntN(64, value + delta));
  }

  increment(): Promise<AtomicValue> {
    return this.add(1n);
  }

  decrement(): Promise<AtomicValue> {
    return this.add(-1n);
  }

  /** Sets `next` only if the value is `expected`. */
  compareAndSet(expected: bigint, next: bigint): Promise<AtomicValue> {
    return this.update((value) => (value === expected ? next : null));
  }

  trySet(next: bigint): Promise<AtomicValue> {
    return this.update(() => next);
  }
}
