// The ZooKeeper client ports: TCP listeners speaking ZooKeeper's own protocol (jute frames), the
// plaintext clientPort and, with TLS configured, the secureClientPort, with ZooKeeper's per-IP
// connection limit (maxClientCnxns, counted over both) and four-letter words. A client whose
// certificate verified holds its x509 identity (the subject DN) from the handshake on, as with
// ZooKeeper's X509AuthenticationProvider.

import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { assert } from '../../core/errors.js';
import type { WatchManager } from '../../core/watches.js';
import type { ServerFacade } from '../../server/facade.js';
import type { NodeInfo, SessionInfoEntry } from '../../server/node.js';
import { certificateIdentities, clientCertificateRefusal, x509Identity, type TlsContext } from '../../server/tls.js';
import type { AuthId } from '../../core/acl.js';
import { commandPolicy } from '../admin-policy.js';
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
  /** The plaintext port; null: only the secure one is served (ZooKeeper's zoo.cfg without clientPort). */
  clientPort: number | null;
  clientPortAddress: string;
  maxClientCnxns: number;
  juteMaxBuffer: number;
  fourLetterWordWhitelist: readonly string[];
  /** Words whose commands need credentials: the client port, which cannot authenticate them, refuses them. */
  httpCommandsAuthRequired: readonly string[];
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
  /** The secureClientPort: the same protocol over TLS. Absent: no TLS port. */
  secure?: { port: number; tls: TlsContext };
}

export interface RunningJuteServer {
  /** The plaintext clientPort, or null when only the secure one is served. */
  port: number | null;
  /** The secureClientPort, or null without TLS. */
  securePort: number | null;
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

  let boundPort: number | null = null;
  let boundSecurePort: number | null = null;
  const fourLetterContext = (asking: JuteConnection): FourLetterWordContext => ({
    policy: commandPolicy(config),
    node: options.node,
    // conf shows the port clients reach, also when the configuration asked for any free one.
    config: { ...config, clientPort: boundPort, secureClientPort: boundSecurePort },
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

  const accept = (socket: Socket, certificateIds: readonly AuthId[] = []): void => {
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
    const connection = new JuteConnection(socket, options.facade, settings, hooks, logger, certificateIds);
    tracked.set(connection, { connection, latency: new LatencyStats(), lastResponseMs: 0 });
    connection.start();
  };

  const listening: Server[] = [];
  const listen = async (server: Server, port: number, name: string): Promise<number> => {
    server.on('error', (error) => logger.error({ err: error }, `${name} error`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: config.clientPortAddress, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    listening.push(server);
    const address = server.address();
    assert(address !== null && typeof address !== 'string', `the ${name} has a TCP address`);
    return address.port;
  };

  const plainPort = config.clientPort === null ? null : await listen(createServer({ noDelay: true }, (socket) => accept(socket)), config.clientPort, 'ZooKeeper client port');
  boundPort = plainPort;
  let securePort: number | null = null;
  if (options.secure !== undefined) {
    const { tls } = options.secure;
    const secureServer = createTlsServer({ ...tls.serverOptions(), noDelay: true, handshakeTimeout: settings.handshakeTimeoutMs }, (socket: TLSSocket) => {
      const refusal = clientCertificateRefusal(socket, tls.settings.clientAuth);
      if (refusal !== null) {
        logger.warn({ client: socket.remoteAddress, reason: refusal }, 'refusing a TLS client on the secure client port');
        stats.authFailed++;
        socket.destroy();
        return;
      }
      accept(socket, certificateIdentities(x509Identity(socket), tls.settings.superUser));
    });
    // Plaintext, a certificate OpenSSL refused, or a client that gave up: nothing reached us.
    secureServer.on('tlsClientError', (error, socket) => {
      logger.warn({ client: socket.remoteAddress, reason: error.message }, 'TLS handshake failed on the secure client port');
      socket.destroy();
    });
    const detach = tls.attach(secureServer);
    secureServer.on('close', detach);
    securePort = await listen(secureServer, options.secure.port, 'ZooKeeper secure client port');
    boundSecurePort = securePort;
  }

  return {
    port: plainPort,
    securePort,
    connectionCount: () => tracked.size,
    close: async () => {
      const closed = Promise.all(listening.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const connection of [...tracked.keys()]) connection.close('the server is shutting down');
      await closed;
    },
  };
}
