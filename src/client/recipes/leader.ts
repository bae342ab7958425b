// Leader election, with Curator's layouts (org.apache.curator.framework.recipes.leader):
//
//   LeaderLatch     <path>/_c_<uuid>-latch-<seq>, data: the participant's id. The first in
//                   sequence leads; each other watches the one before it.
//   LeaderSelector  a Mutex at <path> (…-lock-<seq>, data: the participant's id): the holder
//                   leads while its takeLeadership runs, then lets go (and queues again with
//                   autoRequeue).
//
// A participant whose connection is SUSPENDED or LOST stops leading, as Curator's do: it cannot
// know whether its session, and so its node, still stands. A LeaderLatch then joins again with a
// new node once RECONNECTED.

import { isKeeperError } from '../../core/errors.js';
import { Emitter } from '../emitter.js';
import type { Cairn, ConnectionState } from '../sdk.js';
import { leasesRule, Mutex } from './lock.js';
import { createProtectedSequential, deleteIfPresent, joinPath, nodeName, sortChildren } from './paths.js';

const LATCH_NAME = 'latch-';
const SELECTOR_LOCK_NAME = 'lock-';
const UTF8 = new TextEncoder();
const TEXT = new TextDecoder();

export interface Participant {
  id: string;
  isLeader: boolean;
}

/** Participants in order (the leader first), from the nodes' data (Curator's LeaderSelector.getParticipants). */
async function participantsOf(client: Cairn, path: string, name: string): Promise<Participant[]> {
  let children: string[];
  try {
    children = sortChildren((await client.getChildren(path)).children, [name]);
  } catch (error) {
    if (isKeeperError(error) && error.codeName === 'NoNode') return [];
    throw error;
  }
  const participants: Participant[] = [];
  for (const child of children) {
    try {
      const { data } = await client.getData(joinPath(path, child));
      participants.push({ id: data === null ? '' : TEXT.decode(data), isLeader: participants.length === 0 });
    } catch (error) {
      if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
    }
  }
  return participants;
}

export interface LeaderLatchEvents {
  isLeader: [];
  notLeader: [];
}

export class LeaderLatch extends Emitter<LeaderLatchEvents> {
  private ourPath: string | null = null;
  private leading = false;
  private state: 'latent' | 'started' | 'closed' = 'latent';
  private generation = 0;
  private readonly onState = (state: ConnectionState) => this.connectionChanged(state);

  constructor(
    private readonly client: Cairn,
    readonly path: string,
    readonly id: string = '',
  ) {
    super();
  }

  get hasLeadership(): boolean {
    return this.leading;
  }

  /** Joins the election. */
  async start(): Promise<void> {
    if (this.state !== 'latent') throw new Error('a LeaderLatch starts once');
    this.state = 'started';
    this.client.on('state', this.onState);
    await this.reset();
  }

  /** Resolves once this participant leads; false if `timeoutMs` passes first. */
  async await(timeoutMs?: number): Promise<boolean> {
    if (this.leading) return true;
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const listener = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.once('isLeader', listener);
      if (timeoutMs !== undefined)
        timer = setTimeout(() => {
          this.off('isLeader', listener);
          resolve(this.leading);
        }, timeoutMs);
    });
  }

  async participants(): Promise<Participant[]> {
    return participantsOf(this.client, this.path, LATCH_NAME);
  }

  /** Leaves the election (the node is deleted; another participant leads). */
  async close(): Promise<void> {
    if (this.state !== 'started') return;
    this.state = 'closed';
    this.client.off('state', this.onState);
    this.generation++;
    this.setLeadership(false);
    await this.deleteOurs();
  }

  private connectionChanged(state: ConnectionState): void {
    if (this.state !== 'started') return;
    if (state === 'SUSPENDED' || state === 'LOST') this.setLeadership(false);
    else if (state === 'RECONNECTED') void this.reset().catch(() => undefined);
  }

  /** A new node, then a look at our place (Curator's LeaderLatch.reset). */
  private async reset(): Promise<void> {
    const generation = ++this.generation;
    this.setLeadership(false);
    await this.deleteOurs().catch(() => undefined);
    const path = await createProtectedSequential(this.client, this.path, LATCH_NAME, UTF8.encode(this.id));
    if (generation !== this.generation) {
      await this.client.delete(path).catch(() => undefined);
      return;
    }
    this.ourPath = path;
    await this.checkLeadership(generation);
  }

  private async checkLeadership(generation: number): Promise<void> {
    while (generation === this.generation && this.ourPath !== null) {
      const ours = nodeName(this.ourPath);
      const children = sortChildren((await this.client.getChildren(this.path)).children, [LATCH_NAME]);
      const turn = leasesRule(1)(children, ours);
      if (turn.holds) {
        this.setLeadership(true);
        return;
      }
      try {
        const { watch } = await this.client.getData(joinPath(this.path, turn.waitOn!), { watch: true });
        // Look again when the one before us goes; a failed watch (session lost) ends this round.
        void watch.then(
          () => {
            if (generation === this.generation) void this.checkLeadership(generation).catch(() => undefined);
          },
          () => undefined,
        );
        return;
      } catch (error) {
        if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
      }
    }
  }

  private setLeadership(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.emit(leading ? 'isLeader' : 'notLeader');
  }

  private async deleteOurs(): Promise<void> {
    const path = this.ourPath;
    this.ourPath = null;
    if (path === null) return;
    await deleteIfPresent(this.client, path);
  }
}

export interface LeaderSelectorOptions {
  /** The participant's id, stored in its node. */
  id?: string;
  /** Queue again after each term (Curator's autoRequeue). */
  autoRequeue?: boolean;
}

/**
 * Runs `takeLeadership` while leading; leadership ends when it returns (or throws), or when the
 * connection is SUSPENDED or LOST, which aborts its signal (Curator's CancelLeadershipException).
 */
export class LeaderSelector {
  private readonly mutex: Mutex;
  private running = false;
  private loop: Promise<void> | null = null;
  private current: AbortController | null = null;
  private readonly closing = new AbortController();
  private readonly onState = (state: ConnectionState) => {
    if (state === 'SUSPENDED' || state === 'LOST') this.current?.abort(new Error(`connection ${state}`));
  };

  constructor(
    private readonly client: Cairn,
    readonly path: string,
    private readonly takeLeadership: (signal: AbortSignal) => Promise<void>,
    private readonly options: LeaderSelectorOptions = {},
  ) {
    this.mutex = new Mutex(client, path, UTF8.encode(options.id ?? ''), leasesRule(1), SELECTOR_LOCK_NAME);
  }

  /** Queues for leadership (again and again with autoRequeue) until close(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.client.on('state', this.onState);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    do {
      try {
        if (!(await this.mutex.acquire(undefined, this.closing.signal))) return; // closed while queued
      } catch {
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const controller = new AbortController();
      this.current = controller;
      try {
        if (this.running) await this.takeLeadership(controller.signal);
      } catch {
        // A term that failed ends like one that returned.
      } finally {
        this.current = null;
        await this.mutex.release().catch(() => undefined);
      }
    } while (this.running && this.options.autoRequeue === true);
  }

  get hasLeadership(): boolean {
    return this.current !== null;
  }

  async participants(): Promise<Participant[]> {
    return participantsOf(this.client, this.path, SELECTOR_LOCK_NAME);
  }

  /** Stops queueing; a term in progress is aborted and ends. */
  async close(): Promise<void> {
    this.running = false;
    this.client.off('state', this.onState);
    this.closing.abort();
    this.current?.abort(new Error('closed'));
    await this.loop?.catch(() => undefined);
  }
}
