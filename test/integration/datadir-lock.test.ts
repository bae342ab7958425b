// One server per data directory, with real processes: a second `cairn server` on a directory in
// use exits non-zero naming the directory and the holder's pid, without touching the log or the
// snapshots, while the first goes on serving; a server killed with -9 leaves a stale lock that the
// next start takes over; several servers started at once on a stale directory leave one serving.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, makeDataDir, removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { call } from './http-helpers.js';

const REFUSAL_TIMEOUT_MS = 30_000;

const started: ServerProcess[] = [];
const directories: string[] = [];

afterEach(async () => {
  for (const server of started.splice(0)) await server.stop('SIGKILL');
  for (const directory of directories.splice(0)) await removeDir(directory);
});

async function start(dataDir: string): Promise<ServerProcess> {
  const server = await startServerProcess({ dataDir });
  started.push(server);
  return server;
}

async function stop(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  started.splice(started.indexOf(server), 1);
  return server.stop(signal);
}

/** Runs `cairn server` on a directory expected to be locked: its exit code, output and whether it ever served. */
async function startRefused(dataDir: string): Promise<{ code: number | null; stderr: string; served: boolean }> {
  const child = spawn(process.execPath, [CLI, 'server', '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--client-port', '0', '--config', join(dataDir, 'test.cfg')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), REFUSAL_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stderr, served: stdout.includes('"cairn serving"') };
}

/** Every file of the storage directory but the lock, by name, with a hash of its content. */
async function storageFiles(dataDir: string): Promise<Record<string, string>> {
  const directory = join(dataDir, 'cairn');
  const files: Record<string, string> = {};
  for (const name of (await readdir(directory)).sort()) {
    if (name === 'LOCK') continue;
    files[name] = createHash('sha256').update(await readFile(join(directory, name))).digest('hex');
  }
  return files;
}

async function lockHolderPid(dataDir: string): Promise<number> {
  return (JSON.parse(await readFile(join(dataDir, 'cairn', 'LOCK'), 'utf8')) as { pid: number }).pid;
}

async function write(server: ServerProcess, path: string, data: string): Promise<void> {
  const created = await call(`http://127.0.0.1:${server.httpPort}`, 'POST', `/v1/znodes${path}`, { body: data });
  expect(created.status, created.text).toBe(201);
}

async function read(server: ServerProcess, path: string): Promise<string | undefined> {
  const answer = await call(`http://127.0.0.1:${server.httpPort}`, 'GET', `/v1/znodes${path}`);
  return answer.status === 200 ? (answer.json.data as string) : undefined;
}

async function newDataDir(): Promise<string> {
  const directory = await makeDataDir('cairn-lock-');
  directories.push(directory);
  return directory;
}

describe('data directory lock', () => {
  it('refuses a second server on a directory in use, and the first keeps serving its data', async () => {
    const dataDir = await newDataDir();
    const first = await start(dataDir);
    await write(first, '/before', 'written before the second server');
    const filesBefore = await storageFiles(dataDir);

    const second = await startRefused(dataDir);
    expect(second.served).toBe(false);
    expect(second.code).not.toBe(0);
    expect(second.code).not.toBeNull();
    expect(second.stderr).toContain(join(dataDir, 'cairn'));
    expect(second.stderr).toContain(`pid ${first.child.pid}`);
    expect(await storageFiles(dataDir)).toEqual(filesBefore);
    expect(await lockHolderPid(dataDir)).toBe(first.child.pid);

    expect(await read(first, '/before')).toBe('written before the second server');
    await write(first, '/after', 'written after the second server');
    expect(await read(first, '/after')).toBe('written after the second server');
    expect(await stop(first)).toEqual({ code: 0, signal: null });
    // A clean stop removes the lock.
    expect(await readdir(join(dataDir, 'cairn'))).not.toContain('LOCK');

    const restarted = await start(dataDir);
    expect(await read(restarted, '/before')).toBe('written before the second server');
    expect(await read(restarted, '/after')).toBe('written after the second server');
  });

  it('takes over the stale lock of a server killed with -9', async () => {
    const dataDir = await newDataDir();
    const killed = await start(dataDir);
    await write(killed, '/survivor', 'acknowledged before the kill');
    expect(await stop(killed, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await lockHolderPid(dataDir)).toBe(killed.child.pid);

    const restarted = await start(dataDir);
    expect(await lockHolderPid(dataDir)).toBe(restarted.child.pid);
    expect(await read(restarted, '/survivor')).toBe('acknowledged before the kill');
  });

  it('leaves exactly one of several servers started at once on a stale directory serving', async () => {
    const dataDir = await newDataDir();
    const killed = await start(dataDir);
    await write(killed, '/shared', 'one owner');
    await stop(killed, 'SIGKILL');

    const outcomes = await Promise.allSettled([0, 1, 2].map(() => start(dataDir)));
    const serving = outcomes.filter((outcome): outcome is PromiseFulfilledResult<ServerProcess> => outcome.status === 'fulfilled').map((outcome) => outcome.value);
    expect(serving).toHaveLength(1);
    const winner = serving[0]!;
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(String(outcome.reason)).toContain(`is locked by pid ${winner.child.pid}`);
    }
    expect(await lockHolderPid(dataDir)).toBe(winner.child.pid);
    expect(await read(winner, '/shared')).toBe('one owner');
  });
});
