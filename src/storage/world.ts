// What storage needs from the outside world: a filesystem, a way to run work after the current
// event-loop turn (group commit), and a monotonic clock for sync latency figures. Production
// passes `nodeStorageWorld`; the simulator passes a deterministic twin whose disk loses, keeps or
// tears unsynced writes on a crash. Every byte storage reads or writes goes through `fs`.

import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, truncate } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** The subset of a file handle storage uses (node's FileHandle has this shape). */
export interface StorageFile {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }>;
  /** fsync: data and metadata of this file (not its name in the directory). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How a file is opened: 'r' read, 'r+' read/write, 'w' create or truncate, and 'append-new':
 * create exclusively (an existing name is an error, EEXIST) for writes that are durable when they
 * return (O_DSYNC), as the transaction log wants.
 */
export type OpenMode = 'r' | 'r+' | 'w' | 'append-new';

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<StorageFile>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  /** Removes a file; a missing one is no error. */
  rm(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
  // Synchronous calls, for the epoch files that ZAB needs durable before its next message.
  /** The file's text; throws an error with code ENOENT when it does not exist. */
  readTextSync(path: string): string;
  /** Creates or replaces the file with `text` and fsyncs it (its name is not yet durable). */
  writeTextDurablySync(path: string, text: string): void;
  renameSync(from: string, to: string): void;
  fsyncDirectorySync(path: string): void;
}

export interface StorageWorld {
  fs: FileSystem;
  /** Runs `run` once the current event-loop turn is done (setImmediate). */
  defer(run: () => void): void;
  /** A monotonic clock in milliseconds, for latency figures only. */
  monotonicMs(): number;
}

const OPEN_FLAGS: Record<OpenMode, string | number> = {
  r: 'r',
  'r+': 'r+',
  w: 'w',
  'append-new': constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC,
};

export const nodeFileSystem: FileSystem = {
  open: (path, mode) => open(path, OPEN_FLAGS[mode]),
  readdir: (path) => readdir(path),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  rm: (path) => rm(path, { force: true }),
  rename: (from, to) => rename(from, to),
  truncate: (path, length) => truncate(path, length),
  readTextSync: (path) => readFileSync(path, 'utf8'),
  writeTextDurablySync: (path, text) => {
    const handle = openSync(path, 'w');
    try {
      writeSync(handle, text);
      fsyncSync(handle);
    } finally {
      closeSync(handle);
    }
  },
  renameSync: (from, to) => renameSync(from, to),
  fsyncDirectorySync: (path) => {
    const directory = openSync(path, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  },
};

export const nodeStorageWorld: StorageWorld = {
  fs: nodeFileSystem,
  defer: (run) => void setImmediate(run),
  monotonicMs: () => performance.now(),
};
