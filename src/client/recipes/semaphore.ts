// Curator's InterProcessSemaphoreV2: at most `maxLeases` leases held at once across processes.
//   <path>/locks/_c_<uuid>-lock-<seq>     a Mutex that admits one acquirer at a time
//   <path>/leases/_c_<uuid>-lease-<seq>   one ephemeral node per lease held (or being acquired)
// An acquirer takes the mutex, adds its lease node, and waits (watching the leases) until at most
// maxLeases nodes are there; then it lets the mutex go. Closing a lease deletes its node.

import { isKeeperError, keeperError } from '../../core/errors.js';
import type { Cairn } from '../sdk.js';
import type { DataInput } from '../data.js';
import { firedWithin, Mutex } from './lock.js';
import { createProtectedSequential, deleteIfPresent, joinPath, nodeName } from './paths.js';

export class Lease {
  private closed = false;

  constructor(
    private readonly client: Cairn,
    /** The lease's node. */
    readonly path: string,
  ) {}

  /** Gives the lease back. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await deleteIfPresent(this.client, this.path);
  }
}

export class Semaphore {
  private readonly lock: Mutex;
  private readonly leasesPath: string;

  constructor(
    private readonly client: Cairn,
    readonly path: string,
    readonly maxLeases: number,
    private readonly data: DataInput = null,
  ) {
    if (!Number.isInteger(maxLeases) || maxLeases < 1) throw new RangeError(`maxLeases must be a positive integer, not ${maxLeases}`);
    this.lock = new Mutex(client, joinPath(path, 'locks'));
    this.leasesPath = joinPath(path, 'leases');
  }

  /** Acquires `quantity` leases, waiting at most `timeoutMs` when given; null if not in time (none are kept). */
  async acquire(quantity = 1, timeoutMs?: number): Promise<Lease[] | null> {
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > this.maxLeases) throw new RangeError(`quantity must be in [1, ${this.maxLeases}], not ${quantity}`);
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const leases: Lease[] = [];
    try {
      for (let index = 0; index < quantity; index++) {
        const lease = await this.acquireOne(deadline);
        if (lease === null) {
          for (const held of leases) await held.close();
          return null;
        }
        leases.push(lease);
      }
    } catch (error) {
      for (const held of leases) await held.close().catch(() => undefined);
      throw error;
    }
    return leases;
  }

  private async acquireOne(deadline: number | undefined): Promise<Lease | null> {
    const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
    if (!(await this.lock.acquire(left))) return null;
    let lease: Lease | null = null;
    try {
      const path = await createProtectedSequential(this.client, this.leasesPath, 'lease-', this.data);
      lease = new Lease(this.client, path);
      const ours = nodeName(path);
      for (;;) {
        const { children, watch } = await this.client.getChildren(this.leasesPath, { watch: true });
        if (!children.includes(ours)) throw keeperError('NoNode', path, 'the lease node was lost (its session ended)');
        if (children.length <= this.maxLeases) return lease;
        const wait = deadline === undefined ? undefined : deadline - Date.now();
        if ((wait !== undefined && wait <= 0) || !(await firedWithin(watch, wait))) {
          await lease.close();
          return null;
        }
      }
    } catch (error) {
      await lease?.close().catch(() => undefined);
      throw error;
    } finally {
      await this.lock.release();
    }
  }

  /** The lease nodes there now (every holder's). */
  async participantNodes(): Promise<string[]> {
    try {
      return (await this.client.getChildren(this.leasesPath)).children;
    } catch (error) {
      if (isKeeperError(error) && error.codeName === 'NoNode') return [];
      throw error;
    }
  }
}
