// A simulated disk with the failure semantics of a real one, behind storage's FileSystem.
//
// Each file keeps what is durable and the operations since its last fsync; each directory keeps
// the names created, renamed and removed since its last fsync. On a crash, every unsynced file
// operation is independently lost, kept, or (a write) torn at any byte boundary, and each
// directory keeps a random prefix of its unsynced name operations (a journal replays in order),
// so a new file or a rename whose directory was not fsynced may vanish. Writes through a handle
// opened 'append-new' (O_DSYNC) are durable once they complete. Latencies come from the world.
//
// A disk outlives the server incarnations that use it: each incarnation gets a `view`, and a
// crashed incarnation's view does nothing any more (its pending operations never complete).

import { posix } from 'node:path';
import type { FileSystem, OpenMode, StorageFile } from '../../src/storage/world.js';
import type { Prng } from './prng.js';

type FileOperation = { kind: 'write'; offset: number; bytes: Uint8Array } | { kind: 'truncate'; length: number };
type NameOperation = { kind: 'link'; name: string; inode: Inode } | { kind: 'unlink'; name: string } | { kind: 'rename'; from: string; to: string; inode: Inode };

class Inode {
  /** What reads see now. */
  current = new Content();
  /** What a crash keeps for sure. */
  durable = new Content();
  /** Operations since the last sync, in order. */
  unsynced: FileOperation[] = [];

  apply(operation: FileOperation): void {
    this.current.apply(operation);
    this.unsynced.push(operation);
  }

  sync(): void {
    for (const operation of this.unsynced) this.durable.apply(operation);
    this.unsynced = [];
  }

  crash(prng: Prng): void {
    for (const operation of this.unsynced) {
      const fate = prng.int(0, 2);
      if (fate === 0) continue; // lost
      if (fate === 2 && operation.kind === 'write' && operation.bytes.length > 1) {
        this.durable.apply({ kind: 'write', offset: operation.offset, bytes: operation.bytes.subarray(0, prng.int(1, operation.bytes.length - 1)) });
      } else {
        this.durable.apply(operation);
      }
    }
    this.unsynced = [];
    this.current = this.durable.copy();
  }
}

/** A growable byte array. */
class Content {
  private bytes = new Uint8Array(0);
  length = 0;

  apply(operation: FileOperation): void {
    if (operation.kind === 'truncate') {
      if (operation.length < this.length) this.bytes.fill(0, operation.length, this.length);
      this.ensure(operation.length);
      this.length = operation.length;
      return;
    }
    const end = operation.offset + operation.bytes.length;
    this.ensure(end);
    this.bytes.set(operation.bytes, operation.offset);
    this.length = Math.max(this.length, end);
  }

  read(target: Uint8Array, offset: number, length: number, position: number): number {
    const count = Math.max(0, Math.min(length, this.length - position));
    target.set(this.bytes.subarray(position, position + count), offset);
    return count;
  }

  copy(): Content {
    const copy = new Content();
    copy.bytes = this.bytes.slice(0, Math.max(this.length, 16));
    copy.length = this.length;
    return copy;
  }

  private ensure(size: number): void {
    if (size <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(size, this.bytes.length * 2, 4096));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

class Directory {
  current = new Map<string, Inode>();
  durable = new Map<string, Inode>();
  unsynced: NameOperation[] = [];

  apply(operation: NameOperation): void {
    applyName(this.current, operation);
    this.unsynced.push(operation);
  }

  sync(): void {
    for (const operation of this.unsynced) applyName(this.durable, operation);
    this.unsynced = [];
  }

  crash(prng: Prng): void {
    const kept = prng.int(0, this.unsynced.length);
    for (const operation of this.unsynced.slice(0, kept)) applyName(this.durable, operation);
    this.unsynced = [];
    this.current = new Map(this.durable);
  }
}

function applyName(entries: Map<string, Inode>, operation: NameOperation): void {
  switch (operation.kind) {
    case 'link':
      entries.set(operation.name, operation.inode);
      return;
    case 'unlink':
      entries.delete(operation.name);
      return;
    case 'rename':
      entries.delete(operation.from);
      entries.set(operation.to, operation.inode);
      return;
  }
}

/** How long the disk takes, and when it fails. */
export interface DiskTiming {
  /** Schedules `run` after `delayMs` of simulated time, if the incarnation is still alive. */
  after(delayMs: number, run: () => void): void;
  /** Latency of one fsync or O_DSYNC write, in simulated milliseconds. */
  syncLatencyMs(): number;
  /** Whether this fsync (or O_DSYNC write) fails with EIO: its data is then not known to be durable. */
  syncFails(): boolean;
  /** Told of every rename, once it is done (not yet durable). */
  renamed?(to: string): void;
}

export interface DiskStats {
  syncs: number;
  failedSyncs: number;
  crashes: number;
  lostFileOperations: number;
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class SimDisk {
  private readonly directories = new Map<string, Directory>();
  readonly stats: DiskStats = { syncs: 0, failedSyncs: 0, crashes: 0, lostFileOperations: 0 };
  private generation = 0;

  /** Directories exist and are durable from the start (the data directory a server is given). */
  mkdirDurably(path: string): void {
    for (let dir = posix.normalize(path); !this.directories.has(dir); dir = posix.dirname(dir)) {
      this.directories.set(dir, new Directory());
      if (dir === '/') break;
    }
  }

  /** A crash: unsynced operations are lost, kept or torn; every open view stops working. */
  crash(prng: Prng): void {
    this.generation++;
    this.stats.crashes++;
    const inodes = new Set<Inode>();
    for (const directory of this.directories.values()) {
      for (const inode of directory.current.values()) inodes.add(inode);
      for (const inode of directory.durable.values()) inodes.add(inode);
    }
    for (const inode of inodes) {
      this.stats.lostFileOperations += inode.unsynced.length;
      inode.crash(prng);
    }
    for (const directory of this.directories.values()) directory.crash(prng);
  }

  /** The names in a directory now (for tests and traces). */
  list(path: string): string[] {
    return [...(this.directories.get(path)?.current.keys() ?? [])].sort();
  }

  /** A filesystem for one incarnation: it stops doing anything once the disk crashes. */
  view(timing: DiskTiming): FileSystem {
    return new DiskView(this, this.generation, timing);
  }

  // ------------------------------------------------------------------------------------------
  // For the views

  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }

  directoryOf(path: string): { directory: Directory; name: string } {
    const directory = this.directories.get(posix.dirname(path));
    if (directory === undefined) throw fsError('ENOENT', `no directory ${posix.dirname(path)}`);
    return { directory, name: posix.basename(path) };
  }

  isDirectory(path: string): boolean {
    return this.directories.has(posix.normalize(path));
  }

  directory(path: string): Directory {
    const directory = this.directories.get(posix.normalize(path));
    if (directory === undefined) throw fsError('ENOENT', `no directory ${path}`);
    return directory;
  }

  inode(path: string): Inode | undefined {
    const { directory, name } = this.directoryOf(path);
    return directory.current.get(name);
  }
}

class DiskView implements FileSystem {
  constructor(
    private readonly disk: SimDisk,
    private readonly generation: number,
    private readonly timing: DiskTiming,
  ) {}

  /** Runs `work` now; a crashed incarnation's call never completes. */
  private now<T>(work: () => T): Promise<T> {
    if (!this.disk.isCurrent(this.generation)) return new Promise<T>(() => undefined);
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs `work` (which makes data durable) once a sync's latency has passed, or fails with EIO,
   * leaving the data as unsynced as it was: a crash may still lose, keep or tear it.
   */
  private later<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.disk.isCurrent(this.generation)) return;
      this.timing.after(this.timing.syncLatencyMs(), () => {
        if (!this.disk.isCurrent(this.generation)) return;
        if (this.timing.syncFails()) {
          this.disk.stats.failedSyncs++;
          reject(fsError('EIO', 'fsync failed (injected)'));
          return;
        }
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  private alive(): void {
    if (!this.disk.isCurrent(this.generation)) throw fsError('EIO', 'the disk of a crashed server');
  }

  open(path: string, mode: OpenMode): Promise<StorageFile> {
    return this.now(() => {
      if (this.disk.isDirectory(path)) {
        if (mode !== 'r') throw fsError('EISDIR', path);
        return new DirectoryHandle(this, this.disk.directory(path));
      }
      const { directory, name } = this.disk.directoryOf(path);
      let inode = directory.current.get(name);
      if (mode === 'append-new' && inode !== undefined) throw fsError('EEXIST', path);
      if ((mode === 'r' || mode === 'r+') && inode === undefined) throw fsError('ENOENT', path);
      if (inode === undefined) {
        inode = new Inode();
        directory.apply({ kind: 'link', name, inode });
      } else if (mode === 'w') {
        inode.apply({ kind: 'truncate', length: 0 });
      }
      return new FileHandle(this, inode, mode);
    });
  }

  readdir(path: string): Promise<string[]> {
    return this.now(() => [...this.disk.directory(path).current.keys()].sort());
  }

  mkdir(path: string): Promise<void> {
    return this.now(() => {
      if (!this.disk.isDirectory(path)) throw fsError('EACCES', `the simulation creates directories up front, not ${path}`);
    });
  }

  rm(path: string): Promise<void> {
    return this.now(() => {
      const { directory, name } = this.disk.directoryOf(path);
      if (directory.current.has(name)) directory.apply({ kind: 'unlink', name });
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.now(() => {
      this.renameSync(from, to);
      this.timing.renamed?.(to);
    });
  }

  truncate(path: string, length: number): Promise<void> {
    return this.now(() => {
      const inode = this.disk.inode(path);
      if (inode === undefined) throw fsError('ENOENT', path);
      inode.apply({ kind: 'truncate', length });
    });
  }

  readTextSync(path: string): string {
    this.alive();
    const inode = this.disk.inode(path);
    if (inode === undefined) throw fsError('ENOENT', path);
    const bytes = new Uint8Array(inode.current.length);
    inode.current.read(bytes, 0, bytes.length, 0);
    return new TextDecoder().decode(bytes);
  }

  writeTextDurablySync(path: string, text: string): void {
    this.alive();
    const { directory, name } = this.disk.directoryOf(path);
    let inode = directory.current.get(name);
    if (inode === undefined) {
      inode = new Inode();
      directory.apply({ kind: 'link', name, inode });
    }
    inode.apply({ kind: 'truncate', length: 0 });
    inode.apply({ kind: 'write', offset: 0, bytes: new TextEncoder().encode(text) });
    this.syncInode(inode);
  }

  renameSync(from: string, to: string): void {
    this.alive();
    const source = this.disk.directoryOf(from);
    const target = this.disk.directoryOf(to);
    const inode = source.directory.current.get(source.name);
    if (inode === undefined) throw fsError('ENOENT', from);
    if (source.directory === target.directory) {
      source.directory.apply({ kind: 'rename', from: source.name, to: target.name, inode });
    } else {
      target.directory.apply({ kind: 'link', name: target.name, inode });
      source.directory.apply({ kind: 'unlink', name: source.name });
    }
  }

  fsyncDirectorySync(path: string): void {
    this.alive();
    this.disk.directory(path).sync();
    this.disk.stats.syncs++;
  }

  // ------------------------------------------------------------------------------------------
  // For the handles

  syncInode(inode: Inode): void {
    inode.sync();
    this.disk.stats.syncs++;
  }

  syncDirectoryLater(directory: Directory): Promise<void> {
    return this.later(() => {
      directory.sync();
      this.disk.stats.syncs++;
    });
  }

  run<T>(work: () => T): Promise<T> {
    return this.now(work);
  }

  runDurably<T>(work: () => T): Promise<T> {
    return this.later(work);
  }
}

class FileHandle implements StorageFile {
  private closed = false;

  constructor(
    private readonly view: DiskView,
    private readonly inode: Inode,
    private readonly mode: OpenMode,
  ) {}

  private check(writing: boolean): void {
    if (this.closed) throw fsError('EBADF', 'closed handle');
    if (writing && this.mode === 'r') throw fsError('EBADF', 'read-only handle');
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.view.run(() => {
      this.check(false);
      return { bytesRead: this.inode.current.read(buffer, offset, length, position) };
    });
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return this.writev([buffer.subarray(offset, offset + length)], position);
  }

  writev(buffers: Uint8Array[], position: number): Promise<{ bytesWritten: number }> {
    // The bytes reach the page cache at once; an O_DSYNC write returns once they are durable.
    const written = (() => {
      try {
        this.check(true);
        let offset = position;
        for (const buffer of buffers) {
          this.inode.apply({ kind: 'write', offset, bytes: buffer.slice() });
          offset += buffer.length;
        }
        return { bytesWritten: offset - position };
      } catch (error) {
        return error as Error;
      }
    })();
    if (written instanceof Error) return Promise.reject(written);
    if (this.mode !== 'append-new') return this.view.run(() => written);
    return this.view.runDurably(() => {
      this.view.syncInode(this.inode);
      return written;
    });
  }

  sync(): Promise<void> {
    if (this.inode === DIRECTORY_INODE) return this.view.syncDirectoryLater(this.directory!);
    return this.view.runDurably(() => {
      this.check(false);
      this.view.syncInode(this.inode);
    });
  }

  close(): Promise<void> {
    return this.view.run(() => {
      this.closed = true;
    });
  }

  protected directory: Directory | null = null;
}

/** A stand-in inode for directory handles, whose sync makes the directory's names durable. */
const DIRECTORY_INODE = new Inode();

class DirectoryHandle extends FileHandle {
  constructor(view: DiskView, directory: Directory) {
    super(view, DIRECTORY_INODE, 'r');
    this.directory = directory;
  }
}
