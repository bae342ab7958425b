// The append-only transaction log: files `log.<first zxid, 16 hex>` in one directory (shared with
// the snapshots). A record is acknowledged only once it is on disk; appends are group-committed.
//
// File layout (big-endian):
//   header (24 bytes): u32 magic "CRNL", u32 format version, i64 zxid of the first record,
//                      u32 maxRecordBytes the writer enforced, u32 CRC32 of the previous 20 bytes
//   records:           u32 body length, u32 CRC32 of the body, body = i64 zxid + payload
//   end:               a zero length (the preallocated tail is zeros) or the end of the file
// Storing maxRecordBytes in the header lets a reader tell a long record from a garbage length with
// the writer's own bound, whatever the reader's configuration.

import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { readInt64, writeInt64 } from '../core/codec.js';
import { assert } from '../core/errors.js';
import { mutant } from '../core/mutants.js';
import type { FileSystem, StorageFile, StorageWorld } from './world.js';

export const LOG_FORMAT_VERSION = 1;
const LOG_MAGIC = 0x43524e4c; // "CRNL"
export const LOG_HEADER_BYTES = 24;
/** u32 length + u32 CRC. */
const FRAME_BYTES = 8;
const ZXID_BYTES = 8;

/** ZooKeeper's jute.maxbuffer (1 MiB) bounds a request's data; 64 KiB covers path, ACLs and txn header. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024 + 64 * 1024;
/** No configuration may exceed this, so a reader never allocates more than this for one record. */
export const MAX_RECORD_BYTES_LIMIT = 64 * 1024 * 1024;
/**
 * The log grows by this much at a time. ZooKeeper uses 64 MiB, but writing 64 MiB of zeros and
 * syncing them stalls the batch that starts a new file for ≈ 0.3 s here (measured after every
 * snapshot's rollover); 4 MiB keeps that stall near 10 ms while size changes stay rare.
 */
export const DEFAULT_PREALLOCATE_BYTES = 4 * 1024 * 1024;
/** Keeps one growth write within a few hundred 1 MiB zero buffers. */
const MAX_PREALLOCATE_BYTES = 1024 * 1024 * 1024;

// Preallocation writes zeros rather than growing the file with ftruncate. Measured on this
// machine's ext4 (virtio disk) with a script that appends records + fdatasync 2000-3000 times
// into a 64 MiB file grown each way (and into an unpreallocated file), three rounds each:
//   4 KiB records:  zeros p50 0.16-0.20 ms, mean 0.18-0.27 ms;  ftruncate p50 0.22-0.25 ms,
//                   mean 0.23-0.34 ms;  no preallocation p50 0.23-0.33 ms, mean 0.28-0.46 ms
//   256 B records:  zeros p50 0.13-0.14 ms, p99 0.20-0.24 ms;  ftruncate p50 0.12-0.15 ms,
//                   p99 0.22-0.30 ms;  no preallocation p50 0.15-0.17 ms, p99 0.23-0.40 ms
// ftruncate leaves a hole, so each write into it still allocates blocks that fdatasync must
// journal; written zeros are already allocated. Zeros were never slower and up to ~25% faster.
const ZERO_BLOCK = Buffer.alloc(1024 * 1024);

export interface LogFile {
  firstZxid: number;
  path: string;
}

export interface LogRecord {
  zxid: number;
  payload: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// File names and directory helpers (shared by the other storage modules)

export function zxidHex(zxid: number): string {
  assert(Number.isSafeInteger(zxid) && zxid >= 0, `zxid ${zxid} is a non-negative safe integer`);
  return zxid.toString(16).padStart(16, '0');
}

const LOG_NAME = /^log\.([0-9a-f]{16})$/;

export function logFileName(firstZxid: number): string {
  return `log.${zxidHex(firstZxid)}`;
}

/** Parses `<prefix>.<16 hex>`; null for any other name. */
export function parseZxidFileName(name: string, pattern: RegExp): number | null {
  const match = pattern.exec(name);
  if (match === null) return null;
  const zxid = Number.parseInt(match[1]!, 16);
  return Number.isSafeInteger(zxid) ? zxid : null;
}

/** The log files of a directory, oldest first. */
export async function listLogFiles(fs: FileSystem, dir: string): Promise<LogFile[]> {
  const files: LogFile[] = [];
  for (const name of await fs.readdir(dir)) {
    const firstZxid = parseZxidFileName(name, LOG_NAME);
    if (firstZxid !== null) files.push({ firstZxid, path: join(dir, name) });
  }
  return files.sort((a, b) => a.firstZxid - b.firstZxid);
}

/** Index of the newest file starting at or before `zxid` (the one that may hold zxid + 1), or -1. */
export function newestLogStartingAtOrBefore(files: readonly LogFile[], zxid: number): number {
  let found = -1;
  for (let index = 0; index < files.length && files[index]!.firstZxid <= zxid; index++) found = index;
  return found;
}

/** Makes creations, renames and deletions in a directory durable. */
export async function fsyncDirectory(fs: FileSystem, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cuts a file to `length` bytes, durably. */
export async function truncateDurably(fs: FileSystem, path: string, length: number): Promise<void> {
  await fs.truncate(path, length);
  const handle = await fs.open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeFully(handle: StorageFile, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  let offset = position;
  for (;;) {
    const { bytesWritten } = await handle.writev(pending, offset);
    offset += bytesWritten;
    pending = dropBytes(pending, bytesWritten);
    if (pending.length === 0) return;
    assert(bytesWritten > 0, 'a write makes progress');
  }
}

function dropBytes(buffers: Uint8Array[], byteCount: number): Uint8Array[] {
  let left = byteCount;
  let index = 0;
  while (index < buffers.length && left >= buffers[index]!.length) left -= buffers[index++]!.length;
  if (index === buffers.length) return [];
  return [buffers[index]!.subarray(left), ...buffers.slice(index + 1)];
}

// ---------------------------------------------------------------------------------------------
// Sequential reading

/** Buffered sequential reads of a file; returned views are valid until the next read. */
export class FileCursor {
  private buffer: Buffer;
  private start = 0;
  private end = 0;
  private endOfFile = false;
  /** File offset of buffer[start]. */
  private fileOffset: number;

  constructor(
    private readonly handle: StorageFile,
    bufferBytes = 1024 * 1024,
    startOffset = 0,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferBytes);
    this.fileOffset = startOffset;
  }

  /** File offset of the next unread byte. */
  get position(): number {
    return this.fileOffset;
  }

  /** Up to `byteCount` bytes; fewer only at the end of the file. */
  async read(byteCount: number): Promise<Buffer> {
    if (this.end - this.start < byteCount && !this.endOfFile) await this.fill(byteCount);
    const available = Math.min(byteCount, this.end - this.start);
    const view = this.buffer.subarray(this.start, this.start + available);
    this.start += available;
    this.fileOffset += available;
    return view;
  }

  private async fill(byteCount: number): Promise<void> {
    if (this.buffer.length - this.start < byteCount) this.makeRoom(byteCount);
    while (this.end - this.start < byteCount) {
      const readOffset = this.fileOffset + (this.end - this.start);
      const { bytesRead } = await this.handle.read(this.buffer, this.end, this.buffer.length - this.end, readOffset);
      if (bytesRead === 0) {
        this.endOfFile = true;
        return;
      }
      this.end += bytesRead;
    }
  }

  private makeRoom(byteCount: number): void {
    const unread = this.end - this.start;
    const target = byteCount > this.buffer.length ? Buffer.allocUnsafe(byteCount) : this.buffer;
    this.buffer.copy(target, 0, this.start, this.end);
    this.buffer = target;
    this.start = 0;
    this.end = unread;
  }
}

// ---------------------------------------------------------------------------------------------
// Scanning one log file

interface LogHeader {
  firstZxid: number;
  maxRecordBytes: number;
}

function encodeLogHeader(firstZxid: number, maxRecordBytes: number): Buffer {
  const header = Buffer.alloc(LOG_HEADER_BYTES);
  header.writeUInt32BE(LOG_MAGIC, 0);
  header.writeUInt32BE(LOG_FORMAT_VERSION, 4);
  writeInt64(header, firstZxid, 8);
  header.writeUInt32BE(maxRecordBytes, 16);
  header.writeUInt32BE(crc32(header.subarray(0, 20)), 20);
  return header;
}

/** The header, or why it is unusable. */
function decodeLogHeader(header: Buffer): LogHeader | string {
  if (header.length < LOG_HEADER_BYTES) return `header is ${header.length} bytes`;
  if (header.readUInt32BE(0) !== LOG_MAGIC) return 'bad magic';
  if (header.readUInt32BE(20) !== crc32(header.subarray(0, 20))) return 'header CRC mismatch';
  const version = header.readUInt32BE(4);
  if (version !== LOG_FORMAT_VERSION) return `unknown format version ${version}`;
  const maxRecordBytes = header.readUInt32BE(16);
  if (maxRecordBytes > MAX_RECORD_BYTES_LIMIT) return `maxRecordBytes ${maxRecordBytes} over the limit`;
  return { firstZxid: readInt64(header, 8), maxRecordBytes };
}

export interface ScannedRecord extends LogRecord {
  /** File offset just past this record. */
  endOffset: number;
}

/**
 * Reads a log file record by record, validating as it goes. next() returns null at the end; then
 * `damage` says why reading stopped early (null for a clean end) and `validEndOffset` is where the
 * good records end. Payloads are views, valid until the next call.
 */
export class LogFileScanner {
  damage: string | null = null;
  validEndOffset = 0;
  lastZxid: number | null = null;
  recordCount = 0;
  private header: LogHeader | null = null;
  private finished = false;

  private constructor(
    private readonly handle: StorageFile,
    private readonly cursor: FileCursor,
    private readonly expectedFirstZxid: number,
  ) {}

  static async open(fs: FileSystem, file: LogFile): Promise<LogFileScanner> {
    const handle = await fs.open(file.path, 'r');
    return new LogFileScanner(handle, new FileCursor(handle), file.firstZxid);
  }

  async next(): Promise<ScannedRecord | null> {
    if (this.finished) return null;
    if (this.header === null && !(await this.readHeader())) return this.stop(null);
    const frame = await this.cursor.read(FRAME_BYTES);
    if (frame.length === 0) return this.stop(null);
    // Zeros too few for a whole frame are the end of a preallocated file whose records ended just
    // short of its size (written so by earlier versions): an end, not damage.
    if (frame.length < FRAME_BYTES) return this.stop(frame.every((byte) => byte === 0) ? null : `torn frame at offset ${this.validEndOffset}`);
    const length = frame.readUInt32BE(0);
    const checksum = frame.readUInt32BE(4);
    if (length === 0) return this.stop(checksum === 0 ? null : `nonzero CRC after the end marker at offset ${this.validEndOffset}`);
    if (length < ZXID_BYTES || length > this.header!.maxRecordBytes + ZXID_BYTES) {
      return this.stop(`garbage length ${length} at offset ${this.validEndOffset}`);
    }
    return this.readBody(length, checksum);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async readHeader(): Promise<boolean> {
    const header = decodeLogHeader(await this.cursor.read(LOG_HEADER_BYTES));
    if (typeof header === 'string') {
      this.damage = header;
      return false;
    }
    if (header.firstZxid !== this.expectedFirstZxid) {
      this.damage = `header zxid ${header.firstZxid} does not match the file name`;
      return false;
    }
    this.header = header;
    this.validEndOffset = LOG_HEADER_BYTES;
    return true;
  }

  private async readBody(length: number, checksum: number): Promise<ScannedRecord | null> {
    const body = await this.cursor.read(length);
    if (body.length < length) return this.stop(`torn record at offset ${this.validEndOffset}`);
    if (crc32(body) !== checksum) return this.stop(`CRC mismatch at offset ${this.validEndOffset}`);
    const zxid = readInt64(body, 0);
    const expected = this.lastZxid === null ? `= ${this.expectedFirstZxid}` : `> ${this.lastZxid}`;
    const inOrder = this.lastZxid === null ? zxid === this.expectedFirstZxid : zxid > this.lastZxid;
    if (!inOrder) return this.stop(`record zxid ${zxid} where ${expected} was due, at offset ${this.validEndOffset}`);
    this.lastZxid = zxid;
    this.recordCount++;
    this.validEndOffset = this.cursor.position;
    return { zxid, payload: body.subarray(ZXID_BYTES), endOffset: this.validEndOffset };
  }

  private stop(damage: string | null): null {
    this.finished = true;
    if (damage !== null) this.damage = damage;
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The log

export interface TxnLogOptions {
  /** The log file grows in blocks of this many bytes, so fdatasync rarely commits a size change. */
  preallocateBytes?: number;
  /** Largest payload append() accepts. */
  maxRecordBytes?: number;
  /** zxid of the last durable record (recover() reports it); appends must be greater. */
  lastZxid?: number;
}

export interface TxnLogStats {
  appendCount: number;
  batchCount: number;
  /** fsync/fdatasync calls that committed batches: one per batch. */
  syncCount: number;
  directorySyncCount: number;
  filesCreated: number;
  bytesWritten: number;
  lastSyncLatencyMs: number;
  maxSyncLatencyMs: number;
  totalSyncLatencyMs: number;
  largestBatchRecords: number;
}

interface OpenFile {
  handle: StorageFile;
  path: string;
  /** Where the next record goes. */
  writePosition: number;
  /** Bytes of the file already allocated (header, records and zeros). */
  allocatedBytes: number;
}

/** Appends waiting for one write + one fdatasync; every append of a batch shares its promise. */
class Batch {
  length = 0;
  recordCount = 0;
  firstZxid = -1;
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor(public buffer: Buffer) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Callers await `done`; this handler only keeps a batch nobody awaits from crashing the process.
    this.done.catch(() => undefined);
  }

  add(zxid: number, payload: Uint8Array): void {
    const bodyLength = ZXID_BYTES + payload.length;
    this.reserve(FRAME_BYTES + bodyLength);
    const start = this.length;
    const body = start + FRAME_BYTES;
    this.buffer.writeUInt32BE(bodyLength, start);
    writeInt64(this.buffer, zxid, body);
    this.buffer.set(payload, body + ZXID_BYTES);
    this.buffer.writeUInt32BE(crc32(this.buffer.subarray(body, body + bodyLength)), start + 4);
    this.length = body + bodyLength;
    if (this.recordCount === 0) this.firstZxid = zxid;
    this.recordCount++;
  }

  private reserve(byteCount: number): void {
    const needed = this.length + byteCount;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

type Operation = { kind: 'batch'; batch: Batch } | { kind: 'control'; run: () => Promise<void>; resolve: () => void; reject: (error: unknown) => void };

const BATCH_BUFFER_BYTES = 64 * 1024;
/** Batch buffers up to this size are kept for reuse; bigger ones are left to the collector. */
const SPARE_BUFFER_MAX_BYTES = 4 * 1024 * 1024;

export class TxnLog {
  readonly stats: TxnLogStats = {
    appendCount: 0,
    batchCount: 0,
    syncCount: 0,
    directorySyncCount: 0,
    filesCreated: 0,
    bytesWritten: 0,
    lastSyncLatencyMs: 0,
    maxSyncLatencyMs: 0,
    totalSyncLatencyMs: 0,
    largestBatchRecords: 0,
  };
  private readonly preallocateBytes: number;
  private readonly maxRecordBytes: number;
  private lastAcceptedZxid: number;
  /** The file appends go to; null until the next batch creates one. */
  private file: OpenFile | null = null;
  /** Work in call order: batches (the last one still filling) and control operations. */
  private readonly queue: Operation[] = [];
  /** The batch at the tail of the queue that appends still join. */
  private filling: Batch | null = null;
  private running = false;
  private runScheduled = false;
  private failure: unknown = null;
  private closed = false;
  private spareBuffer: Buffer | null = null;
  /** Every truncation's zxid, in order (they are rare: a TRUNC from a new leader). */
  private readonly truncations: number[] = [];

  private constructor(
    private readonly world: StorageWorld,
    readonly dir: string,
    options: TxnLogOptions,
  ) {
    this.preallocateBytes = options.preallocateBytes ?? DEFAULT_PREALLOCATE_BYTES;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.lastAcceptedZxid = options.lastZxid ?? -1;
    assert(Number.isSafeInteger(this.preallocateBytes) && this.preallocateBytes > 0, 'preallocateBytes is a positive integer');
    assert(this.preallocateBytes <= MAX_PREALLOCATE_BYTES, `preallocateBytes is at most ${MAX_PREALLOCATE_BYTES}`);
    assert(Number.isSafeInteger(this.maxRecordBytes) && this.maxRecordBytes > 0, 'maxRecordBytes is a positive integer');
    assert(this.maxRecordBytes <= MAX_RECORD_BYTES_LIMIT, `maxRecordBytes is at most ${MAX_RECORD_BYTES_LIMIT}`);
    assert(Number.isSafeInteger(this.lastAcceptedZxid) && this.lastAcceptedZxid >= -1, 'lastZxid is a safe integer');
  }

  /**
   * Opens the log for appending after `options.lastZxid`. Existing files are never appended to: the
   * first batch starts a new file, so whatever recovery cut stays cut.
   */
  static async open(world: StorageWorld, dir: string, options: TxnLogOptions = {}): Promise<TxnLog> {
    await world.fs.mkdir(dir);
    const log = new TxnLog(world, dir, options);
    const files = await listLogFiles(world.fs, dir);
    const newest = files.at(-1);
    assert(
      newest === undefined || newest.firstZxid <= log.lastAcceptedZxid,
      `log file ${newest?.path} starts after lastZxid ${log.lastAcceptedZxid}: run recovery and pass its lastZxid`,
    );
    return log;
  }

  /** zxid of the last accepted append (durable or not yet). */
  get lastZxid(): number {
    return this.lastAcceptedZxid;
  }

  /** Resolves once the record is on disk. Throws at once on a zxid that does not increase. */
  append(zxid: number, payload: Uint8Array): Promise<void> {
    this.assertOpen();
    // Guarded so the hot path does not build the messages.
    if (!(Number.isSafeInteger(zxid) && zxid > this.lastAcceptedZxid)) assert(false, `appended zxid ${zxid} is greater than ${this.lastAcceptedZxid}`);
    if (payload.length > this.maxRecordBytes) assert(false, `record of ${payload.length} bytes is within maxRecordBytes ${this.maxRecordBytes}`);
    if (this.failure !== null) return Promise.reject(this.failure);
    this.lastAcceptedZxid = zxid;
    if (this.filling === null) {
      this.filling = new Batch(this.takeBuffer());
      this.queue.push({ kind: 'batch', batch: this.filling });
    }
    this.filling.add(zxid, payload);
    this.stats.appendCount++;
    this.schedule();
    return this.filling.done;
  }

  /** Marks a moment, for `lowestTruncationSince`. */
  truncationMark(): number {
    return this.truncations.length;
  }

  /** The lowest zxid the log was truncated after since `mark` (Infinity if it was not). */
  lowestTruncationSince(mark: number): number {
    return Math.min(Infinity, ...this.truncations.slice(mark));
  }

  /** Resolves once every record appended before this call is durable (rejects if one cannot be). */
  appendedDurable(): Promise<void> {
    this.assertOpen();
    return this.control(async () => undefined);
  }

  /** Appends after this call go to a new file. */
  rollover(): void {
    this.assertOpen();
    void this.control(async () => this.closeFile()).catch(() => undefined);
  }

  /**
   * Removes every record with a zxid greater than `zxid` and every snapshot newer than it (else
   * recovery would bring the removed txns back from the snapshot), durably. Appends after it go to
   * a new file and must be greater than `zxid`.
   */
  truncateAfter(zxid: number): Promise<void> {
    this.assertOpen();
    assert(Number.isSafeInteger(zxid) && zxid >= 0, `truncation zxid ${zxid} is a non-negative safe integer`);
    this.lastAcceptedZxid = zxid;
    this.truncations.push(zxid);
    return this.control(async () => {
      await this.closeFile();
      await truncateLogAfter(this.world.fs, this.dir, zxid);
    });
  }

  /**
   * After a truncation whose point lies beyond what the log and snapshots still hold (the cut
   * removed a leader's snapshot that held the txns in between): the log ends at `zxid`, and
   * appends resume after it. Called before anything is appended after the truncation.
   */
  resumeAfter(zxid: number): void {
    this.assertOpen();
    assert(Number.isSafeInteger(zxid) && zxid >= 0 && zxid <= this.lastAcceptedZxid, `the log resumes after ${zxid}, at or before its last zxid ${this.lastAcceptedZxid}`);
    assert(this.filling === null, 'nothing was appended since the truncation');
    this.lastAcceptedZxid = zxid;
  }

  /** Waits for every append, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    const done = this.control(async () => this.closeFile());
    this.closed = true;
    await done;
  }

  private assertOpen(): void {
    assert(!this.closed, 'the log is open');
  }

  private takeBuffer(): Buffer {
    const buffer = this.spareBuffer ?? Buffer.allocUnsafe(BATCH_BUFFER_BYTES);
    this.spareBuffer = null;
    return buffer;
  }

  private control(run: () => Promise<void>): Promise<void> {
    this.filling = null;
    const done = new Promise<void>((resolve, reject) => this.queue.push({ kind: 'control', run, resolve, reject }));
    this.schedule();
    return done;
  }

  /** Lets the current event-loop turn finish so that all its appends share one batch. */
  private schedule(): void {
    if (this.running || this.runScheduled) return;
    this.runScheduled = true;
    this.world.defer(() => {
      this.runScheduled = false;
      void this.run();
    });
  }

  /** Runs queued work one item at a time: at most one flush is in flight. */
  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let operation = this.queue.shift(); operation !== undefined; operation = this.queue.shift()) {
        if (operation.kind === 'batch') {
          // Sealed: appends from now on start the next batch, which fills while this one flushes.
          if (this.filling === operation.batch) this.filling = null;
          await this.runBatch(operation.batch);
        } else {
          await this.runControl(operation);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(batch: Batch): Promise<void> {
    if (this.failure !== null) return batch.reject(this.failure);
    try {
      await this.flush(batch);
      batch.resolve();
    } catch (error) {
      // A failed write or sync may have lost data the kernel had: nothing after it can be
      // acknowledged, so the log fails for good and the server stops (never retried as if safe).
      if (mutant('fsyncFailureIgnored')) batch.resolve();
      else {
        this.failure = error;
        batch.reject(error);
      }
    }
    if (batch.buffer.length <= SPARE_BUFFER_MAX_BYTES) this.spareBuffer = batch.buffer;
  }

  private async runControl(operation: Extract<Operation, { kind: 'control' }>): Promise<void> {
    try {
      await operation.run();
      if (this.failure !== null) throw this.failure;
      operation.resolve();
    } catch (error) {
      this.failure ??= error;
      operation.reject(error);
    }
  }

  /** One write (records plus any growth zeros) and one sync for the whole batch. */
  private async flush(batch: Batch): Promise<void> {
    const created = this.file === null;
    const file = this.file ?? (await this.createFile(batch.firstZxid));
    const buffers: Uint8Array[] = created ? [encodeLogHeader(batch.firstZxid, this.maxRecordBytes)] : [];
    const writeStart = created ? 0 : file.writePosition;
    buffers.push(batch.buffer.subarray(0, batch.length));
    const recordsEnd = file.writePosition + batch.length;
    const allocatedBytes = this.growthZeros(file.allocatedBytes, recordsEnd, buffers);
    // The file is open with O_DSYNC: the write returns once its data (and, when the file grew, its
    // size) is durable, as write + fdatasync would, in one trip to the thread pool instead of two.
    const syncStart = this.world.monotonicMs();
    await writeFully(file.handle, buffers, writeStart);
    // A new file also needs its inode durable (fsync) and its name in the directory.
    if (created) await file.handle.sync();
    this.recordSync(this.world.monotonicMs() - syncStart);
    if (created && !mutant('logDirectoryNotSynced')) {
      await fsyncDirectory(this.world.fs, this.dir);
      this.stats.directorySyncCount++;
    }
    file.writePosition = recordsEnd;
    file.allocatedBytes = allocatedBytes;
    this.stats.batchCount++;
    this.stats.bytesWritten += batch.length;
    this.stats.largestBatchRecords = Math.max(this.stats.largestBatchRecords, batch.recordCount);
  }

  /**
   * Appends the zeros that grow the file past `recordsEnd` in whole blocks; returns the new size.
   * At least a frame of zeros always follows the records, so that a reader finds the end marker
   * (a zero length) rather than a tail too short to be a frame.
   */
  private growthZeros(allocatedBytes: number, recordsEnd: number, buffers: Uint8Array[]): number {
    if (recordsEnd + FRAME_BYTES <= allocatedBytes) return allocatedBytes;
    const grownBytes = Math.ceil((recordsEnd + FRAME_BYTES) / this.preallocateBytes) * this.preallocateBytes;
    for (let offset = recordsEnd; offset < grownBytes; offset += ZERO_BLOCK.length) {
      buffers.push(ZERO_BLOCK.subarray(0, Math.min(ZERO_BLOCK.length, grownBytes - offset)));
    }
    return grownBytes;
  }

  private async createFile(firstZxid: number): Promise<OpenFile> {
    const path = join(this.dir, logFileName(firstZxid));
    // 'wx': a name already taken means recovery did not run or lastZxid was wrong; never overwrite.
    const handle = await this.world.fs.open(path, 'append-new');
    this.stats.filesCreated++;
    this.file = { handle, path, writePosition: LOG_HEADER_BYTES, allocatedBytes: 0 };
    return this.file;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    if (file === null) return;
    this.file = null;
    // Every batch already synced; nothing is waiting for durability here.
    await file.handle.close();
  }

  private recordSync(latencyMs: number): void {
    this.stats.syncCount++;
    this.stats.lastSyncLatencyMs = latencyMs;
    this.stats.totalSyncLatencyMs += latencyMs;
    this.stats.maxSyncLatencyMs = Math.max(this.stats.maxSyncLatencyMs, latencyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Truncation

const SNAPSHOT_NAME = /^snapshot\.([0-9a-f]{16})$/;

/** Removes every log record and snapshot newer than `zxid` in `dir`, durably. */
export async function truncateLogAfter(fs: FileSystem, dir: string, zxid: number): Promise<void> {
  // Newest first throughout, each step durable before the next: a crash part way leaves snapshots
  // no newer than the log and a log that is a prefix of the old one, which recovery handles.
  for (const name of await fs.readdir(dir)) {
    const snapshotZxid = parseZxidFileName(name, SNAPSHOT_NAME);
    if (snapshotZxid !== null && snapshotZxid > zxid) await fs.rm(join(dir, name));
  }
  await fsyncDirectory(fs, dir);
  const files = await listLogFiles(fs, dir);
  for (const file of [...files].reverse()) {
    if (file.firstZxid > zxid) await fs.rm(file.path);
  }
  await fsyncDirectory(fs, dir);
  const keeper = files.filter((file) => file.firstZxid <= zxid).at(-1);
  if (keeper !== undefined) await truncateDurably(fs, keeper.path, await endOfRecordsUpTo(fs, keeper, zxid));
}

/** Offset just past the last good record with a zxid at most `zxid`. */
async function endOfRecordsUpTo(fs: FileSystem, file: LogFile, zxid: number): Promise<number> {
  const scanner = await LogFileScanner.open(fs, file);
  try {
    let end = LOG_HEADER_BYTES;
    for (let record = await scanner.next(); record !== null && record.zxid <= zxid; record = await scanner.next()) end = record.endOffset;
    return end;
  } finally {
    await scanner.close();
  }
}
