// The `cairn` commands that talk to a running ensemble over gRPC (--server host:port, several
// comma-separated for fail-over; CAIRN_SERVER otherwise; 127.0.0.1:2182 by default):
//
//   cairn shell                      zkCli's commands, interactive (tab completion of commands and
//                                    paths, history in ~/.cairn_history) or read from stdin
//   cairn get|put|ls|rm|watch …      one-shot, as etcdctl: --output text|json
//   cairn lock PATH -- CMD …         runs CMD while holding a lock (a Curator InterProcessMutex)
//   cairn elect PATH -- CMD …        runs CMD while leader (a Curator LeaderSelector)

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { isKeeperError } from '../core/errors.js';
import { CreateMode } from '../core/types.js';
import { connect } from '../client/node.js';
import type { Cairn } from '../client/sdk.js';
import { LeaderSelector, Mutex } from '../client/recipes/index.js';
import { parseArgs, UsageError, type Parsed } from './args.js';
import { COMMAND_NAMES, errorText, eventName, formatStat, runShellCommand, type Output, type ShellState } from './zk-commands.js';

export const DEFAULT_SERVER = '127.0.0.1:2182';
const SERVER_FLAGS = ['--server', '--session-timeout'];

export const CLIENT_USAGE = {
  shell: 'usage: cairn shell [--server HOST:PORT[,…]] [--session-timeout MS]',
  get: 'usage: cairn get [--server …] [--output text|json] [-s] PATH',
  put: 'usage: cairn put [--server …] [--output text|json] [-e] PATH VALUE   (sets, or creates it and its parents)',
  ls: 'usage: cairn ls [--server …] [--output text|json] [-R] PATH',
  rm: 'usage: cairn rm [--server …] [-r] PATH',
  watch: 'usage: cairn watch [--server …] [--output text|json] [-r] [--count N] PATH',
  lock: 'usage: cairn lock [--server …] [--timeout MS] PATH -- COMMAND [ARG…]',
  elect: 'usage: cairn elect [--server …] [--id ID] PATH -- COMMAND [ARG…]',
} as const;

export type ClientCommand = keyof typeof CLIENT_USAGE;

export function isClientCommand(name: string): name is ClientCommand {
  return name in CLIENT_USAGE;
}

function connectFrom(parsed: Parsed, usage: string): Promise<Cairn> {
  const servers = parsed.values.get('--server') ?? process.env.CAIRN_SERVER ?? DEFAULT_SERVER;
  const timeoutText = parsed.values.get('--session-timeout');
  if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError(`--session-timeout must be milliseconds, not ${timeoutText}`, usage);
  return connect({ servers, sessionTimeoutMs: timeoutText === undefined ? 10_000 : Number(timeoutText), connectionTimeoutMs: 10_000 });
}

function outputMode(parsed: Parsed, usage: string): 'text' | 'json' {
  const mode = parsed.values.get('--output') ?? 'text';
  if (mode !== 'text' && mode !== 'json') throw new UsageError(`--output is text or json, not ${mode}`, usage);
  return mode;
}

const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const TEXT = new TextDecoder();

/** Runs a client command; resolves with the exit code. */
export async function runClientCommand(name: ClientCommand, argv: string[]): Promise<number> {
  const usage = CLIENT_USAGE[name];
  const common = { values: [...SERVER_FLAGS, '--output', '--count', '--timeout', '--id'], switches: ['-s', '-R', '-r', '-e', '--help', '-h'] };
  const parsed = parseArgs(argv, common, usage);
  if (parsed.switches.has('--help') || parsed.switches.has('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  switch (name) {
    case 'shell':
      if (parsed.operands.length > 0) throw new UsageError(`unexpected argument ${parsed.operands[0]}`, usage);
      return shell(await connectFrom(parsed, usage));
    case 'lock':
    case 'elect': {
      if (parsed.operands.length !== 1 || parsed.rest.length === 0) throw new UsageError('a path, then -- and the command to run', usage);
      const client = await connectFrom(parsed, usage);
      try {
        return name === 'lock' ? await runLocked(client, parsed, usage) : await runElected(client, parsed);
      } finally {
        await client.close();
      }
    }
    default: {
      const counts: Record<string, [number, number]> = { get: [1, 1], put: [2, 2], ls: [1, 1], rm: [1, 1], watch: [1, 1] };
      const [min, max] = counts[name]!;
      if (parsed.operands.length < min || parsed.operands.length > max) throw new UsageError(parsed.operands.length < min ? 'missing arguments' : `unexpected argument ${parsed.operands[max]}`, usage);
      const mode = outputMode(parsed, usage);
      const client = await connectFrom(parsed, usage);
      try {
        return await oneShot(client, name, parsed, mode, usage);
      } catch (error) {
        if (!isKeeperError(error)) throw error;
        if (mode === 'json') stdio.out(JSON.stringify({ error: { code: error.code, name: error.codeName, path: error.path ?? null, message: error.message } }));
        else stdio.err(`cairn: ${errorText(error)}`);
        return 1;
      } finally {
        await client.close();
      }
    }
  }
}

function statJson(stat: object): object {
  return stat;
}

async function oneShot(client: Cairn, name: ClientCommand, parsed: Parsed, mode: 'text' | 'json', usage: string): Promise<number> {
  const [path, value] = parsed.operands as [string, string | undefined];
  switch (name) {
    case 'get': {
      const { data, stat } = await client.getData(path);
      if (mode === 'json') stdio.out(JSON.stringify({ path, data: data === null ? null : TEXT.decode(data), stat: statJson(stat) }));
      else {
        stdio.out(data === null ? '' : TEXT.decode(data));
        if (parsed.switches.has('-s')) for (const line of formatStat(stat)) stdio.out(line);
      }
      return 0;
    }
    case 'put': {
      let stat;
      let created = false;
      try {
        stat = await client.setData(path, value!);
      } catch (error) {
        if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
        await ensureParents(client, path);
        stat = (await client.create(path, value!, { mode: parsed.switches.has('-e') ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT })).stat;
        created = true;
      }
      if (mode === 'json') stdio.out(JSON.stringify({ path, created, stat }));
      else stdio.out(created ? `created ${path}` : `OK (version ${stat.version})`);
      return 0;
    }
    case 'ls': {
      const recursive = parsed.switches.has('-R');
      const paths = recursive ? await walk(client, path) : (await client.getChildren(path)).children.sort();
      if (mode === 'json') stdio.out(JSON.stringify(recursive ? { path, paths } : { path, children: paths }));
      else for (const entry of paths) stdio.out(entry);
      return 0;
    }
    case 'rm': {
      if (parsed.switches.has('-r')) {
        for (const each of (await walk(client, path)).reverse()) await client.delete(each);
      } else {
        await client.delete(path);
      }
      if (mode === 'json') stdio.out(JSON.stringify({ path, deleted: true }));
      return 0;
    }
    case 'watch': {
      const countText = parsed.values.get('--count');
      if (countText !== undefined && !/^\d+$/.test(countText)) throw new UsageError(`--count must be a number, not ${countText}`, usage);
      const limit = countText === undefined ? Infinity : Number(countText);
      const watch = await client.watch(path, { recursive: parsed.switches.has('-r') });
      const stop = () => void watch.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let seen = 0;
      try {
        if (mode === 'text') process.stderr.write(`watching ${path}\n`);
        else stdio.out(JSON.stringify({ watching: path, zxid: client.lastZxid }));
        for await (const event of watch) {
          if (mode === 'json') stdio.out(JSON.stringify({ type: eventName(event.type), path: event.path, zxid: event.zxid }));
          else stdio.out(`${eventName(event.type)} ${event.path}`);
          if (++seen >= limit) break;
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await watch.close().catch(() => undefined);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${name}`, usage);
  }
}

/** Makes the missing ancestors of `path` as persistent nodes (put's keys need no prepared tree). */
async function ensureParents(client: Cairn, path: string): Promise<void> {
  const parts = path.split('/').filter((part) => part !== '');
  for (let depth = 1; depth < parts.length; depth++) {
    await client.create(`/${parts.slice(0, depth).join('/')}`, null).catch((error: unknown) => {
      if (!(isKeeperError(error) && error.codeName === 'NodeExists')) throw error;
    });
  }
}

async function walk(client: Cairn, path: string): Promise<string[]> {
  const paths = [path];
  for (const child of (await client.getChildren(path)).children.sort()) paths.push(...(await walk(client, path === '/' ? `/${child}` : `${path}/${child}`)));
  return paths;
}

/** Runs the command after `--` as a child with this process's stdio; resolves with its exit code. */
function runChild(command: string[], signal?: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit' });
    const forward = (name: NodeJS.Signals) => child.kill(name);
    const onInt = () => forward('SIGINT');
    const onTerm = () => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    signal?.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
    child.on('error', (error) => {
      process.stderr.write(`cairn: cannot run ${command[0]}: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, killed) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code ?? (killed === null ? 1 : 128 + 15));
    });
  });
}

async function runLocked(client: Cairn, parsed: Parsed, usage: string): Promise<number> {
  const timeoutText = parsed.values.get('--timeout');
  if (timeoutText !== undefined && !/^\d+$/.test(timeoutText)) throw new UsageError(`--timeout must be milliseconds, not ${timeoutText}`, usage);
  const mutex = new Mutex(client, parsed.operands[0]!);
  if (!(await mutex.acquire(timeoutText === undefined ? undefined : Number(timeoutText)))) {
    process.stderr.write(`cairn: the lock ${parsed.operands[0]} was not acquired within ${timeoutText} ms\n`);
    return 1;
  }
  // Losing the session loses the lock: the command is stopped rather than run unprotected.
  const lost = new AbortController();
  client.on('state', (state) => {
    if (state === 'LOST') {
      process.stderr.write('cairn: the session was lost with the lock; stopping the command\n');
      lost.abort();
    }
  });
  try {
    return await runChild(parsed.rest, lost.signal);
  } finally {
    await mutex.release().catch(() => undefined);
  }
}

async function runElected(client: Cairn, parsed: Parsed): Promise<number> {
  let exitCode = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const selector = new LeaderSelector(
    client,
    parsed.operands[0]!,
    async (signal) => {
      // Leadership lost (SUSPENDED or LOST) aborts the signal: the command is stopped.
      exitCode = await runChild(parsed.rest, signal);
      done();
    },
    { id: parsed.values.get('--id') ?? `${process.pid}` },
  );
  selector.start();
  await finished;
  await selector.close();
  return exitCode;
}

// ---------------------------------------------------------------------------------------------
// The shell

const HISTORY_FILE = join(homedir(), '.cairn_history');
const HISTORY_SIZE = 1000;

/** Tab completion: command names first, then paths (the children of what is typed so far). */
export function completer(client: Cairn): (line: string) => Promise<[string[], string]> {
  return async (line) => {
    const words = line.split(/\s+/);
    const last = words[words.length - 1] ?? '';
    if (words.length <= 1) {
      const hits = COMMAND_NAMES.filter((name) => name.startsWith(last));
      return [hits.length > 0 ? hits : COMMAND_NAMES, last];
    }
    if (!last.startsWith('/')) return [[], last];
    const slash = last.lastIndexOf('/');
    const parent = slash === 0 ? '/' : last.slice(0, slash);
    const prefix = last.slice(slash + 1);
    try {
      const { children } = await client.getChildren(parent);
      const base = parent === '/' ? '/' : `${parent}/`;
      return [children.filter((child) => child.startsWith(prefix)).sort().map((child) => `${base}${child}`), last];
    } catch {
      return [[], last];
    }
  };
}

function loadHistory(): string[] {
  if (!existsSync(HISTORY_FILE)) return [];
  return readFileSync(HISTORY_FILE, 'utf8').split('\n').filter((line) => line !== '').slice(-HISTORY_SIZE).reverse();
}

async function shell(client: Cairn): Promise<number> {
  const interactive = process.stdin.isTTY === true;
  const complete = completer(client);
  const reader: Interface = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
    history: interactive ? loadHistory() : [],
    historySize: HISTORY_SIZE,
    completer: interactive ? (line: string, callback: (error: null, result: [string[], string]) => void) => void complete(line).then((result) => callback(null, result)) : undefined,
  });
  const state: ShellState = { watches: [] };
  const typed: string[] = [];
  // Connection changes as zkCli shows them (the shell's own close is not news).
  client.on('state', (connection) => {
    if (connection !== 'CLOSED') stdio.err(`\nWATCHER::\n\nWatchedEvent state:${connection} type:None path:null`);
  });
  const prompt = () => {
    if (interactive) {
      reader.setPrompt(`[cairn: ${client.server ?? 'disconnected'}(${client.state})] `);
      reader.prompt();
    }
  };
  prompt();
  let code = 0;
  for await (const line of reader) {
    if (line.trim() === 'history') {
      typed.slice(-20).forEach((entry, index) => stdio.out(`${typed.length - Math.min(20, typed.length) + index} - ${entry}`));
      prompt();
      continue;
    }
    if (line.trim() !== '') {
      typed.push(line);
      if (interactive) appendFileSync(HISTORY_FILE, `${line}\n`);
    }
    let goOn: boolean;
    try {
      goOn = await runShellCommand(client, line, stdio, state);
    } catch (error) {
      stdio.err(`cairn: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
      goOn = true;
    }
    if (!goOn) break;
    prompt();
  }
  reader.close();
  for (const watch of state.watches) await watch.close().catch(() => undefined);
  await client.close();
  return code;
}
