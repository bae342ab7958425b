// An exclusive lock on a storage directory for the life of the process, so that two servers never
// append to the same log: the second one refuses to start, naming the directory and the holder.
//
// Node has no flock, so the lock is a file, `<dir>/LOCK`, holding one JSON line that says who
// holds it: pid, the process's start time and the boot it runs in (both from /proc on Linux), the
// host name and a random token unique to this acquisition.
//
// Acquiring: the record is written to a temporary file of our own, fsynced, then hard-linked to
// LOCK. link() creates the name only if it does not exist, like open(O_EXCL), but the file it
// creates is already complete: nobody ever reads an empty or half-written LOCK, and a power loss
// cannot leave one either (the data is durable before the name exists).
//
// A LOCK whose holder is dead is stale: a server killed with -9 must not block the next start.
// Taking it over must be safe when several starters find the same stale lock at once; removing
// it and retrying is not (A removes the stale file and links its own, then B, still acting on what
// it read earlier, removes A's). So only one process may remove a given stale file: the one that
// creates `LOCK.breaking.<token of that file>` (again by link, so exactly one succeeds). It reads
// LOCK again and removes it only if it still holds that token, then removes the marker, and every
// starter goes back to linking its own LOCK, which exactly one wins. While LOCK holds token T,
// nothing but T's holder (dead) and the marker's creator ever removes it, so the re-read cannot go
// stale before the unlink; and once T is gone no LOCK ever holds T again (tokens are random), so a
// slow starter that creates the marker later finds another token and leaves LOCK alone. A starter
// that dies holding a marker leaves a stale marker, broken the same way (a marker of the marker).
//
// A holder is alive when signal 0 reaches its pid (EPERM counts: the process exists) and, where
// /proc tells, it is the same process (same boot, same start time) and not a zombie. That catches
// a pid reused after a reboot or by a later process, and a server restarted in a new container
// (a new pid namespace) finds its predecessor's pid dead or started at another time. What
// remains: without /proc (macOS) a reused pid makes a stale lock look held, to be removed by
// hand; a holder on another host (a shared network directory) cannot be checked and is taken to
// be alive, and so is one whose record cannot be read. The one way two live servers could both
// get in is a holder judged dead while alive: two containers that share the directory and the host
// name but not the pid namespace, where the other's pid is invisible.
//
// The real filesystem is used directly, not the injected storage world: the lock guards against
// other processes of the operating system, which the simulator does not have.

import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const LOCK_FILE_NAME = 'LOCK';
const BREAKING_PREFIX = `${LOCK_FILE_NAME}.breaking.`;
const TEMPORARY_PREFIX = `${LOCK_FILE_NAME}.tmp.`;

/** Another starter taking over a stale lock finishes in microseconds; waiting longer means it is stuck. */
const TAKEOVER_DEADLINE_MS = 10_000;
const TAKEOVER_POLL_MS = 5;

/** Who holds a lock (or a takeover marker), as written in the file. */
export interface LockHolder {
  pid: number;
  /** Clock ticks after boot at which the process started (/proc/<pid>/stat field 22). */
  processStart?: string;
  /** /proc/sys/kernel/random/boot_id: a pid from another boot is certainly not this one. */
  bootId?: string;
  hostname: string;
  token: string;
  acquiredAt: string;
}

export interface DirectoryLock {
  readonly directory: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours; later calls do nothing. */
  release(): Promise<void>;
}

export interface DirectoryLocks {
  readonly directories: readonly string[];
  release(): Promise<void>;
}

/** The directory is held by a live process (or one whose liveness cannot be told). */
export class DirectoryLockedError extends Error {
  constructor(
    readonly directory: string,
    readonly lockFile: string,
    readonly holder: LockHolder | null,
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryLockedError';
  }
}

/**
 * Locks each directory (created if missing), in a fixed order; the same directory named twice,
 * through whatever path, is locked once. If one is held, those already taken are released.
 */
export async function lockDirectories(directories: readonly string[]): Promise<DirectoryLocks> {
  const resolved = new Set<string>();
  for (const directory of directories) {
    await mkdir(directory, { recursive: true });
    resolved.add(await realpath(directory));
  }
  const locks: DirectoryLock[] = [];
  try {
    for (const directory of [...resolved].sort()) locks.push(await lockDirectory(directory));
  } catch (error) {
    for (const lock of [...locks].reverse()) await lock.release();
    throw error;
  }
  return {
    directories: locks.map((lock) => lock.directory),
    async release() {
      for (const lock of [...locks].reverse()) await lock.release();
    },
  };
}

export async function lockDirectory(directory: string): Promise<DirectoryLock> {
  await mkdir(directory, { recursive: true });
  const lockFile = join(directory, LOCK_FILE_NAME);
  const holder = describeThisProcess();
  const temporary = join(directory, `${TEMPORARY_PREFIX}${holder.pid}.${holder.token}`);
  const file = await open(temporary, 'wx');
  try {
    await file.writeFile(`${JSON.stringify(holder)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await acquire(directory, lockFile, temporary);
  } finally {
    await rm(temporary, { force: true });
  }
  await removeLeftovers(directory, holder);

  // A process that exits without stop() (a failed start, an uncaught error) has no further use for
  // the directory; releasing then spares the next start a takeover.
  const releaseAtExit = () => removeIfOursSync(lockFile, holder.token);
  process.on('exit', releaseAtExit);
  let released = false;
  return {
    directory,
    holder,
    async release() {
      if (released) return;
      released = true;
      process.off('exit', releaseAtExit);
      const current = await readHolder(lockFile);
      if (current.kind === 'holder' && current.holder.token === holder.token) await rm(lockFile, { force: true });
    },
  };
}

async function acquire(directory: string, lockFile: string, temporary: string): Promise<void> {
  const deadline = Date.now() + TAKEOVER_DEADLINE_MS;
  for (;;) {
    if (await linkExclusively(temporary, lockFile)) return;
    const current = await readHolder(lockFile);
    if (current.kind === 'missing') continue;
    if (current.kind === 'unreadable') {
      throw new DirectoryLockedError(
        directory,
        lockFile,
        null,
        `directory ${directory} has a lock file that cannot be read (${lockFile}: ${current.reason}); ` +
          'if no server uses the directory, remove that file',
      );
    }
    const liveness = livenessOf(current.holder);
    if (liveness !== 'dead') throw lockedError(directory, lockFile, current.holder, liveness);
    const progress = await removeStale(directory, lockFile, current.holder, temporary);
    if (progress === 'wait') {
      if (Date.now() > deadline) {
        throw new Error(
          `directory ${directory}: the stale lock ${lockFile} (pid ${current.holder.pid}) is being taken over by another process ` +
            `that has not finished within ${TAKEOVER_DEADLINE_MS} ms`,
        );
      }
      await delay(TAKEOVER_POLL_MS);
    }
  }
}

function lockedError(directory: string, lockFile: string, holder: LockHolder, liveness: 'alive' | 'unknown'): DirectoryLockedError {
  const self = holder.pid === process.pid && holder.processStart === processStatus(process.pid)?.startTime ? ' (this process)' : '';
  const where = `(lock file ${lockFile}, taken ${holder.acquiredAt})`;
  const message =
    liveness === 'alive'
      ? `directory ${directory} is locked by pid ${holder.pid}${self} ${where}: another server is using it; stop that one or use another data directory`
      : `directory ${directory} is locked by pid ${holder.pid} on host ${holder.hostname} ${where}, whose liveness cannot be checked from ` +
        `${hostname()}; if no server runs there, remove the lock file`;
  return new DirectoryLockedError(directory, lockFile, holder, message);
}

/**
 * Removes the stale file at `path` if it still holds `stale`'s token, under that token's marker.
 * 'wait': someone else is doing it (or did); the caller looks again shortly.
 */
async function removeStale(directory: string, path: string, stale: LockHolder, temporary: string): Promise<'retry' | 'wait'> {
  const marker = join(directory, `${BREAKING_PREFIX}${stale.token}`);
  if (!(await linkExclusively(temporary, marker))) {
    const breaker = await readHolder(marker);
    if (breaker.kind === 'missing') return 'retry';
    if (breaker.kind === 'holder' && livenessOf(breaker.holder) === 'dead') return removeStale(directory, marker, breaker.holder, temporary);
    // A live breaker finishes soon; an unreadable marker cannot be (we write them complete), but if
    // one appears it blocks only this token, and waiting ends at the deadline with an error.
    return 'wait';
  }
  try {
    const current = await readHolder(path);
    if (current.kind === 'holder' && current.holder.token === stale.token) await rm(path, { force: true });
  } finally {
    await rm(marker, { force: true });
  }
  return 'retry';
}

async function linkExclusively(existing: string, name: string): Promise<boolean> {
  try {
    await link(existing, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

type ReadResult = { kind: 'holder'; holder: LockHolder } | { kind: 'missing' } | { kind: 'unreadable'; reason: string };

async function readHolder(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  return parseHolder(text);
}

function parseHolder(text: string): ReadResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', reason: text.length === 0 ? 'empty' : 'not JSON' };
  }
  const record = value as Partial<Record<keyof LockHolder, unknown>> | null;
  // pid 0 and negative pids would make kill() signal process groups.
  if (record === null || typeof record !== 'object') return { kind: 'unreadable', reason: 'not a lock record' };
  if (!Number.isSafeInteger(record.pid) || (record.pid as number) <= 0) return { kind: 'unreadable', reason: 'no valid pid' };
  if (typeof record.token !== 'string' || !/^[0-9a-f]{32}$/.test(record.token)) return { kind: 'unreadable', reason: 'no valid token' };
  return {
    kind: 'holder',
    holder: {
      pid: record.pid as number,
      ...(typeof record.processStart === 'string' ? { processStart: record.processStart } : {}),
      ...(typeof record.bootId === 'string' ? { bootId: record.bootId } : {}),
      hostname: typeof record.hostname === 'string' ? record.hostname : hostname(),
      token: record.token,
      acquiredAt: typeof record.acquiredAt === 'string' ? record.acquiredAt : 'an unknown time',
    },
  };
}

function livenessOf(holder: LockHolder): 'alive' | 'dead' | 'unknown' {
  if (holder.hostname !== hostname()) return 'unknown';
  const bootId = currentBootId();
  if (holder.bootId !== undefined && bootId !== undefined && holder.bootId !== bootId) return 'dead';
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    if (code !== 'EPERM') throw error;
  }
  const status = processStatus(holder.pid);
  // A zombie has closed its files for good; it only waits for its parent to reap it.
  if (status?.state === 'Z' || status?.state === 'X') return 'dead';
  if (holder.processStart !== undefined && status !== undefined && status.startTime !== holder.processStart) return 'dead';
  return 'alive';
}

function describeThisProcess(): LockHolder {
  const processStart = processStatus(process.pid)?.startTime;
  const bootId = currentBootId();
  return {
    pid: process.pid,
    ...(processStart === undefined ? {} : { processStart }),
    ...(bootId === undefined ? {} : { bootId }),
    hostname: hostname(),
    token: randomBytes(16).toString('hex'),
    acquiredAt: new Date().toISOString(),
  };
}

/** Fields 3 and 22 of /proc/<pid>/stat, or undefined where there is no /proc or no such process. */
function processStatus(pid: number): { state: string; startTime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields.length < 20) return undefined;
  return { state: fields[0]!, startTime: fields[19]! };
}

let bootIdCache: string | null | undefined;
function currentBootId(): string | undefined {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache ?? undefined;
}

/**
 * Files a starter leaves when it dies part way (its temporary file, a takeover marker). Only the
 * lock's holder calls this, so every marker other than one naming our own token names a token that
 * is not the lock's and never will be again: removing it cannot let anyone remove a live lock.
 */
async function removeLeftovers(directory: string, holder: LockHolder): Promise<void> {
  for (const name of await readdir(directory)) {
    const path = join(directory, name);
    if (name.startsWith(TEMPORARY_PREFIX)) {
      const pid = Number(name.slice(TEMPORARY_PREFIX.length).split('.')[0]);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== holder.pid && !processExists(pid)) await rm(path, { force: true });
    } else if (name.startsWith(BREAKING_PREFIX) && name !== `${BREAKING_PREFIX}${holder.token}`) {
      const marker = await readHolder(path);
      if (marker.kind !== 'holder' || livenessOf(marker.holder) === 'dead') await rm(path, { force: true });
    }
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function removeIfOursSync(lockFile: string, token: string): void {
  try {
    const current = parseHolder(readFileSync(lockFile, 'utf8'));
    if (current.kind === 'holder' && current.holder.token === token) unlinkSync(lockFile);
  } catch {
    // The process is exiting; a lock left behind is stale and the next start takes it over.
  }
}
