// The storage directory lock on its own: one holder at a time, a refusal that names the directory
// and the holder, release, takeover of a lock whose holder is dead, and exactly one winner when
// several starters take over the same stale lock at once.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryLockedError, LOCK_FILE_NAME, lockDirectories, lockDirectory, type DirectoryLock } from '../../src/storage/lock.js';

let root: string;
let directory: string;
const held: DirectoryLock[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cairn-lock-'));
  directory = join(root, 'cairn');
});

afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
  await rm(root, { recursive: true, force: true });
});

async function acquire(path = directory): Promise<DirectoryLock> {
  const lock = await lockDirectory(path);
  held.push(lock);
  return lock;
}

/** The pid of a process that has exited (and been reaped), so nothing answers to it. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  return child.pid!;
}

/** A lock file as a server that died while holding it leaves it. */
async function writeStaleLock(pid: number, extra: Record<string, unknown> = {}): Promise<string> {
  const token = randomBytes(16).toString('hex');
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, LOCK_FILE_NAME), `${JSON.stringify({ pid, hostname: hostname(), token, acquiredAt: '2020-01-01T00:00:00.000Z', ...extra })}\n`);
  return token;
}

async function lockFileToken(): Promise<string> {
  return (JSON.parse(await readFile(join(directory, LOCK_FILE_NAME), 'utf8')) as { token: string }).token;
}

describe('storage directory lock', () => {
  it('creates the directory and a lock file naming this process', async () => {
    const lock = await acquire();
    const record = JSON.parse(await readFile(join(directory, LOCK_FILE_NAME), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, hostname: hostname(), token: lock.holder.token });
    // Nothing but the lock file is left behind by acquiring.
    expect(await readdir(directory)).toEqual([LOCK_FILE_NAME]);
  });

  it('refuses a second acquisition with the directory and the holder pid in the message', async () => {
    await acquire();
    const refusal = await lockDirectory(directory).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(DirectoryLockedError);
    const error = refusal as DirectoryLockedError;
    expect(error.message).toContain(directory);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.holder?.pid).toBe(process.pid);
    expect(await readdir(directory)).toEqual([LOCK_FILE_NAME]);
  });

  it('is free again after release, and a second release does nothing', async () => {
    const first = await lockDirectory(directory);
    await first.release();
    expect(await readdir(directory)).toEqual([]);
    const second = await acquire();
    await first.release();
    expect(await lockFileToken()).toBe(second.holder.token);
  });

  it('takes over a lock whose holder is dead', async () => {
    const stale = await writeStaleLock(await deadPid());
    const lock = await acquire();
    expect(lock.holder.token).not.toBe(stale);
    expect(await lockFileToken()).toBe(lock.holder.token);
  });

  it.runIf(process.platform === 'linux')('takes over a lock whose live pid is another process than the one that wrote it (pid reuse)', async () => {
    // Our own pid, but started at another time, or in another boot: the writer is gone.
    for (const reused of [{ processStart: '1' }, { bootId: 'another-boot' }]) {
      await writeStaleLock(process.pid, reused);
      const lock = await lockDirectory(directory);
      expect(await lockFileToken()).toBe(lock.holder.token);
      await lock.release();
    }
  });

  it('does not take over a lock held on another host, and says how to clear it', async () => {
    await writeStaleLock(await deadPid(), { hostname: `not-${hostname()}` });
    await expect(lockDirectory(directory)).rejects.toThrow(/on host not-.*remove the lock file/);
  });

  it('refuses a lock file it cannot read rather than guess', async () => {
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, LOCK_FILE_NAME), 'garbage');
    await expect(lockDirectory(directory)).rejects.toThrow(/cannot be read/);
  });

  it('gives exactly one winner when several starters take over the same stale lock', async () => {
    const pid = await deadPid();
    for (let round = 0; round < 40; round++) {
      await writeStaleLock(pid);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => lockDirectory(directory)));
      const winners = outcomes.filter((outcome): outcome is PromiseFulfilledResult<DirectoryLock> => outcome.status === 'fulfilled');
      expect(winners, `round ${round}`).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(DirectoryLockedError);
      }
      expect(await lockFileToken()).toBe(winners[0]!.value.holder.token);
      // Takeover markers and temporary files are gone once every starter has finished.
      expect(await readdir(directory)).toEqual([LOCK_FILE_NAME]);
      await winners[0]!.value.release();
    }
  });

  it('locks a directory reached through two paths once, and releases all of them', async () => {
    const other = join(root, 'log', 'cairn');
    await lockDirectory(directory).then((lock) => lock.release());
    await symlink(directory, join(root, 'alias'));
    const locks = await lockDirectories([directory, join(root, 'alias'), other]);
    expect(locks.directories).toHaveLength(2);
    await expect(lockDirectory(other)).rejects.toThrow(DirectoryLockedError);
    await locks.release();
    expect(await readdir(directory)).toEqual([]);
    expect(await readdir(other)).toEqual([]);
  });

  it('releases what it took when a later directory is held', async () => {
    const other = join(root, 'z-log');
    await acquire(other);
    await expect(lockDirectories([directory, other])).rejects.toThrow(DirectoryLockedError);
    expect(await readdir(directory)).toEqual([]);
  });
});
