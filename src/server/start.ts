// Starts one standalone server: recover the state from disk, open the log, start the node and the
// facades, and print where it listens.

import type { Logger } from 'pino';
import { startGrpcServer } from '../api/grpc/service.js';
import { httpLimitsFromEnvironment, startHttpServer } from '../api/http/app.js';
import { RequestMeter } from '../api/http/request-meter.js';
import { startJuteServer } from '../api/jute/server.js';
import type { ServerConfig } from './config.js';
import { CairnNode } from './node.js';
import { openPersistence } from './persistence.js';

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

export async function startServer(config: ServerConfig, logger: Logger): Promise<RunningServer> {
  const startedMs = Date.now();
  const { state, persistence } = await openPersistence({
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    snapRetainCount: config.autopurgeSnapRetainCount,
    logger,
  });
  logger.info({ zxid: `0x${state.lastZxid.toString(16)}`, znodes: state.tree.size, sessions: state.sessions.size, recoveryMs: Date.now() - startedMs }, 'state recovered');
  const node = new CairnNode(
    state,
    persistence,
    {
      serverId: 0,
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
    ready: () => ({ status: 'ok', zxid: `0x${node.lastZxid().toString(16)}` }),
  });
  const httpPort = http.port;
  const jute = await startJuteServer({ facade: meter.wrap(node, 'jute'), node, config, logger });
  logger.info({ clientPort: jute.port, grpcPort: grpc.port, httpPort, host: config.clientPortAddress, dataDir: config.dataDir }, 'cairn serving');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await jute.close();
      await http.close();
      await grpc.close();
      await node.stop();
      logger.info('cairn stopped');
    })();
    return stopping;
  };
  return { node, grpcPort: grpc.port, httpPort, clientPort: jute.port, stop };
}
