// Locks, with Curator's layout and protocol (org.apache.curator.framework.recipes.locks), so a
// TypeScript lock and a Curator lock on the same path exclude each other:
//
//   Mutex          (InterProcessMutex)          <path>/_c_<uuid>-lock-<seq>
//   ReadWriteLock  (InterProcessReadWriteLock)  <path>/_c_<uuid>-__READ__<seq>, …-__WRIT__<seq>
//
// Each contender makes a protected ephemeral sequential node; the nodes in sequence order are the
// queue. A contender holds the lock when fewer than `maxLeases` nodes precede its own (a reader:
// when no writer's does), and otherwise watches the one node whose going can change that, never
// the parent (no herd). Its node is ephemeral, so a crashed holder's lock goes with its session.

import { isKeeperError, keeperError } from '../../core/errors.js';
import type { Cairn } from '../sdk.js';
import type { DataInput } from '../data.js';
import { createProtectedSequential, deleteIfPresent, joinPath, nodeName, sortChildren } from './paths.js';

/** What a contender sees: whether it holds the lock, or which node to wait on. */
export interface LockTurn {
  holds: boolean;
  /** The child (a name under the lock path) to watch when it does not hold. */
  waitOn?: string;
}

/** Decides a contender's turn from the sorted children (Curator's LockInternalsDriver.getsTheLock). */
export type TurnRule = (sortedChildren: string[], ourNode: string) => LockTurn;

/** At most `maxLeases` holders, in sequence order (StandardLockInternalsDriver). */
export function leasesRule(maxLeases: number): TurnRule {
  return (children, ourNode) => {
    const ourIndex = children.indexOf(ourNode);
    if (ourIndex < 0) throw keeperError('NoNode', ourNode, 'the lock node was lost (its session ended)');
    return ourIndex < maxLeases ? { holds: true } : { holds: false, waitOn: children[ourIndex - maxLeases]! };
  };
}

/**
 * One lock node's life: create it, wait for the turn, delete it. The protocol of Curator's
 * LockInternals; Mutex, ReadWriteLock and the leader recipes are made of it.
 */
export class LockNode {
  private ourPath: string | null = null;

  constructor(
    private readonly client: Cairn,
    readonly basePath: string,
    /** The node name before the sequence, e.g. "lock-". */
    readonly lockName: string,
    private readonly rule: TurnRule,
    /** Every node name that orders children (a read-write lock sorts reads and writes together). */
    private readonly sortNames: readonly string[] = [lockName],
  ) {}

  get path(): string | null {
    return this.ourPath;
  }

  /** Joins the queue and waits; true once held, false after `timeoutMs` or once `signal` aborts (the node is then gone). */
  async acquire(data: DataInput, timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const ourPath = await createProtectedSequential(this.client, this.basePath, this.lockName, data);
    this.ourPath = ourPath;
    try {
      if (await this.waitForTurn(nodeName(ourPath), deadline, signal)) return true;
    } catch (error) {
      await this.deleteOurs();
      throw error;
    }
    await this.deleteOurs();
    return false;
  }

  private async waitForTurn(ourNode: string, deadline: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (signal?.aborted === true) return false;
      const { children } = await this.client.getChildren(this.basePath);
      const turn = this.rule(sortChildren(children, this.sortNames), ourNode);
      if (turn.holds) return true;
      let watch;
      try {
        ({ watch } = await this.client.getData(joinPath(this.basePath, turn.waitOn!), { watch: true }));
      } catch (error) {
        if (isKeeperError(error) && error.codeName === 'NoNode') continue; // it went meanwhile: look again
        throw error;
      }
      const left = deadline === undefined ? undefined : deadline - Date.now();
      if (left !== undefined && left <= 0) return false;
      if (!(await firedWithin(watch, left, signal))) return false;
    }
  }

  /** Leaves the queue (or gives the lock up). */
  async release(): Promise<void> {
    await this.deleteOurs();
  }

  private async deleteOurs(): Promise<void> {
    const ourPath = this.ourPath;
    this.ourPath = null;
    if (ourPath === null) return;
    await deleteIfPresent(this.client, ourPath);
  }
}

/**
 * Waits for a watch to fire: true when it did, false once `timeoutMs` passed or `signal` aborted.
 * A watch that fails (the session was lost) rejects.
 */
export async function firedWithin(watch: PromiseLike<unknown>, timeoutMs: number | undefined, signal?: AbortSignal): Promise<boolean> {
  if (timeoutMs === undefined && signal === undefined) {
    await watch;
    return true;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      Promise.resolve(watch).then(() => true),
      new Promise<false>((resolve) => {
        if (timeoutMs !== undefined) timer = setTimeout(() => resolve(false), timeoutMs);
        if (signal !== undefined) {
          onAbort = () => resolve(false);
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A watch that settles either way: for recipes whose nodes outlive sessions (a barrier, a queue), a
 * watch lost with the session means only "look again", not failure.
 */
export function settledOf(watch: PromiseLike<unknown>): Promise<void> {
  return Promise.resolve(watch).then(
    () => undefined,
    () => undefined,
  );
}

/** Curator's InterProcessMutex: re-entrant (acquire twice, release twice) for this object. */
export class Mutex {
  private holds = 0;
  private node: LockNode | null = null;
  private pending: Promise<boolean> | null = null;

  constructor(
    private readonly client: Cairn,
    readonly path: string,
    private readonly data: DataInput = null,
    private readonly rule: TurnRule = leasesRule(1),
    private readonly lockName = 'lock-',
    private readonly sortNames: readonly string[] = [lockName],
  ) {}

  /** Waits for the lock (at most `timeoutMs` when given, until `signal` aborts); true once held. */
  async acquire(timeoutMs?: number, signal?: AbortSignal): Promise<boolean> {
    if (this.holds > 0) {
      this.holds++;
      return true;
    }
    // One acquisition at a time per object, as a thread takes a Java lock: a second caller waits
    // for the first and then re-enters (JavaScript has one thread, so the object is the owner).
    if (this.pending !== null) {
      await this.pending.catch(() => false);
      return this.acquire(timeoutMs, signal);
    }
    const node = new LockNode(this.client, this.path, this.lockName, this.rule, this.sortNames);
    this.pending = node.acquire(this.data, timeoutMs, signal);
    try {
      const held = await this.pending;
      if (held) {
        this.node = node;
        this.holds = 1;
      }
      return held;
    } finally {
      this.pending = null;
    }
  }

  /** Gives one hold up; the last one deletes the lock node. */
  async release(): Promise<void> {
    if (this.holds === 0) throw new Error(`not holding the lock ${this.path}`);
    if (--this.holds > 0) return;
    const node = this.node!;
    this.node = null;
    await node.release();
  }

  isAcquired(): boolean {
    return this.holds > 0;
  }

  /** The lock node while held (e.g. to check it still exists after a reconnect). */
  get lockPath(): string | null {
    return this.node?.path ?? null;
  }

  /** Runs `work` while holding the lock. */
  async withLock<T>(work: () => Promise<T> | T, timeoutMs?: number): Promise<T> {
    if (!(await this.acquire(timeoutMs))) throw keeperError('OperationTimeout', this.path, `the lock ${this.path} was not acquired within ${timeoutMs} ms`);
    try {
      return await work();
    } finally {
      await this.release();
    }
  }
}

const READ_LOCK_NAME = '__READ__';
const WRITE_LOCK_NAME = '__WRIT__';

/**
 * Curator's InterProcessReadWriteLock: any number of readers or one writer, fair in arrival order
 * (a reader waits for the writers queued before it). A writer that holds the lock may also read.
 */
export class ReadWriteLock {
  readonly writeLock: Mutex;
  readonly readLock: Mutex;

  constructor(client: Cairn, path: string, data: DataInput = null) {
    const names = [READ_LOCK_NAME, WRITE_LOCK_NAME];
    this.writeLock = new Mutex(client, path, data, leasesRule(1), WRITE_LOCK_NAME, names);
    this.readLock = new Mutex(client, path, data, (children, ourNode) => this.readTurn(children, ourNode), READ_LOCK_NAME, names);
  }

  private readTurn(children: string[], ourNode: string): LockTurn {
    if (this.writeLock.isAcquired()) return { holds: true };
    let firstWrite = -1;
    for (const [index, child] of children.entries()) {
      if (child.includes(WRITE_LOCK_NAME)) {
        if (firstWrite < 0) firstWrite = index;
      } else if (child === ourNode) {
        return firstWrite < 0 ? { holds: true } : { holds: false, waitOn: children[firstWrite]! };
      }
    }
    throw keeperError('NoNode', ourNode, 'the lock node was lost (its session ended)');
  }
}
