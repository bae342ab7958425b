// Starts one standalone server: recover the state from disk, open the log, start the node and the
// facades, and print where it listens.

import type { Logger } from 'pino';
import { startGrpcServer } from '../api/grpc/service.js';
import { httpLimitsFromEnvironment, startHttpServer } from '../api/http/app.js';
import { RequestMeter } from '../api/http/request-meter.js';
import { startJuteServer } from '../api/jute/server.js';
import type { ServerConfig } from '../server/config.js';
import { CairnNode } from '../server/node.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zxidEpoch } from '../core/types.js';
import { readEpochs } from '../storage/epochs.js';
import { parseEnsemble, type Ensemble } from '../server/ensemble-config.js';
import { storageDirectory } from '../server/persistence.js';
import { lockDirectories } from '../storage/lock.js';
import { openPersistence, recoverState } from '../server/persistence.js';
import type { ReplicationListener } from '../server/replicator.js';
import { ZabReplicator } from '../server/zab-replicator.js';

export interface RunningServer {
  node: CairnNode;
  grpcPort: number;
  httpPort: number;
  /** The ZooKeeper wire-protocol port. */
  clientPort: number;
  /** Stop accepting, finish in-flight writes, fsync, close. */
  stop(): Promise<void>;
}

/** What the admin commands report as the server's version. */
const CAIRN_VERSION = '0.1.0';

/** Unanswered requests one session may have before it is throttled (ZooKeeper has a global limit). */
const SESSION_OUTSTANDING_LIMIT = 10_000;


/** An ensemble member when the config has server.N lines; `myid` in dataDir says which one. */
function readEnsemble(config: ServerConfig): Ensemble | null {
  if (config.servers.size === 0) return null;
  let myid: string;
  try {
    myid = readFileSync(join(config.dataDir, 'myid'), 'utf8');
  } catch (error) {
    throw new Error(`server.N lines are configured but ${join(config.dataDir, 'myid')} cannot be read: ${(error as Error).message}`);
  }
  return parseEnsemble(config.servers, myid);
}

export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const startedMs = Date.now();
  const ensemble = readEnsemble(config);
  // A second server on the same directories would interleave its log with ours; it stops here.
  const storageLock = await lockDirectories([storageDirectory(config.dataDir), storageDirectory(config.dataLogDir)]);
  const { state, persistence, history, historyBase } = await openPersistence({
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    snapRetainCount: config.autopurgeSnapRetainCount,
    logger,
    historyLimit: ensemble === null ? 0 : config.syncHistoryTxns,
  });
  let zab: ZabReplicator | null = null;
  const makeReplicator =
    ensemble === null
      ? undefined
      : (listener: ReplicationListener) =>
          (zab = new ZabReplicator({
            ensemble,
            bindHost: ensemble.servers.get(ensemble.self)!.host,
            tickTimeMs: config.tickTimeMs,
            initLimit: config.initLimit,
            syncLimit: config.syncLimit,
            historyLimit: config.syncHistoryTxns,
            persistence,
            hardState: readEpochs(persistence.dir, zxidEpoch(state.lastZxid)),
            recovered: { history, historyBase, lastZxid: state.lastZxid },
            reload: async () => (await recoverState(persistence.dir, logger)).state,
            listener,
            logger,
          }));
  logger.info({ zxid: `0x${state.lastZxid.toString(16)}`, znodes: state.tree.size, sessions: state.sessions.size, recoveryMs: Date.now() - startedMs }, 'state recovered');
  const node = new CairnNode(
    state,
    persistence,
    {
      serverId: ensemble?.self ?? 0,
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      maxDataBytes: config.juteMaxBuffer,
      extendedTypesEnabled: config.extendedTypesEnabled,
      superDigest: config.superDigest,
      snapCount: config.snapCount,
      containerCheckIntervalMs: config.containerCheckIntervalMs,
      sessionOutstandingLimit: SESSION_OUTSTANDING_LIMIT,
    },
    logger,
    makeReplicator,
  );
  await node.start();
  // Every transport's requests are counted and timed the same way, for /metrics.
  const meter = new RequestMeter();
  const grpc = await startGrpcServer({
    facade: meter.wrap(node, 'grpc'),
    host: config.clientPortAddress,
    port: config.grpcPort,
    logger,
    maxMessageBytes: config.juteMaxBuffer + 64 * 1024,
  });
  const http = await startHttpServer({
    facade: meter.wrap(node, 'http'),
    admin: node,
    meter,
    config,
    logger,
    version: CAIRN_VERSION,
    limits: httpLimitsFromEnvironment(),
    ready: () => (node.serving ? { status: 'ok', zxid: `0x${node.lastZxid().toString(16)}` } : null),
  });
  const httpPort = http.port;
  const jute = await startJuteServer({ facade: meter.wrap(node, 'jute'), node, config, logger });
  const peerPorts = zab === null ? {} : { serverId: ensemble!.self, ...(zab as ZabReplicator).ports };
  logger.info({ clientPort: jute.port, grpcPort: grpc.port, httpPort, host: config.clientPortAddress, dataDir: config.dataDir, ...peerPorts }, 'cairn serving');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await jute.close();
      await http.close();
      await grpc.close();
      await node.stop();
      await storageLock.release();
      logger.info('cairn stopped');
    })();
    return stopping;
  };
  return { node, grpcPort: grpc.port, httpPort, clientPort: jute.port, stop };
}
