// Four-letter words on the client port, answered in ZooKeeper 3.8's text formats so monitoring
// scripts written for ZooKeeper read them unchanged (`mntr` keeps keys such as zk_server_state
// and zk_znode_count; `srvr` keeps "Mode:" and "Node count:"). Each is gated by
// 4lw.commands.whitelist exactly as ZooKeeper gates it (src/api/admin-policy.ts decides, for this
// port and the HTTP port's admin commands alike).

import { readdirSync, statSync } from 'node:fs';
import { hostname, userInfo, homedir, freemem, totalmem, platform, arch, release } from 'node:os';
import { join } from 'node:path';
import type { NodeInfo, SessionInfoEntry } from '../../server/node.js';
import type { WatchManager } from '../../core/watches.js';
import { fourLetterWordEnabled, type CommandPolicy } from '../admin-policy.js';

/** ZooKeeper's version line with Cairn's own build; tools that parse "3.8.0" still can. */
export const VERSION_TEXT = '3.8.0-cairn-0.1.0, built on 1970-01-01 00:00 UTC';

/** Every four-letter word ZooKeeper 3.8 recognises on the client port. */
export const FOUR_LETTER_WORDS: readonly string[] = Object.freeze([
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr',
  'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
]);

/** What the commands report about one connection. */
export interface ConnectionView {
  remoteAddress: string;
  remotePort: number;
  /** Requests read but not yet answered. */
  outstanding: number;
  packetsReceived: number;
  packetsSent: number;
  sessionId: number;
  sessionTimeoutMs: number;
  lastOperation: string;
  establishedMs: number;
  lastZxid: number;
  lastResponseMs: number;
  lastLatencyMs: number;
  latency: LatencyStats;
  /** Whether this is the connection asking (ZooKeeper shows it with interest ops 0). */
  asking: boolean;
}

export class LatencyStats {
  min = Number.POSITIVE_INFINITY;
  max = 0;
  total = 0;
  count = 0;

  add(latencyMs: number): void {
    this.min = Math.min(this.min, latencyMs);
    this.max = Math.max(this.max, latencyMs);
    this.total += latencyMs;
    this.count++;
  }

  reset(): void {
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
    this.total = 0;
    this.count = 0;
  }

  get minText(): string {
    return this.count === 0 ? '0' : String(this.min);
  }

  get averageText(): string {
    return this.count === 0 ? '0.0' : (Math.round((this.total / this.count) * 10) / 10).toFixed(1);
  }
}

/** Server-wide counters the port keeps (srvr, stat, mntr; reset by srst). */
export interface PortStats {
  packetsReceived: number;
  packetsSent: number;
  latency: LatencyStats;
  authFailed: number;
  connectionsRejected: number;
  sessionlessExpired: number;
}

export interface FourLetterWordContext {
  policy: CommandPolicy;
  node: {
    info(): NodeInfo;
    sessionsInfo(): SessionInfoEntry[];
    readonly watches: WatchManager;
  };
  config: {
    /** The ports clients reach; null when not served. */
    clientPort: number | null;
    secureClientPort: number | null;
    dataDir: string;
    dataLogDir: string;
    tickTimeMs: number;
    maxClientCnxns: number;
    minSessionTimeoutMs: number;
    maxSessionTimeoutMs: number;
  };
  stats: PortStats;
  connections(): ConnectionView[];
  resetConnectionStats(): void;
}

/** Whether the first four bytes of a connection are a four-letter word. */
export function isFourLetterWord(word: string): boolean {
  return FOUR_LETTER_WORDS.includes(word);
}

/** The text a four-letter word answers, or ZooKeeper's refusal when it is not whitelisted. */
export function answerFourLetterWord(word: string, context: FourLetterWordContext): string {
  if (!fourLetterWordEnabled(context.policy, word)) return `${word} is not executed because it is not in the whitelist.\n`;
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'srvr':
      return serverStats(context, false);
    case 'stat':
      return serverStats(context, true);
    case 'mntr':
      return monitor(context);
    case 'conf':
      return configuration(context);
    case 'cons':
      return `${context.connections().map((view) => `${connectionLine(view, false)}\n`).join('')}\n`;
    case 'crst':
      context.resetConnectionStats();
      return 'Connection stats reset.\n';
    case 'srst':
      resetServerStats(context.stats);
      return 'Server stats reset.\n';
    case 'dump':
      return dump(context);
    case 'envi':
      return environment();
    case 'wchs':
      return watchSummary(context);
    case 'wchc':
      return `${watchesBySession(context.node.watches)}\n`;
    case 'wchp':
      return `${watchesByPath(context.node.watches)}\n`;
    case 'isro':
      return 'rw';
    case 'dirs':
      return `datadir_size: ${directorySize(context.config.dataDir)}\nlogdir_size: ${directorySize(context.config.dataLogDir)}\n`;
    case 'gtmk':
    case 'stmk':
      // Cairn has no trace mask; both report an empty one.
      return '0';
    case 'hash':
      // ZooKeeper prints nothing when its digest history is off, as it is by default.
      return '';
    default:
      return `${word} is not executed because it is not in the whitelist.\n`;
  }
}

function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

function serverStats(context: FourLetterWordContext, withClients: boolean): string {
  const info = context.node.info();
  const stats = context.stats;
  const lines = [`Zookeeper version: ${VERSION_TEXT}`];
  if (withClients) {
    lines.push('Clients:');
    for (const view of context.connections()) lines.push(connectionLine(view, true));
    lines.push('');
  }
  lines.push(
    `Latency min/avg/max: ${stats.latency.minText}/${stats.latency.averageText}/${stats.latency.max}`,
    `Received: ${stats.packetsReceived}`,
    `Sent: ${stats.packetsSent}`,
    `Connections: ${context.connections().length}`,
    `Outstanding: ${context.connections().reduce((total, view) => total + view.outstanding, 0)}`,
    `Zxid: ${hex(info.lastZxid)}`,
    `Mode: ${info.serverState}`,
    `Node count: ${info.znodeCount}`,
  );
  return `${lines.join('\n')}\n`;
}

/** ServerCnxn.dumpConnectionInfo: brief for stat, full for cons. */
function connectionLine(view: ConnectionView, brief: boolean): string {
  const interest = view.asking ? '0' : '1';
  let line = ` /${view.remoteAddress}:${view.remotePort}[${interest}](queued=${view.outstanding},recved=${view.packetsReceived},sent=${view.packetsSent}`;
  if (!brief && view.sessionId !== 0) {
    line +=
      `,sid=${hex(view.sessionId)},lop=${view.lastOperation},est=${view.establishedMs},to=${view.sessionTimeoutMs}` +
      `,lzxid=${hex(view.lastZxid)},lresp=${view.lastResponseMs},llat=${view.lastLatencyMs}` +
      `,minlat=${view.latency.minText},avglat=${view.latency.averageText},maxlat=${view.latency.max}`;
  }
  return `${line})`;
}

function monitor(context: FourLetterWordContext): string {
  const info = context.node.info();
  const stats = context.stats;
  const connections = context.connections();
  const entries: [string, string | number][] = [
    ['zk_version', VERSION_TEXT],
    ['zk_server_state', info.serverState],
    ['zk_ephemerals_count', info.ephemeralCount],
    ['zk_num_alive_connections', connections.length],
    ['zk_avg_latency', stats.latency.averageText],
    ['zk_outstanding_requests', connections.reduce((total, view) => total + view.outstanding, 0)],
    ['zk_znode_count', info.znodeCount],
    ['zk_global_sessions', info.sessionCount],
    ['zk_local_sessions', 0],
    ['zk_packets_sent', stats.packetsSent],
    ['zk_packets_received', stats.packetsReceived],
    ['zk_watch_count', info.watchCount],
    ['zk_auth_failed_count', stats.authFailed],
    ['zk_min_latency', stats.latency.minText],
    ['zk_max_latency', stats.latency.max],
    ['zk_uptime', Date.now() - info.startedAtMs],
    ['zk_connection_rejected', stats.connectionsRejected],
    ['zk_sessionless_connections_expired', stats.sessionlessExpired],
    ['zk_snap_count', info.snapshots],
    ['zk_digest_mismatches_count', 0],
    ['zk_last_proposed_zxid', hex(info.lastProposedZxid)],
    ['zk_outstanding_writes', info.outstandingWrites],
  ];
  const descriptors = openFileDescriptors();
  if (descriptors !== null) entries.push(['zk_open_file_descriptor_count', descriptors]);
  return entries.map(([key, value]) => `${key}\t${value}\n`).join('');
}

function configuration(context: FourLetterWordContext): string {
  const config = context.config;
  const lines = [
    `clientPort=${config.clientPort ?? -1}`,
    `secureClientPort=${config.secureClientPort ?? -1}`,
    `dataDir=${config.dataDir}`,
    `dataDirSize=${directorySize(config.dataDir)}`,
    `dataLogDir=${config.dataLogDir}`,
    `dataLogSize=${directorySize(config.dataLogDir)}`,
    `tickTime=${config.tickTimeMs}`,
    `maxClientCnxns=${config.maxClientCnxns}`,
    `minSessionTimeout=${config.minSessionTimeoutMs}`,
    `maxSessionTimeout=${config.maxSessionTimeoutMs}`,
    'clientPortListenBacklog=-1',
    'serverId=0',
  ];
  return `${lines.join('\n')}\n`;
}

function resetServerStats(stats: PortStats): void {
  stats.packetsReceived = 0;
  stats.packetsSent = 0;
  stats.latency.reset();
}

function dump(context: FourLetterWordContext): string {
  const sessions = context.node.sessionsInfo();
  const lines = ['SessionTracker dump:', `Session Sets (${sessions.length === 0 ? 0 : 1})/(${sessions.length}):`];
  if (sessions.length > 0) {
    lines.push(`${sessions.length} sessions:`);
    for (const session of sessions) lines.push(`\t${hex(session.sessionId)}`);
  }
  const withEphemerals = sessions.filter((session) => session.ephemerals.length > 0);
  lines.push('ephemeral nodes dump:', `Sessions with Ephemerals (${withEphemerals.length}):`);
  for (const session of withEphemerals) {
    lines.push(`${hex(session.sessionId)}:`);
    for (const path of session.ephemerals) lines.push(`\t${path}`);
  }
  const connections = context.connections();
  lines.push('Connections dump:', `Connections Sets (${connections.length === 0 ? 0 : 1})/(${connections.length}):`);
  for (const view of connections) lines.push(`\tip: /${view.remoteAddress}:${view.remotePort} sessionId: ${hex(view.sessionId)}`);
  return `${lines.join('\n')}\n`;
}

function environment(): string {
  const user = safeUserInfo();
  const lines = [
    'Environment:',
    `zookeeper.version=${VERSION_TEXT}`,
    `host.name=${hostname()}`,
    `node.version=${process.version}`,
    `os.name=${platform()}`,
    `os.arch=${arch()}`,
    `os.version=${release()}`,
    `user.name=${user}`,
    `user.home=${homedir()}`,
    `user.dir=${process.cwd()}`,
    `os.memory.free=${Math.floor(freemem() / 1048576)}MB`,
    `os.memory.max=${Math.floor(totalmem() / 1048576)}MB`,
    `os.memory.total=${Math.floor(process.memoryUsage().rss / 1048576)}MB`,
  ];
  return `${lines.join('\n')}\n`;
}

function safeUserInfo(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function watchSummary(context: FourLetterWordContext): string {
  const watches = context.node.watches;
  const watchers = new Set<number>();
  const paths = new Set<string>();
  for (const table of [watches.data, watches.child, watches.persistent, watches.persistentRecursive]) {
    for (const [path, pathWatchers] of table.entries()) {
      paths.add(path);
      for (const watcher of pathWatchers) watchers.add(watcher);
    }
  }
  return `${watchers.size} connections watching ${paths.size} paths\nTotal watches:${watches.watchCount}\n`;
}

// ZooKeeper dumps its data watches, then its child watches; persistent ones live in both.
function watchTablesInDumpOrder(watches: WatchManager) {
  return [watches.data, watches.persistent, watches.persistentRecursive, watches.child];
}

function watchesBySession(watches: WatchManager): string {
  let text = '';
  for (const table of watchTablesInDumpOrder(watches)) {
    const bySession = new Map<number, string[]>();
    for (const [path, pathWatchers] of table.entries()) {
      for (const watcher of pathWatchers) {
        if (watcher <= 0) continue;
        const paths = bySession.get(watcher) ?? [];
        paths.push(path);
        bySession.set(watcher, paths);
      }
    }
    for (const [sessionId, paths] of bySession) text += `${hex(sessionId)}\n${paths.map((path) => `\t${path}\n`).join('')}`;
  }
  return text;
}

function watchesByPath(watches: WatchManager): string {
  let text = '';
  for (const table of watchTablesInDumpOrder(watches)) {
    for (const [path, pathWatchers] of table.entries()) {
      const sessions = [...pathWatchers].filter((watcher) => watcher > 0);
      if (sessions.length > 0) text += `${path}\n${sessions.map((sessionId) => `\t${hex(sessionId)}\n`).join('')}`;
    }
  }
  return text;
}

/** Bytes in a directory tree (bounded depth: data directories are shallow). */
function directorySize(directory: string, depth = 0): number {
  if (depth > 4) return 0;
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return 0;
  }
  for (const name of names) {
    const path = join(directory, name);
    try {
      const stats = statSync(path);
      total += stats.isDirectory() ? directorySize(path, depth + 1) : stats.size;
    } catch {
      // removed while we looked (a purge): it no longer counts
    }
  }
  return total;
}

function openFileDescriptors(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}
