// Server configuration: zoo.cfg parsing (Java properties, as ZooKeeper reads it), typed settings
// with ZooKeeper's defaults, command-line flags for `cairn server`, and validation.
//
// Everything here is pure: the caller reads the config file and passes its text in.
//
// Keys a zoo.cfg may hold (ZooKeeper's names unless marked Cairn):
//
//   tickTime                               tickTimeMs                   2000
//   initLimit / syncLimit                  initLimit / syncLimit        10 / 5 (ticks)
//   dataDir                                dataDir                      required (file or --data-dir)
//   dataLogDir                             dataLogDir                   = dataDir
//   clientPort                             clientPort                   2181 (ZooKeeper wire protocol)
//   clientPortAddress                      clientPortAddress            0.0.0.0; Cairn binds EVERY port to it
//   grpcPort                  (Cairn)      grpcPort                     2182
//   httpPort                  (Cairn)      httpPort                     8181 (REST and WebSocket)
//   maxClientCnxns                         maxClientCnxns               60 per client IP, 0 = no limit
//   minSessionTimeout / maxSessionTimeout  min/maxSessionTimeoutMs      2 × / 20 × tickTime (-1 = default)
//   snapCount                              snapCount                    100000 (below 2 becomes 2, warned)
//   autopurge.snapRetainCount              autopurgeSnapRetainCount     3 (below 3 becomes 3, warned)
//   autopurge.purgeInterval                autopurgePurgeIntervalHours  0 = never purge
//   jute.maxbuffer                         juteMaxBuffer                0xfffff = 1048575 bytes
//   extendedTypesEnabled                   extendedTypesEnabled         false (TTL nodes need true)
//   enforceQuota                           enforceQuota                 false: hard quotas (setquota -N/-B) refuse
//                                                                       writes over them with QuotaExceeded
//   4lw.commands.whitelist                 fourLetterWordWhitelist      ["srvr"]; "srvr" is always on, "*" = all
//   standaloneEnabled                      standaloneEnabled            true
//   DigestAuthenticationProvider.superDigest  superDigest               none ("super:<base64 sha1>")
//   znode.container.checkIntervalMs        containerCheckIntervalMs     60000: how often containers and TTL
//                                                                       nodes are checked for removal
//   globalOutstandingLimit                 globalOutstandingLimit       1000
//   secureClientPort                       secureClientPort             none: the ZooKeeper protocol over TLS
//   ssl.keyStore.location / .password      clientTls.keyStoreLocation   PEM: private key + certificate chain
//   ssl.keyStore.type                      (PEM only)                   PEM; inferred from the file name if unset
//   ssl.trustStore.location / .type        clientTls.trustStoreLocation PEM CA bundle; none = Node's default CAs
//   ssl.clientAuth                         clientTls.clientAuth         need (as ZooKeeper); none | want | need
//   X509AuthenticationProvider.superUser   clientTls.superUser          none: the certificate DN that is super
//   sslQuorum                              quorumTls                    false: TLS between servers, both ways
//   ssl.quorum.keyStore.* / trustStore.*   quorumTls.*                  PEM stores of the quorum (required with sslQuorum)
//   ssl.quorum.hostnameVerification        quorumTls.hostnameVerification true: a peer's certificate names its host
//   syncHistoryTxns (Cairn's)              syncHistoryTxns              10000: committed txns a leader keeps in
//                                                                       memory to bring a learner level by DIFF
//                                                                       (beyond it, SNAP; ZooKeeper keeps 500)
//   http.allowedOrigins       (Cairn)      httpAllowedOrigins           none: browsers may use the HTTP port from
//                                                                       its own origin only; "*" = any origin
//   http.commands.authRequired (Cairn)     httpCommandsAuthRequired     none: admin commands (by four-letter word)
//                                                                       that need credentials on the HTTP port
//   server.N                               servers                      the ensemble (with myid in dataDir)
//
// ZooKeeper turns a zoo.cfg key it does not itself recognise into the system property
// "zookeeper.<key>", which is how `extendedTypesEnabled=true` or
// `DigestAuthenticationProvider.superDigest=...` in a zoo.cfg take effect. Cairn therefore accepts
// each key above also spelled with a leading "zookeeper." (the system-property name, e.g.
// `zookeeper.DigestAuthenticationProvider.superDigest`). Other keys ZooKeeper knows but Cairn does not
// use (quorum SSL, metrics providers, the admin server, ...) are ignored with a warning; keys nobody
// knows produce an "unknown key" warning. Neither is an error. (ZooKeeper itself is silent about
// unknown keys: it just sets them as system properties.)

import { isIP } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Types

export interface ServerConfig {
  /** ZooKeeper's tickTime: the basic time unit, in milliseconds. */
  tickTimeMs: number;
  /** Ticks a follower may take to connect and sync to a leader (quorum only). */
  initLimit: number;
  /** Ticks a follower may lag behind a leader (quorum only). */
  syncLimit: number;
  /** Where snapshots (and, unless dataLogDir is set, the transaction log) live. */
  dataDir: string;
  /** Where the transaction log lives; defaults to dataDir. */
  dataLogDir: string;
  /**
   * Port of the ZooKeeper wire protocol. 0 = any free port; null = not served, when the
   * configuration sets secureClientPort and neither clientPort nor --client-port (as ZooKeeper).
   */
  clientPort: number | null;
  /** Address every listening port binds to (clientPort, grpcPort, httpPort). */
  clientPortAddress: string;
  /** Port of the gRPC API. 0 = any free port. */
  grpcPort: number;
  /** Port of the REST / WebSocket API. 0 = any free port. */
  httpPort: number;
  /** Concurrent connections allowed from one client IP address; 0 = no limit. */
  maxClientCnxns: number;
  /** Lower bound a requested session timeout is raised to. */
  minSessionTimeoutMs: number;
  /** Upper bound a requested session timeout is lowered to. */
  maxSessionTimeoutMs: number;
  /** Transactions logged between snapshots (ZooKeeper randomises the point within half of it). */
  snapCount: number;
  /** Snapshots (and their logs) kept by the purge task; at least 3. */
  autopurgeSnapRetainCount: number;
  /** Hours between purge runs; 0 disables purging. */
  autopurgePurgeIntervalHours: number;
  /** Largest packet accepted on the wire and largest znode data, in bytes (jute.maxbuffer). */
  juteMaxBuffer: number;
  /** Allows TTL nodes (ZooKeeper's zookeeper.extendedTypesEnabled). */
  extendedTypesEnabled: boolean;
  /** Refuses writes over a hard quota (ZooKeeper's zookeeper.enforceQuota). */
  enforceQuota: boolean;
  /** Enabled four-letter words; "srvr" is always included, ["*"] means all of them. */
  fourLetterWordWhitelist: string[];
  /** Whether a single server runs in standalone mode (ZooKeeper's standaloneEnabled). */
  standaloneEnabled: boolean;
  /** `server.N` lines, N → the raw right-hand side; empty when standalone. */
  servers: Map<number, string>;
  /** `super:<base64 sha1 digest>`: credentials that pass every ACL check; undefined when unset. */
  superDigest: string | undefined;
  /** Period of the container / TTL node reaper (ZooKeeper's znode.container.checkIntervalMs). */
  containerCheckIntervalMs: number;
  /** Requests queued server-wide before the server stops reading from connections. */
  globalOutstandingLimit: number;
  /** Committed txns a leader keeps in memory to sync a learner by DIFF rather than SNAP. */
  syncHistoryTxns: number;
  /** Origins (scheme://host[:port]) whose pages may use the HTTP port; ["*"] = any; [] = same-origin only. */
  httpAllowedOrigins: string[];
  /** Four-letter words whose HTTP admin commands need credentials (and are not answered on the client port); ["*"] = all. */
  httpCommandsAuthRequired: string[];
  /** ZooKeeper's secureClientPort: the ZooKeeper protocol over TLS; null = not served. */
  secureClientPort: number | null;
  /** The client ports' TLS stores (ZooKeeper's ssl.* keys); null when no key store is configured. */
  clientTls: TlsStoreConfig | null;
  /** TLS between servers (sslQuorum=true, ZooKeeper's ssl.quorum.* keys); null when off. */
  quorumTls: QuorumTlsConfig | null;
}

/** The quorum's stores: every peer presents a certificate the trust store vouches for, both ways. */
export interface QuorumTlsConfig extends TlsStoreConfig {
  trustStoreLocation: string;
  clientAuth: 'need';
  /** Whether a peer's certificate must name the host it is reached at (ZooKeeper's default: yes). */
  hostnameVerification: boolean;
}

/** ZooKeeper's PEM key and trust stores and ssl.clientAuth. */
export interface TlsStoreConfig {
  /** PEM file with the private key and the certificate chain (leaf first). */
  keyStoreLocation: string;
  /** Passphrase of an encrypted private key in the key store. */
  keyStorePassword?: string;
  /** PEM file with the CA certificates a peer's certificate must chain to; absent = Node's default CAs. */
  trustStoreLocation?: string;
  /** none: no client certificate asked for; want: asked for, and one presented must verify; need: required. */
  clientAuth: 'none' | 'want' | 'need';
  /** The subject DN whose verified certificate makes a client the super user (X509AuthenticationProvider.superUser). */
  superUser?: string;
}

/** What `cairn server` flags can set; each overrides the config file. */
export interface ServerFlags {
  dataDir?: string;
  grpcPort?: number;
  httpPort?: number;
  clientPort?: number;
  /** --allowed-origins: http.allowedOrigins, comma-separated. */
  allowedOrigins?: string;
}

/** `cairn server` arguments: the flags plus where the config file is. */
export interface ServerArgs extends ServerFlags {
  /** Path given with --config; the caller reads it and hands its text to loadConfig. */
  config?: string;
  /** --help / -h was given. */
  help?: boolean;
}

export interface ParsedZooCfg {
  /** Every key except server.N, with key and value trimmed as ZooKeeper trims them. */
  values: Map<string, string>;
  /** server.N entries: N → raw right-hand side. */
  servers: Map<number, string>;
  warnings: string[];
}

export interface LoadConfigOptions {
  /** The config file's text (already read by the caller); absent means no file. */
  configFile?: string;
  flags: ServerFlags;
}

/** A bad command line; the message is meant for a person, followed by SERVER_USAGE. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

// ---------------------------------------------------------------------------------------------
// Defaults

/** ZooKeeper's jute.maxbuffer default (BinaryInputArchive: 0xfffff). */
export const DEFAULT_JUTE_MAX_BUFFER = 0xfffff;

/** Four-letter words ZooKeeper 3.8 knows. */
export const KNOWN_FOUR_LETTER_WORDS: readonly string[] = Object.freeze([
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr',
  'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
]);

/** Defaults of every setting except the directories, which have none. */
export const DEFAULTS = Object.freeze({
  tickTimeMs: 2000,
  initLimit: 10,
  syncLimit: 5,
  clientPort: 2181,
  clientPortAddress: '0.0.0.0',
  grpcPort: 2182,
  httpPort: 8181,
  maxClientCnxns: 60,
  snapCount: 100_000,
  autopurgeSnapRetainCount: 3,
  autopurgePurgeIntervalHours: 0,
  juteMaxBuffer: DEFAULT_JUTE_MAX_BUFFER,
  extendedTypesEnabled: false,
  enforceQuota: false,
  fourLetterWordWhitelist: Object.freeze(['srvr']) as readonly string[],
  standaloneEnabled: true,
  containerCheckIntervalMs: 60_000,
  globalOutstandingLimit: 1000,
  syncHistoryTxns: 10_000,
});

/** A complete configuration with every default, for a server in `dataDir` (tests, embedding). */
export function defaultServerConfig(dataDir: string): ServerConfig {
  return {
    tickTimeMs: DEFAULTS.tickTimeMs,
    initLimit: DEFAULTS.initLimit,
    syncLimit: DEFAULTS.syncLimit,
    dataDir,
    dataLogDir: dataDir,
    clientPort: DEFAULTS.clientPort,
    clientPortAddress: DEFAULTS.clientPortAddress,
    grpcPort: DEFAULTS.grpcPort,
    httpPort: DEFAULTS.httpPort,
    maxClientCnxns: DEFAULTS.maxClientCnxns,
    minSessionTimeoutMs: 2 * DEFAULTS.tickTimeMs,
    maxSessionTimeoutMs: 20 * DEFAULTS.tickTimeMs,
    snapCount: DEFAULTS.snapCount,
    autopurgeSnapRetainCount: DEFAULTS.autopurgeSnapRetainCount,
    autopurgePurgeIntervalHours: DEFAULTS.autopurgePurgeIntervalHours,
    juteMaxBuffer: DEFAULTS.juteMaxBuffer,
    extendedTypesEnabled: DEFAULTS.extendedTypesEnabled,
    enforceQuota: DEFAULTS.enforceQuota,
    fourLetterWordWhitelist: [...DEFAULTS.fourLetterWordWhitelist],
    standaloneEnabled: DEFAULTS.standaloneEnabled,
    servers: new Map(),
    superDigest: undefined,
    containerCheckIntervalMs: DEFAULTS.containerCheckIntervalMs,
    globalOutstandingLimit: DEFAULTS.globalOutstandingLimit,
    syncHistoryTxns: DEFAULTS.syncHistoryTxns,
    httpAllowedOrigins: [],
    httpCommandsAuthRequired: [],
    secureClientPort: null,
    clientTls: null,
    quorumTls: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Java properties

interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based number of the line the entry starts on. */
  line: number;
}

const isPropSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\f';

/** String.trim() as Java has it: strips every char up to U+0020 at both ends. */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

function skipPropSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isPropSpace(s[i]!)) i++;
  return i;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** Resolves the escapes of java.util.Properties: \t \n \r \f, \uXXXX, and \c for any other c. */
function unescapeProperty(s: string, line: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= s.length) break; // a lone trailing backslash (only possible at end of input)
    const e = s[i]!;
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new Error(`config line ${line}: malformed \\uxxxx escape`);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default: out += e;
    }
  }
  return out;
}

/** Splits a logical line into key and value the way java.util.Properties does. */
function splitProperty(logical: string): { rawKey: string; rawValue: string } {
  let keyEnd = logical.length;
  let valueStart = logical.length;
  let hasSep = false;
  let escaped = false;
  for (let i = 0; i < logical.length; i++) {
    const c = logical[i]!;
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\') {
      escaped = true;
    } else if (c === '=' || c === ':') {
      keyEnd = i;
      valueStart = i + 1;
      hasSep = true;
      break;
    } else if (isPropSpace(c)) {
      keyEnd = i;
      valueStart = i + 1;
      break;
    }
  }
  // After the key: whitespace, at most one '=' or ':' (if the key did not end at one), whitespace.
  let i = skipPropSpace(logical, valueStart);
  if (!hasSep && i < logical.length && (logical[i] === '=' || logical[i] === ':')) {
    i = skipPropSpace(logical, i + 1);
  }
  return { rawKey: logical.slice(0, keyEnd), rawValue: logical.slice(i) };
}

/** All entries of a Java properties text, in file order (duplicates included). */
function parseProperties(text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  for (let n = 0; n < lines.length; n++) {
    const first = lines[n]!;
    const start = skipPropSpace(first, 0);
    if (start >= first.length) continue; // blank
    if (first[start] === '#' || first[start] === '!') continue; // comment (never continued)
    const lineNo = n + 1;
    let logical = first.slice(start);
    // A line ending in an odd number of backslashes continues on the next one, whose leading
    // whitespace is dropped (and which is not a comment even if it starts with # or !).
    while (endsWithOddBackslashes(logical) && n + 1 < lines.length) {
      n++;
      const next = lines[n]!;
      logical = logical.slice(0, -1) + next.slice(skipPropSpace(next, 0));
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1); // continued past the end
    const { rawKey, rawValue } = splitProperty(logical);
    entries.push({
      key: unescapeProperty(rawKey, lineNo),
      value: unescapeProperty(rawValue, lineNo),
      line: lineNo,
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// zoo.cfg

/**
 * Parses zoo.cfg text: Java properties, keys and values trimmed as ZooKeeper trims them, the last
 * of duplicate keys winning (as java.util.Properties does). `server.N` entries go to `servers`.
 * Throws only for text java.util.Properties itself rejects (a malformed \uXXXX escape).
 */
export function parseZooCfg(text: string): ParsedZooCfg {
  const values = new Map<string, string>();
  const servers = new Map<number, string>();
  const warnings: string[] = [];
  const seenAt = new Map<string, number>();

  for (const entry of parseProperties(text)) {
    const key = javaTrim(entry.key);
    const value = javaTrim(entry.value);
    if (key === '') {
      warnings.push(`line ${entry.line}: entry without a key ignored`);
      continue;
    }
    const previous = seenAt.get(key);
    if (previous !== undefined) {
      warnings.push(`line ${entry.line}: "${key}" is also set on line ${previous}; the later value wins`);
    }
    seenAt.set(key, entry.line);

    if (key.startsWith('server.')) {
      const idText = key.slice('server.'.length);
      if (!/^\d+$/.test(idText) || !Number.isSafeInteger(Number(idText))) {
        warnings.push(`line ${entry.line}: "${key}" ignored: the server id must be a non-negative integer`);
        continue;
      }
      servers.set(Number(idText), value);
    } else {
      values.set(key, value);
    }
  }
  return { values, servers, warnings };
}

// ---------------------------------------------------------------------------------------------
// Typed settings

/** zoo.cfg keys Cairn reads, by their ZooKeeper (or Cairn) name. */
const CFG = {
  tickTime: 'tickTime',
  initLimit: 'initLimit',
  syncLimit: 'syncLimit',
  dataDir: 'dataDir',
  dataLogDir: 'dataLogDir',
  clientPort: 'clientPort',
  clientPortAddress: 'clientPortAddress',
  grpcPort: 'grpcPort',
  httpPort: 'httpPort',
  maxClientCnxns: 'maxClientCnxns',
  minSessionTimeout: 'minSessionTimeout',
  maxSessionTimeout: 'maxSessionTimeout',
  snapCount: 'snapCount',
  snapRetainCount: 'autopurge.snapRetainCount',
  purgeInterval: 'autopurge.purgeInterval',
  juteMaxBuffer: 'jute.maxbuffer',
  extendedTypesEnabled: 'extendedTypesEnabled',
  enforceQuota: 'enforceQuota',
  fourLetterWords: '4lw.commands.whitelist',
  standaloneEnabled: 'standaloneEnabled',
  superDigest: 'DigestAuthenticationProvider.superDigest',
  containerCheckInterval: 'znode.container.checkIntervalMs',
  globalOutstandingLimit: 'globalOutstandingLimit',
  syncHistoryTxns: 'syncHistoryTxns',
  httpAllowedOrigins: 'http.allowedOrigins',
  httpCommandsAuthRequired: 'http.commands.authRequired',
  secureClientPort: 'secureClientPort',
  keyStoreLocation: 'ssl.keyStore.location',
  keyStorePassword: 'ssl.keyStore.password',
  keyStoreType: 'ssl.keyStore.type',
  trustStoreLocation: 'ssl.trustStore.location',
  trustStorePassword: 'ssl.trustStore.password',
  trustStoreType: 'ssl.trustStore.type',
  clientAuth: 'ssl.clientAuth',
  x509SuperUser: 'X509AuthenticationProvider.superUser',
  sslQuorum: 'sslQuorum',
  quorumKeyStoreLocation: 'ssl.quorum.keyStore.location',
  quorumKeyStorePassword: 'ssl.quorum.keyStore.password',
  quorumKeyStoreType: 'ssl.quorum.keyStore.type',
  quorumTrustStoreLocation: 'ssl.quorum.trustStore.location',
  quorumTrustStorePassword: 'ssl.quorum.trustStore.password',
  quorumTrustStoreType: 'ssl.quorum.trustStore.type',
  quorumHostnameVerification: 'ssl.quorum.hostnameVerification',
} as const;

const SUPPORTED_KEYS: ReadonlySet<string> = new Set(Object.values(CFG));

/** Keys ZooKeeper 3.8 reads that Cairn does not use: ignored with a warning. */
const ZOOKEEPER_ONLY_KEYS: ReadonlySet<string> = new Set([
  'localSessionsEnabled', 'localSessionsUpgradingEnabled', 'secureClientPortAddress',
  'observerMasterPort', 'clientPortListenBacklog', 'connectToLearnerMasterLimit', 'electionAlg',
  'quorumListenOnAllIPs', 'peerType', 'syncEnabled', 'dynamicConfigFile', 'reconfigEnabled',
  'portUnification', 'sslQuorumReloadCertFiles', 'quorum.cnxn.threads.size', 'oraclePath', 'version',
  'preAllocSize', 'forceSync', 'skipACL', 'serverCnxnFactory', 'maxCnxns', 'leaderServes', 'cnxTimeout',
  'audit.enable', 'digest.enabled', 'fsync.warningthresholdms', 'txnLogSizeLimitInKb',
  'znode.container.maxPerMinute', 'znode.container.maxNeverUsedIntervalMs', 'ttlNode.maxPerMinute',
  'maxResponseCacheSize', 'maxGetChildrenResponseCacheSize', 'requestThrottleLimit',
]);
const ZOOKEEPER_ONLY_PREFIXES: readonly string[] = [
  'group.', 'weight.', 'quorum.', 'jvm.pause.', 'metricsProvider.', 'multiAddress.', 'admin.', 'ssl.',
  'authProvider.', 'sasl', 'kerberos.', 'snapshot.', 'learner.', 'leader.', 'follower.', 'observer.',
  'netty.', 'client.', 'zookeeper.',
];

function zookeeperOnly(key: string): boolean {
  return ZOOKEEPER_ONLY_KEYS.has(key) || ZOOKEEPER_ONLY_PREFIXES.some((p) => key.startsWith(p));
}

/** The supported key `key` names, accepting the "zookeeper."-prefixed system-property spelling. */
function canonicalKey(key: string): string | null {
  if (SUPPORTED_KEYS.has(key)) return key;
  if (key.startsWith('zookeeper.')) {
    const rest = key.slice('zookeeper.'.length);
    if (SUPPORTED_KEYS.has(rest)) return rest;
  }
  return null;
}

function invalid(key: string, value: string, expected: string): Error {
  return new Error(`invalid value for ${key}: "${value}" (${expected})`);
}

/** An integer as Java's Integer.parseInt accepts it (optional sign, decimal digits). */
function parseInteger(key: string, value: string, expected = 'expected an integer'): number {
  if (!/^[+-]?\d+$/.test(value)) throw invalid(key, value, expected);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n > 0x7fffffff || n < -0x80000000) throw invalid(key, value, expected);
  return n;
}

function parseAtLeast(key: string, value: string, min: number): number {
  const what = min === 0 ? 'expected a non-negative integer' : `expected an integer ≥ ${min}`;
  const n = parseInteger(key, value, what);
  if (n < min) throw invalid(key, value, what);
  return n;
}

function parsePort(key: string, value: string): number {
  const what = 'expected a port number from 0 to 65535 (0 = any free port)';
  const n = parseInteger(key, value, what);
  if (n < 0 || n > 65535) throw invalid(key, value, what);
  return n;
}

function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalid(key, value, 'expected true or false');
}

function parseHost(key: string, value: string): string {
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(value) === 0 && !hostname.test(value)) {
    throw invalid(key, value, 'expected an IP address or host name');
  }
  return value;
}

function parseDir(key: string, value: string): string {
  if (value === '') throw invalid(key, value, 'expected a directory path');
  return value;
}

function parseFourLetterWords(key: string, value: string, warnings: string[]): string[] {
  const words = value.split(',').map((w) => w.trim()).filter((w) => w !== '');
  if (words.includes('*')) return ['*'];
  const out: string[] = [];
  for (const w of words) {
    if (!KNOWN_FOUR_LETTER_WORDS.includes(w)) {
      warnings.push(`${key}: "${w}" is not a known four-letter word`);
    }
    if (!out.includes(w)) out.push(w);
  }
  // ZooKeeper always enables srvr: its own scripts depend on it.
  if (!out.includes('srvr')) out.push('srvr');
  return out;
}

/** Exact origins as a browser sends them (scheme://host[:port], no path), or "*" alone. */
function parseOrigins(key: string, value: string): string[] {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.includes('*')) return ['*'];
  const origins: string[] = [];
  for (const entry of entries) {
    let origin: string;
    try {
      origin = new URL(entry).origin;
    } catch {
      throw invalid(key, entry, 'expected origins such as https://app.example.com or http://localhost:3000, comma-separated, or *');
    }
    if (origin === 'null' || origin !== entry.toLowerCase().replace(/\/$/, '')) {
      throw invalid(key, entry, 'expected an origin: scheme://host[:port] with no path, query or user');
    }
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}

/** Four-letter words (as in 4lw.commands.whitelist) whose HTTP commands need credentials; "*" = all. */
function parseAuthRequired(key: string, value: string, warnings: string[]): string[] {
  const words = value.split(',').map((w) => w.trim()).filter((w) => w !== '');
  if (words.includes('*')) return ['*'];
  for (const w of words) if (!KNOWN_FOUR_LETTER_WORDS.includes(w)) warnings.push(`${key}: "${w}" is not a known four-letter word`);
  return [...new Set(words)];
}

function parseSuperDigest(key: string, value: string): string {
  if (!/^[^:\s]+:\S+$/.test(value)) {
    throw invalid(key, value, 'expected user:base64digest, e.g. super:<output of DigestAuthenticationProvider>');
  }
  return value;
}

/**
 * Builds the server configuration from the config file's text (if any) and command-line flags.
 * Flags override the file. Unknown or unused keys give warnings; invalid values throw an Error
 * naming the key and the value.
 */
export function loadConfig(options: LoadConfigOptions): { config: ServerConfig; warnings: string[] } {
  const parsed = options.configFile !== undefined
    ? parseZooCfg(options.configFile)
    : { values: new Map<string, string>(), servers: new Map<number, string>(), warnings: [] };
  const warnings = [...parsed.warnings];

  // Resolve spellings; keep the last value per setting.
  const settings = new Map<string, { key: string; value: string }>();
  for (const [key, value] of parsed.values) {
    const canonical = canonicalKey(key);
    if (canonical !== null) {
      const earlier = settings.get(canonical);
      if (earlier !== undefined && earlier.key !== key) {
        warnings.push(`"${key}" and "${earlier.key}" set the same thing; "${key}" wins`);
      }
      settings.set(canonical, { key, value });
    } else if (zookeeperOnly(key)) {
      warnings.push(`ignoring ZooKeeper setting "${key}": Cairn does not use it`);
    } else {
      warnings.push(`unknown configuration key "${key}" ignored`);
    }
  }
  const get = <T>(name: string, parse: (key: string, value: string) => T): T | undefined => {
    const s = settings.get(name);
    return s === undefined ? undefined : parse(s.key, s.value);
  };

  const tickTimeMs = get(CFG.tickTime, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.tickTimeMs;

  const dataDir = options.flags.dataDir !== undefined
    ? parseDir('--data-dir', options.flags.dataDir)
    : get(CFG.dataDir, parseDir);
  if (dataDir === undefined) {
    throw new Error('dataDir is not set: pass --data-dir or set dataDir in the config file');
  }
  const dataLogDir = get(CFG.dataLogDir, parseDir) ?? dataDir;

  const flagPort = (flag: string, value: number | undefined): number | undefined =>
    value === undefined ? undefined : parsePort(flag, String(value));
  const chosenClientPort = flagPort('--client-port', options.flags.clientPort) ?? get(CFG.clientPort, parsePort);
  const grpcPort = flagPort('--grpc-port', options.flags.grpcPort) ?? get(CFG.grpcPort, parsePort) ?? DEFAULTS.grpcPort;
  const httpPort = flagPort('--http-port', options.flags.httpPort) ?? get(CFG.httpPort, parsePort) ?? DEFAULTS.httpPort;
  const secureClientPort = get(CFG.secureClientPort, parsePort) ?? null;
  // ZooKeeper serves plaintext only where clientPort asks for it once a secure port is configured.
  const clientPort = chosenClientPort ?? (secureClientPort === null ? DEFAULTS.clientPort : null);
  const clientTls = parseClientTls(get);
  if (secureClientPort !== null && clientTls === null) throw new Error('secureClientPort is set but ssl.keyStore.location is not: TLS needs a key store (PEM: private key and certificate chain)');
  const ports: Array<[string, number]> = [
    ...(clientPort === null ? [] : [['clientPort', clientPort] as [string, number]]),
    ['grpcPort', grpcPort],
    ['httpPort', httpPort],
    ...(secureClientPort === null ? [] : [['secureClientPort', secureClientPort] as [string, number]]),
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, pa] = ports[i]!;
      const [b, pb] = ports[j]!;
      if (pa !== 0 && pa === pb) throw new Error(`${a} and ${b} are both ${pa}: each port must differ (or be 0)`);
    }
  }

  // -1 asks for the default, as in ZooKeeper.
  const timeout = (name: string, fallback: number): number => {
    const n = get(name, (k, v) => {
      const t = parseInteger(k, v, 'expected a positive number of milliseconds, or -1 for the default');
      if (t !== -1 && t < 1) throw invalid(k, v, 'expected a positive number of milliseconds, or -1 for the default');
      return t;
    });
    return n === undefined || n === -1 ? fallback : n;
  };
  const minSessionTimeoutMs = timeout(CFG.minSessionTimeout, 2 * tickTimeMs);
  const maxSessionTimeoutMs = timeout(CFG.maxSessionTimeout, 20 * tickTimeMs);
  if (minSessionTimeoutMs > maxSessionTimeoutMs) {
    throw new Error(
      `invalid session timeouts: minSessionTimeout (${minSessionTimeoutMs} ms) must not be larger than ` +
        `maxSessionTimeout (${maxSessionTimeoutMs} ms)`,
    );
  }

  let snapCount = get(CFG.snapCount, (k, v) => parseInteger(k, v)) ?? DEFAULTS.snapCount;
  if (snapCount < 2) {
    warnings.push(`snapCount ${snapCount} is below 2; using 2`);
    snapCount = 2;
  }
  let autopurgeSnapRetainCount = get(CFG.snapRetainCount, (k, v) => parseInteger(k, v)) ?? DEFAULTS.autopurgeSnapRetainCount;
  if (autopurgeSnapRetainCount < 3) {
    warnings.push(`autopurge.snapRetainCount ${autopurgeSnapRetainCount} is below 3; using 3`);
    autopurgeSnapRetainCount = 3;
  }

  // server.N lines make this server an ensemble member (with myid in dataDir).
  const servers = new Map(parsed.servers);

  const config: ServerConfig = {
    tickTimeMs,
    initLimit: get(CFG.initLimit, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.initLimit,
    syncLimit: get(CFG.syncLimit, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.syncLimit,
    dataDir,
    dataLogDir,
    clientPort,
    clientPortAddress: get(CFG.clientPortAddress, parseHost) ?? DEFAULTS.clientPortAddress,
    grpcPort,
    httpPort,
    maxClientCnxns: get(CFG.maxClientCnxns, (k, v) => parseAtLeast(k, v, 0)) ?? DEFAULTS.maxClientCnxns,
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    snapCount,
    autopurgeSnapRetainCount,
    autopurgePurgeIntervalHours: get(CFG.purgeInterval, (k, v) => parseAtLeast(k, v, 0)) ?? DEFAULTS.autopurgePurgeIntervalHours,
    juteMaxBuffer: get(CFG.juteMaxBuffer, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.juteMaxBuffer,
    extendedTypesEnabled: get(CFG.extendedTypesEnabled, parseBool) ?? DEFAULTS.extendedTypesEnabled,
    enforceQuota: get(CFG.enforceQuota, parseBool) ?? DEFAULTS.enforceQuota,
    fourLetterWordWhitelist: get(CFG.fourLetterWords, (k, v) => parseFourLetterWords(k, v, warnings)) ?? [...DEFAULTS.fourLetterWordWhitelist],
    standaloneEnabled: get(CFG.standaloneEnabled, parseBool) ?? DEFAULTS.standaloneEnabled,
    servers,
    superDigest: get(CFG.superDigest, parseSuperDigest),
    containerCheckIntervalMs: get(CFG.containerCheckInterval, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.containerCheckIntervalMs,
    globalOutstandingLimit: get(CFG.globalOutstandingLimit, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.globalOutstandingLimit,
    syncHistoryTxns: get(CFG.syncHistoryTxns, (k, v) => parseAtLeast(k, v, 1)) ?? DEFAULTS.syncHistoryTxns,
    httpAllowedOrigins: options.flags.allowedOrigins !== undefined
      ? parseOrigins('--allowed-origins', options.flags.allowedOrigins)
      : get(CFG.httpAllowedOrigins, parseOrigins) ?? [],
    httpCommandsAuthRequired: get(CFG.httpCommandsAuthRequired, (k, v) => parseAuthRequired(k, v, warnings)) ?? [],
    secureClientPort,
    clientTls,
    quorumTls: parseQuorumTls(get),
  };
  return { config, warnings };
}

/** sslQuorum and the ssl.quorum.* keys (ZooKeeper reads no fallback to the client's ssl.* ones, nor do we). */
function parseQuorumTls(get: Getter): QuorumTlsConfig | null {
  const enabled = get(CFG.sslQuorum, parseBool) ?? false;
  const keyStoreLocation = get(CFG.quorumKeyStoreLocation, parseNonEmpty);
  const trustStoreLocation = get(CFG.quorumTrustStoreLocation, parseNonEmpty);
  const keyStoreType = get(CFG.quorumKeyStoreType, parseStoreType);
  const trustStoreType = get(CFG.quorumTrustStoreType, parseStoreType);
  const keyStorePassword = get(CFG.quorumKeyStorePassword, (_k, v) => v);
  get(CFG.quorumTrustStorePassword, (_k, v) => v);
  const hostnameVerification = get(CFG.quorumHostnameVerification, parseBool) ?? true;
  if (!enabled) return null;
  if (keyStoreLocation === undefined || trustStoreLocation === undefined) {
    throw new Error('sslQuorum=true needs ssl.quorum.keyStore.location and ssl.quorum.trustStore.location (PEM): every server proves itself to the others and checks them');
  }
  requirePem(CFG.quorumKeyStoreLocation, keyStoreLocation, keyStoreType);
  requirePem(CFG.quorumTrustStoreLocation, trustStoreLocation, trustStoreType);
  return {
    keyStoreLocation,
    ...(keyStorePassword === undefined || keyStorePassword === '' ? {} : { keyStorePassword }),
    trustStoreLocation,
    clientAuth: 'need',
    hostnameVerification,
  };
}

type Getter = <T>(name: string, parse: (key: string, value: string) => T) => T | undefined;

/** The ssl.* keys of the client ports; null without a key store (the trust store alone serves nothing). */
function parseClientTls(get: Getter): TlsStoreConfig | null {
  const keyStoreLocation = get(CFG.keyStoreLocation, parseNonEmpty);
  const trustStoreLocation = get(CFG.trustStoreLocation, parseNonEmpty);
  const keyStoreType = get(CFG.keyStoreType, parseStoreType);
  const trustStoreType = get(CFG.trustStoreType, parseStoreType);
  if (keyStoreLocation !== undefined) requirePem(CFG.keyStoreLocation, keyStoreLocation, keyStoreType);
  if (trustStoreLocation !== undefined) requirePem(CFG.trustStoreLocation, trustStoreLocation, trustStoreType);
  // A PEM trust store has no password; ZooKeeper reads the key but PEM ignores it, and so do we.
  get(CFG.trustStorePassword, (_k, v) => v);
  const clientAuth = get(CFG.clientAuth, parseClientAuth) ?? 'need';
  const superUser = get(CFG.x509SuperUser, parseNonEmpty);
  if (keyStoreLocation === undefined) return null;
  const keyStorePassword = get(CFG.keyStorePassword, (_k, v) => v);
  return {
    keyStoreLocation,
    ...(keyStorePassword === undefined || keyStorePassword === '' ? {} : { keyStorePassword }),
    ...(trustStoreLocation === undefined ? {} : { trustStoreLocation }),
    clientAuth,
    ...(superUser === undefined ? {} : { superUser }),
  };
}

function parseNonEmpty(key: string, value: string): string {
  if (value === '') throw invalid(key, value, 'expected a file path');
  return value;
}

/** ZooKeeper's store types; Cairn reads PEM only. */
function parseStoreType(key: string, value: string): string {
  const type = value.toUpperCase();
  if (!['PEM', 'JKS', 'PKCS12', 'BCFKS'].includes(type)) throw invalid(key, value, 'expected PEM (ZooKeeper also knows JKS, PKCS12 and BCFKS)');
  return type;
}

/** A store must be PEM: typed so, or untyped with a name ZooKeeper would not take for another type. */
function requirePem(key: string, location: string, type: string | undefined): void {
  const inferred = type ?? (/\.jks$/i.test(location) ? 'JKS' : /\.(p12|pfx)$/i.test(location) ? 'PKCS12' : /\.bcfks$/i.test(location) ? 'BCFKS' : 'PEM');
  if (inferred !== 'PEM') {
    throw new Error(
      `${key} ${location} is a ${inferred} store; Cairn reads PEM only (convert it: keytool -importkeystore -destkeystore store.p12 -deststoretype PKCS12, then openssl pkcs12 -in store.p12 -nodes -out store.pem)`,
    );
  }
}

function parseClientAuth(key: string, value: string): 'none' | 'want' | 'need' {
  const mode = value.toLowerCase();
  if (mode !== 'none' && mode !== 'want' && mode !== 'need') throw invalid(key, value, 'expected none, want or need');
  return mode;
}

// ---------------------------------------------------------------------------------------------
// Command line

export const SERVER_USAGE = `usage: cairn server [--config FILE] [--data-dir DIR] [--grpc-port N] [--http-port N] [--client-port N] [--allowed-origins LIST]

  --config FILE      a zoo.cfg-style config file
  --data-dir DIR     where snapshots and the transaction log live (overrides dataDir)
  --grpc-port N      gRPC API port (overrides grpcPort; default 2182)
  --http-port N      REST/WebSocket port (overrides httpPort; default 8181)
  --client-port N    ZooKeeper wire-protocol port (overrides clientPort; default 2181)
  --allowed-origins LIST
                     origins whose web pages may use the HTTP port, comma-separated, or *
                     (overrides http.allowedOrigins; default none: same-origin only)

Ports may be 0 for any free port. Flags also take the --flag=value form.`;

type FlagName = '--config' | '--data-dir' | '--grpc-port' | '--http-port' | '--client-port' | '--allowed-origins';
const FLAG_NAMES: readonly FlagName[] = ['--config', '--data-dir', '--grpc-port', '--http-port', '--client-port', '--allowed-origins'];

function flagPortValue(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`${flag} needs a port number from 0 to 65535, not "${value}"`);
  }
  return Number(value);
}

/**
 * Parses the arguments that follow `cairn server`. A flag given twice keeps its last value.
 * Throws UsageError for an unknown flag, a missing or bad value, or a stray argument.
 */
export function parseServerArgs(argv: string[]): ServerArgs {
  const args: ServerArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      args.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!(FLAG_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`unknown option "${name}"`);
    }
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`${name} needs a value`);
      }
      value = next;
      i++;
    }
    if (value === '') throw new UsageError(`${name} needs a value`);
    switch (name as FlagName) {
      case '--config': args.config = value; break;
      case '--data-dir': args.dataDir = value; break;
      case '--grpc-port': args.grpcPort = flagPortValue(name, value); break;
      case '--http-port': args.httpPort = flagPortValue(name, value); break;
      case '--client-port': args.clientPort = flagPortValue(name, value); break;
      case '--allowed-origins': args.allowedOrigins = value; break;
    }
  }
  return args;
}
