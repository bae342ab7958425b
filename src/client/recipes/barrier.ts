// Barriers, with Curator's layouts (org.apache.curator.framework.recipes.barriers):
//
//   Barrier        (DistributedBarrier)        the node at <path> exists while the barrier stands;
//                                              waiters watch it until it is gone
//   DoubleBarrier  (DistributedDoubleBarrier)  <path>/<uuid> per member (ephemeral) and
//                                              <path>/ready once `memberCount` have entered; members
//                                              leave in the order Curator's do (the lowest waits
//                                              for the highest, the others for the lowest)

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import type { Cairn } from '../sdk.js';
import { firedWithin, settledOf } from './lock.js';
import { createWithParents, deleteIfPresent, joinPath, randomUuid } from './paths.js';

function isCode(error: unknown, name: string): boolean {
  return isKeeperError(error) && error.codeName === name;
}

export class Barrier {
  constructor(
    private readonly client: Cairn,
    readonly path: string,
  ) {}

  /** Raises the barrier (its node); already standing is fine. */
  async set(): Promise<void> {
    try {
      await createWithParents(this.client, this.path, null, CreateMode.PERSISTENT);
    } catch (error) {
      if (!isCode(error, 'NodeExists')) throw error;
    }
  }

  /** Lowers it: every waiter goes on. */
  async remove(): Promise<void> {
    await deleteIfPresent(this.client, this.path);
  }

  /** Waits while the barrier stands; true once it is down, false after `timeoutMs`. */
  async wait(timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const { stat, watch } = await this.client.exists(this.path, { watch: true });
      if (stat === null) return true;
      const left = deadline === undefined ? undefined : deadline - Date.now();
      // The barrier's node outlives sessions: a watch lost with ours only means look again.
      if ((left !== undefined && left <= 0) || !(await firedWithin(settledOf(watch), left))) return false;
    }
  }
}

const READY_NODE = 'ready';

export class DoubleBarrier {
  private readonly ourPath: string;
  private readonly readyPath: string;

  constructor(
    private readonly client: Cairn,
    readonly path: string,
    readonly memberCount: number,
  ) {
    if (!Number.isInteger(memberCount) || memberCount < 1) throw new RangeError(`memberCount must be a positive integer, not ${memberCount}`);
    this.ourPath = joinPath(path, randomUuid());
    this.readyPath = joinPath(path, READY_NODE);
  }

  /** Enters, and waits until `memberCount` members have; false after `timeoutMs` (our node is then removed). */
  async enter(timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const { stat: ready, watch } = await this.client.exists(this.readyPath, { watch: true });
    await createWithParents(this.client, this.ourPath, null, CreateMode.EPHEMERAL);
    if (ready !== null) return true;
    const members = (await this.client.getChildren(this.path)).children.filter((child) => child !== READY_NODE);
    if (members.length >= this.memberCount) {
      try {
        await this.client.create(this.readyPath, null);
      } catch (error) {
        if (!isCode(error, 'NodeExists')) throw error;
      }
      return true;
    }
    const left = deadline === undefined ? undefined : deadline - Date.now();
    if ((left !== undefined && left <= 0) || !(await firedWithin(watch, left))) {
      await this.deleteOurs();
      return false;
    }
    return true;
  }

  /** Leaves, and waits until every member has; false after `timeoutMs`. */
  async leave(timeoutMs?: number): Promise<boolean> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const ours = this.ourPath.slice(this.path.length + 1);
    let ourNodeShouldExist = true;
    for (;;) {
      let children: string[];
      try {
        children = (await this.client.getChildren(this.path)).children;
      } catch (error) {
        if (!isCode(error, 'NoNode')) throw error;
        children = [];
      }
      const members = children.filter((child) => child !== READY_NODE).sort();
      if (members.length === 0) break;
      const ourIndex = members.indexOf(ours);
      if (ourIndex < 0 && ourNodeShouldExist) throw new Error(`our node ${this.ourPath} is gone (its session ended)`);
      if (members.length === 1) {
        if (ourNodeShouldExist) await this.deleteOurs();
        break;
      }
      // The lowest waits for the highest to go; the others go, then wait for the lowest.
      const watched = joinPath(this.path, ourIndex === 0 ? members[members.length - 1]! : members[0]!);
      const { stat, watch } = await this.client.exists(watched, { watch: true });
      if (ourIndex !== 0 && ourNodeShouldExist) {
        await this.deleteOurs();
        ourNodeShouldExist = false;
      }
      if (stat === null) continue;
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if ((left !== undefined && left <= 0) || !(await firedWithin(watch, left))) return false;
    }
    await deleteIfPresent(this.client, this.readyPath);
    return true;
  }

  private async deleteOurs(): Promise<void> {
    await deleteIfPresent(this.client, this.ourPath);
  }
}
