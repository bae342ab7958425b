// A node that should stand as long as this client runs (Curator's PersistentNode, e.g. a
// PersistentEphemeralNode): created with its data and mode, made again whenever it goes (deleted
// by someone, or with a lost session), and deleted by close(). Sequential modes get a new name
// when made again; `path` says the current one.

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import type { DataInput } from '../data.js';
import { toData } from '../data.js';
import { Emitter } from '../emitter.js';
import type { Cairn, ConnectionState } from '../sdk.js';
import { createProtectedSequential, createWithParents, deleteIfPresent, nodeName, parentOf } from './paths.js';

export interface PersistentNodeEvents {
  /** The node was (re)created at this path. */
  created: [string];
}

export class PersistentNode extends Emitter<PersistentNodeEvents> {
  private currentPath: string | null = null;
  private running = false;
  private data: Uint8Array | null;
  private making: Promise<void> | null = null;
  private readonly onState = (state: ConnectionState) => {
    if (state === 'RECONNECTED' && this.running) this.ensure();
  };

  constructor(
    private readonly client: Cairn,
    readonly basePath: string,
    data: DataInput,
    readonly mode: number = CreateMode.EPHEMERAL,
    /** For sequential modes: the protected `_c_<uuid>-` name (Curator's useProtection). */
    private readonly protectedName = false,
  ) {
    super();
    this.data = toData(data);
  }

  /** The node's path once created. */
  get path(): string | null {
    return this.currentPath;
  }

  /** Creates the node; resolves once it exists. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.client.on('state', this.onState);
    this.ensure();
    await this.making;
  }

  /** Resolves once the node exists (at most `timeoutMs`); false otherwise. */
  async waitForInitialCreate(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.currentPath === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.currentPath !== null;
  }

  /** New data for the node (kept for every re-creation). */
  async setData(data: DataInput): Promise<void> {
    this.data = toData(data);
    if (this.currentPath !== null) await this.client.setData(this.currentPath, this.data).catch(() => this.ensure());
  }

  async close(): Promise<void> {
    this.running = false;
    this.client.off('state', this.onState);
    await this.making?.catch(() => undefined);
    const path = this.currentPath;
    this.currentPath = null;
    if (path === null) return;
    await deleteIfPresent(this.client, path);
  }

  private ensure(): void {
    if (this.making !== null || !this.running) return;
    this.making = this.make().finally(() => (this.making = null));
  }

  private async make(): Promise<void> {
    for (let attempt = 0; this.running; attempt++) {
      try {
        const path = await this.createOrAdopt();
        this.currentPath = path;
        this.emit('created', path);
        const { stat, watch } = await this.client.exists(path, { watch: true });
        if (stat === null) continue;
        // Made again when it goes; a failed watch (the session was lost) waits for RECONNECTED.
        void watch.then(
          () => this.ensure(),
          () => undefined,
        );
        return;
      } catch {
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** Math.min(attempt, 4))));
      }
    }
  }

  private async createOrAdopt(): Promise<string> {
    const sequential = this.mode === CreateMode.EPHEMERAL_SEQUENTIAL || this.mode === CreateMode.PERSISTENT_SEQUENTIAL;
    if (sequential && this.protectedName) return createProtectedSequential(this.client, parentOf(this.basePath), nodeName(this.basePath), this.data, this.mode);
    try {
      return await createWithParents(this.client, this.basePath, this.data, this.mode);
    } catch (error) {
      if (!(isKeeperError(error) && error.codeName === 'NodeExists')) throw error;
      // Ours from before a reconnect, or an expiring session's: take its data over (as Curator's
      // PersistentNode does); if it goes with that session, the watch makes ours.
      await this.client.setData(this.basePath, this.data);
      return this.basePath;
    }
  }
}
