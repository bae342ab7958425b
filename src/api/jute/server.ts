// The ZooKeeper client port: a TCP listener speaking ZooKeeper's own protocol (jute frames),
// with ZooKeeper's per-IP connection limit (maxClientCnxns) and four-letter words.

import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { assert } from '../../core/errors.js';
import type { WatchManager } from '../../core/watches.js';
import type { ServerFacade } from '../../server/facade.js';
import type { NodeInfo, SessionInfoEntry } from '../../server/node.js';
import { JuteConnection, type ConnectionHooks, type ConnectionSettings } from './connection.js';
import {
  answerFourLetterWord,
  isFourLetterWord,
  LatencyStats,
  type ConnectionView,
  type FourLetterWordContext,
  type PortStats,
} from './four-letter-words.js';

export interface JuteServerConfig {
  clientPort: number;
  clientPortAddress: string;
  maxClientCnxns: number;
  juteMaxBuffer: number;
  fourLetterWordWhitelist: readonly string[];
  dataDir: string;
  dataLogDir: string;
  tickTimeMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  globalOutstandingLimit: number;
}

export interface JuteServerOptions {
  facade: ServerFacade;
  /** What four-letter words report (CairnNode provides it). */
  node: {
    info(): NodeInfo;
    sessionsInfo(): SessionInfoEntry[];
    readonly watches: WatchManager;
  };
  config: JuteServerConfig;
  logger: Logger;
  /** ZooKeeper's sessionless connection timeout (zookeeper.nio.sessionlessCnxnTimeout). */
  handshakeTimeoutMs?: number;
}

export interface RunningJuteServer {
  port: number;
  connectionCount(): number;
  /** Stops listening and drops every connection; sessions stay with the node. */
  close(): Promise<void>;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Unsent output one connection may hold; a client further behind is not reading. */
const MAX_OUTBOUND_BYTES = 64 * 1024 * 1024;

interface Tracked {
  connection: JuteConnection;
  latency: LatencyStats;
  lastResponseMs: number;
}

export async function startJuteServer(options: JuteServerOptions): Promise<RunningJuteServer> {
  const { config, logger } = options;
  const tracked = new Map<JuteConnection, Tracked>();
  const perAddress = new Map<string, number>();
  const stats: PortStats = {
    packetsReceived: 0,
    packetsSent: 0,
    latency: new LatencyStats(),
    authFailed: 0,
    connectionsRejected: 0,
    sessionlessExpired: 0,
  };
  const settings: ConnectionSettings = {
    maxFrameBytes: config.juteMaxBuffer,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    maxOutstanding: Math.max(1, config.globalOutstandingLimit),
    maxOutboundBytes: MAX_OUTBOUND_BYTES + config.juteMaxBuffer,
  };

  const view = (entry: Tracked, asking: JuteConnection | null): ConnectionView => ({
    remoteAddress: entry.connection.remoteAddress,
    remotePort: entry.connection.remotePort,
    outstanding: entry.connection.outstanding,
    packetsReceived: entry.connection.packetsReceived,
    packetsSent: entry.connection.packetsSent,
    sessionId: entry.connection.sessionId,
    sessionTimeoutMs: entry.connection.sessionTimeoutMs,
    lastOperation: entry.connection.lastOperation,
    establishedMs: entry.connection.establishedMs,
    lastZxid: entry.connection.lastZxid,
    lastResponseMs: entry.lastResponseMs,
    lastLatencyMs: entry.connection.lastLatencyMs,
    latency: entry.latency,
    asking: entry.connection === asking,
  });

  let boundPort = config.clientPort;
  const fourLetterContext = (asking: JuteConnection): FourLetterWordContext => ({
    whitelist: config.fourLetterWordWhitelist,
    node: options.node,
    // conf shows the port clients reach, also when the configuration asked for any free one.
    config: { ...config, clientPort: boundPort },
    stats,
    connections: () => [...tracked.values()].map((entry) => view(entry, asking)),
    resetConnectionStats: () => {
      for (const entry of tracked.values()) {
        entry.latency.reset();
        entry.connection.packetsReceived = 0;
        entry.connection.packetsSent = 0;
      }
    },
  });

  const hooks: ConnectionHooks = {
    isFourLetterWord,
    fourLetterWord: (connection, word) => answerFourLetterWord(word, fourLetterContext(connection)),
    onPacketReceived: () => stats.packetsReceived++,
    onPacketSent: () => stats.packetsSent++,
    onRequestDone: (connection, latencyMs) => {
      stats.latency.add(latencyMs);
      const entry = tracked.get(connection);
      if (entry === undefined) return;
      entry.latency.add(latencyMs);
      entry.lastResponseMs = Date.now();
    },
    onAuthFailed: () => stats.authFailed++,
    onHandshakeTimeout: () => stats.sessionlessExpired++,
    onClosed: (connection) => {
      if (!tracked.delete(connection)) return;
      const remaining = (perAddress.get(connection.remoteAddress) ?? 0) - 1;
      assert(remaining >= 0, 'per-address connection counts never go negative');
      if (remaining === 0) perAddress.delete(connection.remoteAddress);
      else perAddress.set(connection.remoteAddress, remaining);
    },
  };

  const accept = (socket: Socket): void => {
    const address = socket.remoteAddress ?? 'unknown';
    const current = perAddress.get(address) ?? 0;
    if (config.maxClientCnxns > 0 && current >= config.maxClientCnxns) {
      // NIOServerCnxnFactory: "Too many connections from <ip> - max is <n>", then closed.
      stats.connectionsRejected++;
      logger.warn({ client: address, maxClientCnxns: config.maxClientCnxns }, 'too many connections from one address; closing');
      socket.destroy();
      return;
    }
    perAddress.set(address, current + 1);
    const connection = new JuteConnection(socket, options.facade, settings, hooks, logger);
    tracked.set(connection, { connection, latency: new LatencyStats(), lastResponseMs: 0 });
    connection.start();
  };

  const server: Server = createServer({ noDelay: true }, accept);
  server.on('error', (error) => logger.error({ err: error }, 'ZooKeeper client port error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.clientPortAddress, port: config.clientPort }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  assert(address !== null && typeof address !== 'string', 'the client port has a TCP address');
  boundPort = address.port;

  return {
    port: address.port,
    connectionCount: () => tracked.size,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of [...tracked.keys()]) connection.close('the server is shutting down');
      await closed;
    },
  };
}
