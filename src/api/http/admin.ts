// ZooKeeper AdminServer-style commands under /commands/, as JSON. Each answer carries `command`
// and `error` (null) as ZooKeeper's AdminServer does; names and short aliases follow ZooKeeper
// (server_stats/srvr, monitor/mntr, ...), plus `hash` (the tree digest) and `last_zxid`.
//
// Each command is gated by a four-letter word (src/api/admin-policy.ts): 4lw.commands.whitelist
// enables it here as on the client port, and http.commands.authRequired makes it need
// credentials. Those are checked as ZooKeeper 3.9's AdminServer checks the commands it
// authenticates (snapshot, restore): the request must authenticate (here `Authorization: Basic`,
// the digest scheme, beside the peer's ip identity), and its identities must hold every permission
// of ALL on the root znode, each bit checked on its own.

import { hostname } from 'node:os';
import { readdirSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { checkACL, type AuthId } from '../../core/acl.js';
import { keeperError } from '../../core/errors.js';
import { Perms, type ACL } from '../../core/types.js';
import type { ServerConfig } from '../../server/config.js';
import { httpCommandAccess, type CommandAccess, type CommandPolicy } from '../admin-policy.js';
import { basicCredentials, peerIdentities } from './identity.js';
import type { NodeInfo, SessionInfoEntry } from '../../server/node.js';
import type { WatchManager } from '../../core/watches.js';
import { HttpOnlyProblem, HttpRefusal } from './problem.js';

/** What the admin commands read from the node. */
export interface AdminSource {
  info(): NodeInfo;
  sessionsInfo(): SessionInfoEntry[];
  readonly watches: WatchManager;
}

/** What the HTTP port adds: its own streams and sessions. */
export interface TransportCounts {
  sseStreams: number;
  webSockets: number;
  httpSessions: number;
}

export interface AdminContext {
  source: AdminSource;
  config: ServerConfig;
  version: string;
  transports: () => TransportCounts;
  policy: CommandPolicy;
  /** The root znode's ACL, read as a caller with these identities (NoAuth when they may not read it). */
  rootAcl(identities: AuthId[]): Promise<ACL[]>;
}

type Command = (context: AdminContext) => Record<string, unknown>;

const hex = (value: number) => `0x${value.toString(16)}`;

function serverStats(context: AdminContext): Record<string, unknown> {
  const info = context.source.info();
  const transports = context.transports();
  return {
    version: context.version,
    read_only: false,
    server_stats: {
      server_state: info.serverState,
      last_processed_zxid: info.lastZxid,
      last_processed_zxid_hex: hex(info.lastZxid),
      node_count: info.znodeCount,
      outstanding_requests: info.outstandingWrites,
      num_alive_client_connections: info.attachedSessionCount + transports.sseStreams,
      requests: info.requests,
      reads: info.reads,
      writes: info.writes,
      uptime_ms: Date.now() - info.startedAtMs,
      fsync_count: info.log.syncCount ?? 0,
      fsync_max_ms: info.log.maxSyncLatencyMs ?? 0,
    },
    node_count: info.znodeCount,
  };
}

function watchTables(source: AdminSource): Iterable<[string, ReadonlySet<number>]>[] {
  const watches = source.watches;
  return [watches.data.entries(), watches.child.entries(), watches.persistent.entries(), watches.persistentRecursive.entries()];
}

/** Session ids as ZooKeeper prints them; stateless HTTP/gRPC watch streams as stream-N. */
function watcherName(watcher: number): string {
  return watcher > 0 ? hex(watcher) : `stream-${-watcher}`;
}

function connections(context: AdminContext): Record<string, unknown>[] {
  return context.source.sessionsInfo().map((session) => ({
    session_id: hex(session.sessionId),
    session_timeout: session.timeoutMs,
    attached: session.attached,
    outstanding_requests: session.outstanding,
    auth_info: session.identities.map((id) => ({ scheme: id.scheme, id: id.id })),
    ephemeral_count: session.ephemerals.length,
  }));
}

interface CommandEntry {
  aliases: string[];
  /** The four-letter word that gates it (src/api/admin-policy.ts). */
  word: string;
  run: Command;
}

/** /metrics shows what mntr shows, so mntr gates it. */
export const METRICS_WORD = 'mntr';

const COMMANDS: ReadonlyMap<string, CommandEntry> = new Map<string, CommandEntry>([
  ['ruok', { aliases: [], word: 'ruok', run: () => ({}) }],
  ['server_stats', { aliases: ['srvr'], word: 'srvr', run: serverStats }],
  ['stats', { aliases: ['stat'], word: 'stat', run: (context) => ({ ...serverStats(context), connections: connections(context) }) }],
  [
    'monitor',
    {
      aliases: ['mntr'],
      word: 'mntr',
      run: (context) => {
        const info = context.source.info();
        const transports = context.transports();
        return {
          version: context.version,
          server_state: info.serverState,
          znode_count: info.znodeCount,
          watch_count: info.watchCount,
          ephemerals_count: info.ephemeralCount,
          global_sessions: info.sessionCount,
          num_alive_connections: info.attachedSessionCount + transports.sseStreams,
          outstanding_requests: info.outstandingWrites,
          last_zxid: info.lastZxid,
          digest: info.digest,
          snapshots: info.snapshots,
          last_snapshot_ms: info.lastSnapshotMs,
          fsync_count: info.log.syncCount ?? 0,
          fsync_total_ms: info.log.totalSyncLatencyMs ?? 0,
          fsync_max_ms: info.log.maxSyncLatencyMs ?? 0,
          http_sse_streams: transports.sseStreams,
          http_websockets: transports.webSockets,
          http_sessions: transports.httpSessions,
          open_file_descriptor_count: openFileDescriptors(),
          uptime_ms: Date.now() - info.startedAtMs,
        };
      },
    },
  ],
  [
    'configuration',
    {
      aliases: ['conf'],
      word: 'conf',
      run: ({ config }) => ({
        client_port: config.clientPort,
        client_port_address: config.clientPortAddress,
        grpc_port: config.grpcPort,
        http_port: config.httpPort,
        data_dir: config.dataDir,
        data_log_dir: config.dataLogDir,
        tick_time: config.tickTimeMs,
        max_client_cnxns: config.maxClientCnxns,
        min_session_timeout: config.minSessionTimeoutMs,
        max_session_timeout: config.maxSessionTimeoutMs,
        snap_count: config.snapCount,
        jute_max_buffer: config.juteMaxBuffer,
        extended_types_enabled: config.extendedTypesEnabled,
        server_id: 0,
        standalone: config.standaloneEnabled,
      }),
    },
  ],
  ['connections', { aliases: ['cons'], word: 'cons', run: (context) => ({ connections: connections(context), secure_connections: [] }) }],
  [
    'watch_summary',
    {
      aliases: ['wchs'],
      word: 'wchs',
      run: ({ source }) => {
        const watchers = new Set<number>();
        const paths = new Set<string>();
        for (const table of watchTables(source)) {
          for (const [path, ids] of table) {
            paths.add(path);
            for (const id of ids) watchers.add(id);
          }
        }
        return { num_connections: watchers.size, num_paths: paths.size, num_total_watches: source.watches.watchCount };
      },
    },
  ],
  [
    'watches',
    {
      aliases: ['wchc'],
      word: 'wchc',
      run: ({ source }) => {
        const byWatcher: Record<string, string[]> = {};
        for (const table of watchTables(source)) {
          for (const [path, ids] of table) for (const id of ids) (byWatcher[watcherName(id)] ??= []).push(path);
        }
        for (const paths of Object.values(byWatcher)) paths.sort();
        return { session_id_to_watched_paths: byWatcher };
      },
    },
  ],
  [
    'watches_by_path',
    {
      aliases: ['wchp'],
      word: 'wchp',
      run: ({ source }) => {
        const byPath: Record<string, string[]> = {};
        for (const table of watchTables(source)) {
          for (const [path, ids] of table) for (const id of ids) (byPath[path] ??= []).push(watcherName(id));
        }
        return { path_to_session_ids: byPath };
      },
    },
  ],
  [
    'dump',
    {
      aliases: [],
      word: 'dump',
      run: ({ source }) => {
        const ephemerals: Record<string, string[]> = {};
        const timeouts: Record<string, number> = {};
        for (const session of source.sessionsInfo()) {
          timeouts[hex(session.sessionId)] = session.timeoutMs;
          if (session.ephemerals.length > 0) ephemerals[hex(session.sessionId)] = session.ephemerals;
        }
        return { session_id_to_timeout_ms: timeouts, session_id_to_ephemeral_paths: ephemerals };
      },
    },
  ],
  [
    'environment',
    {
      aliases: ['envi'],
      word: 'envi',
      run: ({ version }) => ({
        'cairn.version': version,
        'host.name': hostname(),
        'node.version': process.version,
        'os.name': process.platform,
        'os.arch': process.arch,
        'process.pid': process.pid,
        'process.cwd': process.cwd(),
        'process.uptime_s': Math.round(process.uptime()),
        'memory.rss_bytes': process.memoryUsage().rss,
      }),
    },
  ],
  ['is_read_only', { aliases: ['isro'], word: 'isro', run: () => ({ read_only: false }) }],
  [
    'hash',
    {
      aliases: [],
      word: 'hash',
      run: ({ source }) => {
        const info = source.info();
        return { digests: [{ zxid: info.lastZxid, zxid_hex: hex(info.lastZxid), digest: info.digest }] };
      },
    },
  ],
  [
    'last_zxid',
    {
      aliases: ['lzxd'],
      // It tells what srvr's Zxid line tells (and the last proposed zxid), so srvr gates it.
      word: 'srvr',
      run: ({ source }) => {
        const info = source.info();
        return { zxid: info.lastZxid, zxid_hex: hex(info.lastZxid), last_proposed_zxid: info.lastProposedZxid };
      },
    },
  ],
]);

const BY_NAME = new Map<string, string>();
for (const [name, { aliases }] of COMMANDS) {
  BY_NAME.set(name, name);
  for (const alias of aliases) BY_NAME.set(alias, name);
}

export function listCommands(policy: CommandPolicy): Record<string, unknown> {
  return {
    command: 'commands',
    error: null,
    commands: [...COMMANDS].map(([name, { aliases, word }]) => ({ name, aliases, word, access: httpCommandAccess(policy, word) })),
  };
}

export async function runCommand(context: AdminContext, http: FastifyRequest, requested: string): Promise<Record<string, unknown>> {
  const name = BY_NAME.get(requested);
  if (name === undefined) throw new HttpOnlyProblem(404, 'unknown-command', 'Unknown command', `no admin command ${JSON.stringify(requested)}; GET /commands lists them`);
  const entry = COMMANDS.get(name)!;
  await admitCommand(context, http, name, entry.word);
  const output = entry.run(context);
  return { ...output, command: name, error: null };
}

/**
 * Refuses a command the policy disables (403), or one that needs credentials when the request
 * has none (401) or its identities lack a permission of ALL on the root (403 NoAuth).
 */
export async function admitCommand(context: AdminContext, http: FastifyRequest, name: string, word: string): Promise<void> {
  const access: CommandAccess = httpCommandAccess(context.policy, word);
  if (access === 'disabled') {
    throw new HttpRefusal('CommandDisabled', `${name} is not executed because ${word} is not in 4lw.commands.whitelist`);
  }
  if (access === 'open') return;
  const credentials = basicCredentials(http.headers.authorization);
  if (credentials === undefined) {
    throw keeperError('AuthFailed', undefined, `${name} needs credentials (http.commands.authRequired lists ${word}): send Authorization: Basic`);
  }
  const identities = [...peerIdentities(http.socket), credentials.id];
  const acl = await context.rootAcl(identities);
  for (let bit = 1; bit <= Perms.ALL; bit <<= 1) {
    if ((Perms.ALL & bit) !== 0 && !checkACL(acl, bit, identities, context.config.superDigest)) {
      throw keeperError('NoAuth', '/', `${name} needs every permission (cdrwa) on / for these credentials`);
    }
  }
}

function openFileDescriptors(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}
