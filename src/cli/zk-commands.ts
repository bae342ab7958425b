// zkCli's commands, with its syntax and output, over the SDK: what `cairn shell` runs, line by
// line. The output imitates ZooKeeper 3.8's zkCli.sh (`[a, b]` for ls, the Stat as `cZxid = 0x…`
// lines, ACLs as `'world,'anyone` / `: cdrwa`, errors as `Node does not exist: /x`) so that people
// and scripts used to it read it unchanged.

import { isKeeperError, keeperError, type KeeperError } from '../core/errors.js';
import { limitsPathOf, parseQuotaLimits, statsPathOf } from '../core/quota.js';
import { CreateMode, EventType, Perms, type ACL, type Stat, type WatchEvent } from '../core/types.js';
import type { Cairn } from '../client/sdk.js';
import { parseArgs, UsageError, type Parsed } from './args.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** A command line split as a shell would: whitespace, with '…' and "…" quoting. */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) tokens.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? match[3]!));
  return tokens;
}

const hex = (value: number): string => `0x${value.toString(16)}`;
const date = (ms: number): string => new Date(ms).toUTCString();

export function formatStat(stat: Stat): string[] {
  return [
    `cZxid = ${hex(stat.czxid)}`,
    `ctime = ${date(stat.ctime)}`,
    `mZxid = ${hex(stat.mzxid)}`,
    `mtime = ${date(stat.mtime)}`,
    `pZxid = ${hex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}

const PERM_LETTERS: [number, string][] = [
  [Perms.CREATE, 'c'],
  [Perms.DELETE, 'd'],
  [Perms.READ, 'r'],
  [Perms.WRITE, 'w'],
  [Perms.ADMIN, 'a'],
];

export function permsText(perms: number): string {
  return PERM_LETTERS.filter(([bit]) => (perms & bit) !== 0).map(([, letter]) => letter).join('');
}

/** zkCli's ACL text: scheme:id:perms[,scheme:id:perms…], e.g. world:anyone:cdrwa or digest:alice:…:r. */
export function parseAclText(text: string, usage: string): ACL[] {
  return text.split(',').map((entry) => {
    const last = entry.lastIndexOf(':');
    const first = entry.indexOf(':');
    if (first <= 0 || last === first) throw new UsageError(`an ACL entry is scheme:id:perms, not ${entry}`, usage);
    let perms = 0;
    for (const letter of entry.slice(last + 1)) {
      const bit = PERM_LETTERS.find(([, name]) => name === letter)?.[0];
      if (bit === undefined) throw new UsageError(`unknown permission ${letter} in ${entry} (use c, d, r, w, a)`, usage);
      perms |= bit;
    }
    return { perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } };
  });
}

export function formatAcl(acl: readonly ACL[]): string[] {
  return acl.flatMap((entry) => [`'${entry.id.scheme},'${entry.id.id}`, `: ${permsText(entry.perms)}`]);
}

const EVENT_NAMES: Record<number, string> = {
  [EventType.NodeCreated]: 'NodeCreated',
  [EventType.NodeDeleted]: 'NodeDeleted',
  [EventType.NodeDataChanged]: 'NodeDataChanged',
  [EventType.NodeChildrenChanged]: 'NodeChildrenChanged',
  [EventType.DataWatchRemoved]: 'DataWatchRemoved',
  [EventType.ChildWatchRemoved]: 'ChildWatchRemoved',
  [EventType.PersistentWatchRemoved]: 'PersistentWatchRemoved',
};

export function eventName(type: number): string {
  return EVENT_NAMES[type] ?? String(type);
}

/** zkCli's watch notification line. */
export function formatEvent(event: WatchEvent): string {
  return `WATCHER::\n\nWatchedEvent state:SyncConnected type:${eventName(event.type)} path:${event.path}`;
}

/** zkCli's sentence for a KeeperException. */
export function errorText(error: KeeperError): string {
  const path = error.path ?? '';
  switch (error.codeName) {
    case 'NoNode':
      return `Node does not exist: ${path}`;
    case 'NodeExists':
      return `Node already exists: ${path}`;
    case 'NotEmpty':
      return `Node not empty: ${path}`;
    case 'BadVersion':
      return `version No is not valid : ${path}`;
    case 'NoAuth':
      return `Insufficient permission : ${path}`;
    default:
      return `KeeperErrorCode = ${error.codeName}${path === '' ? '' : ` for ${path}`}: ${error.message}`;
  }
}

const TEXT = new TextDecoder();

export const SHELL_HELP = [
  'ZooKeeper -server host:port -client-configuration properties-file cmd args',
  '\taddauth scheme auth',
  '\tclose',
  '\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl]',
  '\tdelete [-v version] path',
  '\tdeleteall path',
  '\tdelquota [-n|-b|-N|-B] path',
  '\tget [-s] [-w] path',
  '\tgetAcl [-s] path',
  '\tgetAllChildrenNumber path',
  '\tgetEphemerals path',
  '\thistory',
  '\tlistquota path',
  '\tls [-s] [-w] [-R] path',
  '\tquit',
  '\tset [-s] [-v version] path data',
  '\tsetAcl [-s] [-v version] [-R] path acl',
  '\tsetquota -n|-b|-N|-B val path',
  '\tstat [-w] path',
  '\tsync path',
  '\twatch [-r] path (prints the events of a persistent watch until the shell ends)',
  '\twhoami',
];

interface CommandSpec {
  usage: string;
  values?: string[];
  switches?: string[];
  operands: [number, number];
}

const COMMANDS: Record<string, CommandSpec> = {
  ls: { usage: 'ls [-s] [-w] [-R] path', switches: ['-s', '-w', '-R'], operands: [1, 1] },
  get: { usage: 'get [-s] [-w] path', switches: ['-s', '-w'], operands: [1, 1] },
  set: { usage: 'set [-s] [-v version] path data', values: ['-v'], switches: ['-s'], operands: [2, 2] },
  create: { usage: 'create [-s] [-e] [-c] [-t ttl] path [data] [acl]', values: ['-t'], switches: ['-s', '-e', '-c'], operands: [1, 3] },
  delete: { usage: 'delete [-v version] path', values: ['-v'], operands: [1, 1] },
  deleteall: { usage: 'deleteall path', operands: [1, 1] },
  rmr: { usage: 'rmr path', operands: [1, 1] },
  stat: { usage: 'stat [-w] path', switches: ['-w'], operands: [1, 1] },
  getAcl: { usage: 'getAcl [-s] path', switches: ['-s'], operands: [1, 1] },
  setAcl: { usage: 'setAcl [-s] [-v version] [-R] path acl', values: ['-v'], switches: ['-s', '-R'], operands: [2, 2] },
  addauth: { usage: 'addauth scheme auth', operands: [2, 2] },
  whoami: { usage: 'whoami', operands: [0, 0] },
  sync: { usage: 'sync path', operands: [1, 1] },
  getEphemerals: { usage: 'getEphemerals path', operands: [0, 1] },
  getAllChildrenNumber: { usage: 'getAllChildrenNumber path', operands: [1, 1] },
  setquota: { usage: 'setquota -n|-b|-N|-B val path', values: ['-n', '-b', '-N', '-B'], operands: [1, 1] },
  listquota: { usage: 'listquota path', operands: [1, 1] },
  delquota: { usage: 'delquota [-n|-b|-N|-B] path', switches: ['-n', '-b', '-N', '-B'], operands: [1, 1] },
  watch: { usage: 'watch [-r] path', switches: ['-r'], operands: [1, 1] },
};

export const COMMAND_NAMES = [...Object.keys(COMMANDS), 'help', 'history', 'quit', 'exit', 'close', 'connect', 'redo'];

export interface ShellState {
  /** Persistent watches started with `watch`, closed when the shell ends. */
  watches: { close(): Promise<void> }[];
}

/** Every path under `path` (itself included), parents first (zkCli's ls -R). */
async function walk(client: Cairn, path: string): Promise<string[]> {
  const paths = [path];
  const { children } = await client.getChildren(path);
  for (const child of children.sort()) paths.push(...(await walk(client, path === '/' ? `/${child}` : `${path}/${child}`)));
  return paths;
}

async function deleteAll(client: Cairn, path: string): Promise<void> {
  const paths = await walk(client, path);
  for (const each of paths.reverse()) {
    try {
      await client.delete(each);
    } catch (error) {
      if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
    }
  }
}

function showWatch(watch: PromiseLike<WatchEvent>, output: Output): void {
  watch.then(
    (event) => output.out(formatEvent(event)),
    () => undefined,
  );
}

/** Runs one zkCli command line; false when the shell should end. */
export async function runShellCommand(client: Cairn, line: string, output: Output, state: ShellState): Promise<boolean> {
  const [name, ...argv] = tokenize(line);
  if (name === undefined) return true;
  if (name === 'quit' || name === 'exit' || name === 'close') return false;
  if (name === 'help') {
    for (const text of SHELL_HELP) output.out(text);
    return true;
  }
  const spec = COMMANDS[name];
  if (spec === undefined) {
    for (const text of SHELL_HELP) output.out(text);
    output.err(`Command not found: Command not found ${name}`);
    return true;
  }
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv, { values: spec.values ?? [], switches: spec.switches ?? [] }, spec.usage);
    if (parsed.operands.length < spec.operands[0] || parsed.operands.length > spec.operands[1]) throw new UsageError('wrong number of arguments', spec.usage);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`${error.message}\n${spec.usage}`);
    return true;
  }
  try {
    await execute(client, name, parsed, output, state, spec.usage);
  } catch (error) {
    if (error instanceof UsageError) output.err(`${error.message}\n${error.usage}`);
    else if (isKeeperError(error)) output.err(errorText(error));
    else throw error;
  }
  return true;
}

function versionOf(parsed: Parsed, usage: string): number {
  const text = parsed.values.get('-v');
  if (text === undefined) return -1;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`-v must be a version number, not ${text}`, usage);
  return Number(text);
}

async function execute(client: Cairn, name: string, parsed: Parsed, output: Output, state: ShellState, usage: string): Promise<void> {
  const [path = '/', second, third] = parsed.operands;
  const has = (flag: string) => parsed.switches.has(flag);
  switch (name) {
    case 'ls': {
      if (has('-R')) {
        for (const each of await walk(client, path)) output.out(each);
        return;
      }
      if (has('-w')) {
        const { children, stat, watch } = await client.getChildren(path, { watch: true });
        showWatch(watch, output);
        output.out(`[${children.sort().join(', ')}]`);
        if (has('-s')) for (const text of formatStat(stat)) output.out(text);
        return;
      }
      const { children, stat } = await client.getChildren(path);
      output.out(`[${children.sort().join(', ')}]`);
      if (has('-s')) for (const text of formatStat(stat)) output.out(text);
      return;
    }
    case 'get': {
      const result: { data: Uint8Array | null; stat: Stat; watch?: PromiseLike<WatchEvent> } = has('-w') ? await client.getData(path, { watch: true }) : await client.getData(path);
      if (result.watch !== undefined) showWatch(result.watch, output);
      output.out(result.data === null ? 'null' : TEXT.decode(result.data));
      if (has('-s')) for (const text of formatStat(result.stat)) output.out(text);
      return;
    }
    case 'set': {
      const stat = await client.setData(path, second!, versionOf(parsed, usage));
      if (has('-s')) for (const text of formatStat(stat)) output.out(text);
      return;
    }
    case 'create': {
      const ttl = parsed.values.get('-t');
      const sequential = has('-s');
      let mode: number;
      if (has('-c')) mode = CreateMode.CONTAINER;
      else if (ttl !== undefined) mode = sequential ? CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateMode.PERSISTENT_WITH_TTL;
      else if (has('-e')) mode = sequential ? CreateMode.EPHEMERAL_SEQUENTIAL : CreateMode.EPHEMERAL;
      else mode = sequential ? CreateMode.PERSISTENT_SEQUENTIAL : CreateMode.PERSISTENT;
      if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError(`-t must be a number of milliseconds, not ${ttl}`, usage);
      const options: { mode: number; ttl?: number; acl?: ACL[] } = { mode };
      if (ttl !== undefined) options.ttl = Number(ttl);
      if (third !== undefined) options.acl = parseAclText(third, usage);
      const created = await client.create(path, second ?? null, options);
      output.out(`Created ${created.path}`);
      return;
    }
    case 'delete':
      await client.delete(path, versionOf(parsed, usage));
      return;
    case 'deleteall':
    case 'rmr':
      await deleteAll(client, path);
      return;
    case 'stat': {
      const result = has('-w') ? await client.exists(path, { watch: true }) : { stat: await client.exists(path) };
      if ('watch' in result) showWatch(result.watch, output);
      if (result.stat === null) output.err(`Node does not exist: ${path}`);
      else for (const text of formatStat(result.stat)) output.out(text);
      return;
    }
    case 'getAcl': {
      const { acl, stat } = await client.getACL(path);
      for (const text of formatAcl(acl)) output.out(text);
      if (has('-s')) for (const text of formatStat(stat)) output.out(text);
      return;
    }
    case 'setAcl': {
      const acl = parseAclText(second!, usage);
      const targets = has('-R') ? await walk(client, path) : [path];
      let stat: Stat | undefined;
      for (const target of targets) stat = await client.setACL(target, acl, target === path ? versionOf(parsed, usage) : -1);
      if (has('-s') && stat !== undefined) for (const text of formatStat(stat)) output.out(text);
      return;
    }
    case 'addauth':
      await client.addAuth(path, second!);
      return;
    case 'whoami': {
      output.out('Auth scheme: User');
      for (const info of await client.whoAmI()) output.out(`${info.authScheme}: ${info.user}`);
      return;
    }
    case 'sync':
      await client.sync(path);
      output.out(`Sync is OK`);
      return;
    case 'getEphemerals':
      output.out(`[${(await client.getEphemerals(path)).sort().join(', ')}]`);
      return;
    case 'getAllChildrenNumber':
      output.out(String(await client.getAllChildrenNumber(path)));
      return;
    case 'setquota':
      await setQuota(client, path, parsed, usage);
      return;
    case 'listquota':
      await listQuota(client, path, output);
      return;
    case 'delquota':
      await deleteQuota(client, path, parsed);
      return;
    case 'watch': {
      const watch = await client.watch(path, { recursive: has('-r') });
      state.watches.push(watch);
      void (async () => {
        try {
          for await (const event of watch) output.out(`${eventName(event.type)} ${event.path} zxid=${hex(event.zxid)}`);
        } catch (error) {
          output.err(`watch on ${path} ended: ${error instanceof Error ? error.message : String(error)}`);
        }
      })();
      output.out(`watching ${path}${has('-r') ? ' and its subtree' : ''}`);
      return;
    }
    default:
      throw new UsageError(`unknown command ${name}`, usage);
  }
}

// ZooKeeper's StatsTrack text for a limits node: the soft limits, then the hard ones after `=`.
function limitsText(limits: { count: number; bytes: number; countHardLimit: number; byteHardLimit: number }): string {
  return `count=${limits.count},bytes=${limits.bytes}=;byteHardLimit=${limits.byteHardLimit};countHardLimit=${limits.countHardLimit}`;
}

async function readLimits(client: Cairn, path: string): Promise<ReturnType<typeof parseQuotaLimits> | null> {
  try {
    return parseQuotaLimits((await client.getData(limitsPathOf(path))).data);
  } catch (error) {
    if (isKeeperError(error) && error.codeName === 'NoNode') return null;
    throw error;
  }
}

async function setQuota(client: Cairn, path: string, parsed: Parsed, usage: string): Promise<void> {
  const flags = ['-n', '-b', '-N', '-B'].filter((flag) => parsed.values.has(flag));
  if (flags.length !== 1) throw new UsageError('give one of -n, -b, -N, -B', usage);
  const flag = flags[0]!;
  const text = parsed.values.get(flag)!;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${flag} takes a number, not ${text}`, usage);
  if ((await client.exists(path)) === null) throw keeperError('NoNode', path);
  const limits = { ...((await readLimits(client, path)) ?? { count: -1, bytes: -1, countHardLimit: -1, byteHardLimit: -1 }) };
  const value = Number(text);
  if (flag === '-n') limits.count = value;
  if (flag === '-b') limits.bytes = value;
  if (flag === '-N') limits.countHardLimit = value;
  if (flag === '-B') limits.byteHardLimit = value;
  const limitsPath = limitsPathOf(path);
  if ((await client.exists(limitsPath)) === null) {
    const parts = limitsPath.split('/').filter((part) => part !== '');
    for (let depth = 1; depth < parts.length; depth++) {
      const ancestor = `/${parts.slice(0, depth).join('/')}`;
      await client.create(ancestor, null).catch((error: unknown) => {
        if (!(isKeeperError(error) && error.codeName === 'NodeExists')) throw error;
      });
    }
    await client.create(limitsPath, limitsText(limits));
  } else {
    await client.setData(limitsPath, limitsText(limits));
  }
}

async function listQuota(client: Cairn, path: string, output: Output): Promise<void> {
  output.out(`absolute path is ${limitsPathOf(path)}`);
  try {
    const limits = await client.getData(limitsPathOf(path));
    output.out(`Output quota for ${path} ${limits.data === null ? '' : TEXT.decode(limits.data)}`);
    const stats = await client.getData(statsPathOf(path));
    output.out(`Output stat for ${path} ${stats.data === null ? '' : TEXT.decode(stats.data)}`);
  } catch (error) {
    if (isKeeperError(error) && error.codeName === 'NoNode') output.err(`quota for ${path} does not exist.`);
    else throw error;
  }
}

async function deleteQuota(client: Cairn, path: string, parsed: Parsed): Promise<void> {
  const limits = await readLimits(client, path);
  if (limits === null) throw keeperError('NoNode', limitsPathOf(path));
  const flags = ['-n', '-b', '-N', '-B'].filter((flag) => parsed.switches.has(flag));
  if (flags.length === 0) {
    // The whole quota: its limits and its stats (the mirror's other quotas stay).
    for (const node of [limitsPathOf(path), statsPathOf(path)]) {
      await client.delete(node).catch((error: unknown) => {
        if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
      });
    }
    return;
  }
  const next = { ...limits };
  if (flags.includes('-n')) next.count = -1;
  if (flags.includes('-b')) next.bytes = -1;
  if (flags.includes('-N')) next.countHardLimit = -1;
  if (flags.includes('-B')) next.byteHardLimit = -1;
  await client.setData(limitsPathOf(path), limitsText(next));
}
