// A node's upkeep, apart from any client's request: reaping empty containers and TTL nodes past
// their TTL (proposed like any write, by the server that prepares writes), and a snapshot every
// snapCount applied txns, so that recovery replays a short log.

import type { Logger } from 'pino';
import { reapCandidates } from '../core/reaper.js';
import type { Persistence } from './persistence.js';
import type { Current, WritePipeline } from './pipeline.js';
import type { Replicator } from './replicator.js';
import type { World } from './world.js';

export interface MaintenanceOptions {
  current: Current;
  replicator: Pick<Replicator, 'nextZxid'>;
  pipeline: Pick<WritePipeline, 'propose'>;
  persistence: Pick<Persistence, 'snapshot'>;
  stats: { snapshots: number; lastSnapshotMs: number };
  snapCount: number;
  isStopping: () => boolean;
  world: World;
  logger: Logger;
}

export class Maintenance {
  private txnsSinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;
  private readonly current: Current;
  private readonly replicator: Pick<Replicator, 'nextZxid'>;
  private readonly pipeline: Pick<WritePipeline, 'propose'>;
  private readonly persistence: Pick<Persistence, 'snapshot'>;
  private readonly stats: MaintenanceOptions['stats'];
  private readonly snapCount: number;
  private readonly isStopping: () => boolean;
  private readonly world: World;
  private readonly logger: Logger;

  constructor(options: MaintenanceOptions) {
    this.current = options.current;
    this.replicator = options.replicator;
    this.pipeline = options.pipeline;
    this.persistence = options.persistence;
    this.stats = options.stats;
    this.snapCount = options.snapCount;
    this.isStopping = options.isStopping;
    this.world = options.world;
    this.logger = options.logger;
  }

  /** Removes empty containers that once had children and TTL nodes unmodified past their TTL. */
  reap(): void {
    if (this.isStopping()) return;
    const candidates = reapCandidates(this.current.state.tree, this.world.nowMs());
    for (const path of candidates) {
      const zxid = this.replicator.nextZxid();
      if (zxid === null) return; // not ours to reap now: the leader does it
      const txn = this.current.prep.prepareDeleteContainer(path, zxid);
      if (txn === null) continue;
      this.pipeline.propose(0, 0, zxid, txn).catch((error) => this.logger.warn({ err: error, path }, 'could not reap the node now'));
    }
  }

  /** A txn was applied: every snapCount of them, a snapshot starts. */
  onApplied(): void {
    if (++this.txnsSinceSnapshot >= this.snapCount) this.startSnapshot();
  }

  /** The snapshot being written, if any (a stop waits for it). */
  get snapshotInProgress(): Promise<void> | null {
    return this.snapshotting;
  }

  private startSnapshot(): void {
    if (this.snapshotting !== null) return;
    this.txnsSinceSnapshot = 0;
    const startedMs = this.world.nowMs();
    this.snapshotting = this.persistence
      .snapshot(this.current.state)
      .then((zxid) => {
        this.stats.snapshots++;
        this.stats.lastSnapshotMs = this.world.nowMs() - startedMs;
        this.logger.info({ zxid: `0x${zxid.toString(16)}`, durationMs: this.stats.lastSnapshotMs }, 'snapshot written');
      })
      .catch((error) => this.logger.error({ err: error }, 'snapshot failed; the log still holds every txn'))
      .finally(() => (this.snapshotting = null));
  }

  /** Takes a snapshot now (admin command and tests). */
  async snapshotNow(): Promise<void> {
    this.startSnapshot();
    await this.snapshotting;
  }
}
