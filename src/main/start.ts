// Starts one standalone server: recover the state from disk, open the log, start the node and the
// facades, and print where it listens.

import type { Logger } from 'pino';
import { startGrpcServer } from '../api/grpc/service.js';
import { httpLimitsFromEnvironment, startHttpServer } from '../api/http/app.js';
import { RequestMeter } from '../api/http/request-meter.js';
import { startJuteServer } from '../api/jute/server.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleNode } from '../server/assemble.js';
import type { ServerConfig } from '../server/config.js';
import { parseEnsemble, type Ensemble } from '../server/ensemble-config.js';
import { storageDirectory } from '../server/persistence.js';
import { lockDirectories } from '../storage/lock.js';
import type { CairnNode } from '../server/node.js';
import { PeerTransport, type PeerAddress } from '../server/peer-transport.js';
import { TlsContext } from '../server/tls.js';
import { nodeWorld } from '../server/world.js';
import type { ServerId } from '../zab/types.js';

export interface RunningServer {
  node: CairnNode;
  grpcPort: number;
  httpPort: number;
  /** The ZooKeeper wire-protocol port; null when only secureClientPort is served. */
  clientPort: number | null;
  /** The same protocol over TLS (secureClientPort), or null when not configured. */
  secureClientPort: number | null;
  /** Stop accepting, finish in-flight writes, fsync, close. */
  stop(): Promise<void>;
}

/** What the admin commands report as the server's version. */
const CAIRN_VERSION = '0.1.0';

/** Unanswered requests one session may have before it is throttled (ZooKeeper has a global limit). */
const SESSION_OUTSTANDING_LIMIT = 10_000;


/** The addresses of every server; this server binds its quorum and election ports on its own host. */
function peerAddresses(ensemble: Ensemble): Map<ServerId, PeerAddress> {
  const peers = new Map<ServerId, PeerAddress>();
  for (const server of ensemble.servers.values()) peers.set(server.id, { host: server.host, quorumPort: server.quorumPort, electionPort: server.electionPort });
  return peers;
}

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
  const ensemble = readEnsemble(config);
  // A second server on the same directories would interleave its log with ours; it stops here.
  const storageLock = await lockDirectories([storageDirectory(config.dataDir), storageDirectory(config.dataLogDir)]);
  let transport: PeerTransport | null = null;
  // TLS between servers: read now, so a bad store stops the start with its file named.
  const quorumTls = config.quorumTls === null ? null : new TlsContext(config.quorumTls, logger);
  const node = await assembleNode({
    world: nodeWorld,
    logger,
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    snapRetainCount: config.autopurgeSnapRetainCount,
    settings: {
      serverId: ensemble?.self ?? 0,
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      maxDataBytes: config.juteMaxBuffer,
      extendedTypesEnabled: config.extendedTypesEnabled,
      enforceQuota: config.enforceQuota,
      superDigest: config.superDigest,
      snapCount: config.snapCount,
      containerCheckIntervalMs: config.containerCheckIntervalMs,
      sessionOutstandingLimit: SESSION_OUTSTANDING_LIMIT,
    },
    ensemble:
      ensemble === null
        ? null
        : {
            self: ensemble.self,
            membership: ensemble.membership,
            link: (events) =>
              (transport = new PeerTransport({
                self: ensemble.self,
                peers: peerAddresses(ensemble),
                logger,
                ...events,
                ...(quorumTls === null ? {} : { tls: { context: quorumTls, hostnameVerification: config.quorumTls!.hostnameVerification } }),
              })),
            initLimit: config.initLimit,
            syncLimit: config.syncLimit,
            syncHistoryTxns: config.syncHistoryTxns,
          },
  });
  await node.start();
  // Read once here, so a bad store stops the start with its file named; then followed as it changes.
  const clientTls = config.clientTls === null ? null : new TlsContext(config.clientTls, logger);
  // Every transport's requests are counted and timed the same way, for /metrics.
  const meter = new RequestMeter();
  const grpc = await startGrpcServer({
    facade: meter.wrap(node, 'grpc'),
    host: config.clientPortAddress,
    port: config.grpcPort,
    logger,
    maxMessageBytes: config.juteMaxBuffer + 64 * 1024,
    ...(clientTls === null ? {} : { tls: clientTls }),
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
    ...(clientTls === null ? {} : { tls: clientTls }),
  });
  const httpPort = http.port;
  const jute = await startJuteServer({
    facade: meter.wrap(node, 'jute'),
    node,
    config,
    logger,
    ...(clientTls !== null && config.secureClientPort !== null ? { secure: { port: config.secureClientPort, tls: clientTls } } : {}),
  });
  const peers = transport as PeerTransport | null;
  const peerPorts = peers === null ? {} : { serverId: ensemble!.self, quorumPort: peers.quorumPort, electionPort: peers.electionPort };
  const securePorts = jute.securePort === null ? {} : { secureClientPort: jute.securePort };
  logger.info({ clientPort: jute.port, ...securePorts, grpcPort: grpc.port, httpPort, host: config.clientPortAddress, dataDir: config.dataDir, ...peerPorts }, 'cairn serving');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await jute.close();
      await http.close();
      await grpc.close();
      await node.stop();
      clientTls?.close();
      quorumTls?.close();
      await storageLock.release();
      logger.info('cairn stopped');
    })();
    return stopping;
  };
  return { node, grpcPort: grpc.port, httpPort, clientPort: jute.port, secureClientPort: jute.securePort, stop };
}
