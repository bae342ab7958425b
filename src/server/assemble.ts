// Builds one server node from its data directory: recover the state, open the log, read the
// epochs, and give the node its replicator (ZAB for an ensemble member). The real process
// (src/main/start.ts) and the simulator both build their nodes here, each with its own world.

import type { Logger } from 'pino';
import { zxidEpoch } from '../core/types.js';
import { readEpochs } from '../storage/epochs.js';
import type { Membership, ServerId } from '../zab/types.js';
import { CairnNode, type NodeObserver, type NodeSettings } from './node.js';
import type { PeerLink, PeerLinkEvents } from './peer-link.js';
import { openPersistence, recoverState } from './persistence.js';
import type { ReplicationListener } from './replicator.js';
import type { World } from './world.js';
import { ZabReplicator } from './zab-replicator.js';

export interface EnsembleMembership {
  self: ServerId;
  membership: Membership;
  /** Opens this server's link to the others. */
  link: (events: PeerLinkEvents) => PeerLink;
  initLimit: number;
  syncLimit: number;
  /** Committed txns the leader keeps in memory to bring a lagging learner level by DIFF. */
  syncHistoryTxns: number;
  /** The last zxid counter a leader may use in an epoch (default 2³²−1; the simulation shortens it). */
  zxidCounterLimit?: number;
}

export interface NodeAssemblyOptions {
  world: World;
  logger: Logger;
  dataDir: string;
  dataLogDir: string;
  snapRetainCount: number;
  settings: NodeSettings;
  /** null: a standalone server. */
  ensemble: EnsembleMembership | null;
  /** Log file preallocation; the simulator uses small values. */
  preallocateBytes?: number;
  /** Told of every txn the node applies (the simulator checks its invariants with it). */
  observer?: NodeObserver;
}

export async function assembleNode(options: NodeAssemblyOptions): Promise<CairnNode> {
  const { world, logger, ensemble } = options;
  const startedMs = world.nowMs();
  const { state, persistence, history, historyBase } = await openPersistence({
    world,
    dataDir: options.dataDir,
    dataLogDir: options.dataLogDir,
    snapRetainCount: options.snapRetainCount,
    logger,
    historyLimit: ensemble === null ? 0 : ensemble.syncHistoryTxns,
    ...(options.preallocateBytes === undefined ? {} : { preallocateBytes: options.preallocateBytes }),
  });
  logger.info({ zxid: `0x${state.lastZxid.toString(16)}`, znodes: state.tree.size, sessions: state.sessions.size, recoveryMs: world.nowMs() - startedMs }, 'state recovered');
  const makeReplicator =
    ensemble === null
      ? undefined
      : (listener: ReplicationListener) =>
          new ZabReplicator({
            world,
            self: ensemble.self,
            membership: ensemble.membership,
            link: ensemble.link,
            tickTimeMs: options.settings.tickTimeMs,
            initLimit: ensemble.initLimit,
            syncLimit: ensemble.syncLimit,
            historyLimit: ensemble.syncHistoryTxns,
            persistence,
            hardState: readEpochs(world.fs, persistence.dir, zxidEpoch(state.lastZxid)),
            recovered: { history, historyBase, lastZxid: state.lastZxid },
            reload: async () => (await recoverState(world, persistence.dir, logger)).state,
            listener,
            logger,
            ...(ensemble.zxidCounterLimit === undefined ? {} : { zxidCounterLimit: ensemble.zxidCounterLimit }),
          });
  return new CairnNode({
    state,
    persistence,
    settings: options.settings,
    logger,
    world,
    ...(makeReplicator === undefined ? {} : { makeReplicator }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
}
