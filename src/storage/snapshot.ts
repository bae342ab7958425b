// Snapshot files `snapshot.<zxid, 16 hex>`: an opaque stream of chunks (the tree serializer decides
// what is in them), written to a temporary file and renamed into place once durable, so a snapshot
// file either is complete or does not exist under its final name.
//
// File layout (big-endian):
//   header (20 bytes): u32 magic "CRNS", u32 format version, i64 zxid, u32 CRC32 of the previous 16
//   chunks:            u32 length, u32 CRC32 of the chunk, the chunk's bytes
//   end (24 bytes):    u32 0xFFFFFFFF, i64 chunk count, i64 zxid, u32 CRC32 of the previous 20
// and nothing after. The end marker proves the stream was not cut at a chunk boundary.

import { crc32 } from 'node:zlib';
import { basename, join } from 'node:path';
import { readInt64, writeInt64 } from '../core/codec.js';
import { KeeperError, assert } from '../core/errors.js';
import { FileCursor, fsyncDirectory, parseZxidFileName, zxidHex } from './txnlog.js';
import type { FileSystem, StorageFile } from './world.js';

export const SNAPSHOT_FORMAT_VERSION = 1;
const SNAPSHOT_MAGIC = 0x43524e53; // "CRNS"
const HEADER_BYTES = 20;
const FRAME_BYTES = 8;
const END_MARK = 0xffffffff;
const END_BYTES = 24;
/** Chunks are written once this many bytes are buffered; bounds the memory a snapshot write holds. */
export const DEFAULT_SNAPSHOT_FLUSH_BYTES = 1024 * 1024;
/** A reader refuses longer chunks, so a garbage length never makes it allocate gigabytes. */
export const MAX_SNAPSHOT_CHUNK_BYTES = 64 * 1024 * 1024;

const SNAPSHOT_NAME = /^snapshot\.([0-9a-f]{16})$/;
const TEMP_SUFFIX = '.tmp';

export interface SnapshotFile {
  zxid: number;
  path: string;
}

export interface SnapshotSummary {
  zxid: number;
  chunkCount: number;
  /** Chunk bytes, framing excluded. */
  byteCount: number;
}

export function snapshotFileName(zxid: number): string {
  return `snapshot.${zxidHex(zxid)}`;
}

export function isSnapshotTempFile(name: string): boolean {
  return name.startsWith('snapshot.') && name.endsWith(TEMP_SUFFIX);
}

/** The snapshots of a directory, oldest first (temporary files excluded). */
export async function listSnapshots(fs: FileSystem, dir: string): Promise<SnapshotFile[]> {
  const files: SnapshotFile[] = [];
  for (const name of await fs.readdir(dir)) {
    const zxid = parseZxidFileName(name, SNAPSHOT_NAME);
    if (zxid !== null) files.push({ zxid, path: join(dir, name) });
  }
  return files.sort((a, b) => a.zxid - b.zxid);
}

function damaged(path: string, detail: string): KeeperError {
  return new KeeperError('DataInconsistency', `snapshot ${basename(path)} is damaged: ${detail}`);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Frames chunks into a bounded buffer and writes it out whenever it fills. */
class ChunkWriter {
  private readonly buffer: Buffer;
  private used = 0;
  private position = 0;
  chunkCount = 0;
  byteCount = 0;

  constructor(
    private readonly handle: StorageFile,
    flushBytes: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(flushBytes, HEADER_BYTES, END_BYTES));
  }

  header(zxid: number): void {
    const header = this.buffer.subarray(this.used, this.used + HEADER_BYTES);
    header.writeUInt32BE(SNAPSHOT_MAGIC, 0);
    header.writeUInt32BE(SNAPSHOT_FORMAT_VERSION, 4);
    writeInt64(header, zxid, 8);
    header.writeUInt32BE(crc32(header.subarray(0, 16)), 16);
    this.used += HEADER_BYTES;
  }

  async chunk(chunk: Uint8Array): Promise<void> {
    assert(chunk.length <= MAX_SNAPSHOT_CHUNK_BYTES, `snapshot chunk of ${chunk.length} bytes is at most ${MAX_SNAPSHOT_CHUNK_BYTES}`);
    if (this.used + FRAME_BYTES + chunk.length > this.buffer.length) await this.flush();
    this.used = this.buffer.writeUInt32BE(chunk.length, this.used);
    this.used = this.buffer.writeUInt32BE(crc32(chunk), this.used);
    if (FRAME_BYTES + chunk.length <= this.buffer.length) {
      this.buffer.set(chunk, this.used);
      this.used += chunk.length;
    } else {
      // Too big to buffer: write the frame, then the chunk straight from the caller's memory.
      await this.flush();
      await this.write(chunk);
    }
    this.chunkCount++;
    this.byteCount += chunk.length;
  }

  async end(zxid: number): Promise<void> {
    if (this.used + END_BYTES > this.buffer.length) await this.flush();
    const end = this.buffer.subarray(this.used, this.used + END_BYTES);
    end.writeUInt32BE(END_MARK, 0);
    writeInt64(end, this.chunkCount, 4);
    writeInt64(end, zxid, 12);
    end.writeUInt32BE(crc32(end.subarray(0, 20)), 20);
    this.used += END_BYTES;
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.write(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset, this.position);
      assert(bytesWritten > 0, 'a write makes progress');
      offset += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

export interface WriteSnapshotOptions {
  /** Buffered bytes that trigger a write; default 1 MiB. */
  flushBytes?: number;
  /** Awaited once the file is synced, before it is renamed into place (where recovery finds it). */
  beforePublish?: () => Promise<void>;
}

/**
 * Streams `chunks` into `dir/snapshot.<zxid>`: written to a temporary file as they arrive, synced,
 * renamed into place, directory synced. On any failure the temporary file is removed.
 */
export async function writeSnapshot(
  fs: FileSystem,
  dir: string,
  zxid: number,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: WriteSnapshotOptions = {},
): Promise<SnapshotFile & SnapshotSummary> {
  const path = join(dir, snapshotFileName(zxid));
  const tempPath = path + TEMP_SUFFIX;
  const handle = await fs.open(tempPath, 'w');
  let summary: SnapshotSummary;
  try {
    const writer = new ChunkWriter(handle, options.flushBytes ?? DEFAULT_SNAPSHOT_FLUSH_BYTES);
    writer.header(zxid);
    for await (const chunk of chunks) await writer.chunk(chunk);
    await writer.end(zxid);
    await handle.sync();
    await options.beforePublish?.();
    summary = { zxid, chunkCount: writer.chunkCount, byteCount: writer.byteCount };
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(tempPath);
    throw error;
  }
  await handle.close();
  await fs.rename(tempPath, path);
  await fsyncDirectory(fs, dir);
  return { path, ...summary };
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface ReadSnapshotOptions {
  /** The zxid the header must carry; defaults to the one in the file name, if it has one. */
  expectedZxid?: number;
}

/**
 * The chunks of a snapshot, each checked against its CRC before it is yielded. Throws
 * KeeperError('DataInconsistency') on any damage, including a missing or wrong end marker, which
 * only shows after the last chunk: use validateSnapshot first when a partial read would be harmful.
 */
export function readSnapshot(fs: FileSystem, path: string, options: ReadSnapshotOptions = {}): AsyncIterable<Uint8Array> {
  return { [Symbol.asyncIterator]: () => readFrames(fs, path, options, true, null)[Symbol.asyncIterator]() };
}

/** Reads the whole snapshot, checking everything readSnapshot checks; throws on damage. */
export async function validateSnapshot(fs: FileSystem, path: string, options: ReadSnapshotOptions = {}): Promise<SnapshotSummary> {
  const summary: SnapshotSummary = { zxid: -1, chunkCount: 0, byteCount: 0 };
  for await (const chunk of readFrames(fs, path, options, false, summary)) summary.byteCount += chunk.length;
  return summary;
}

async function* readFrames(fs: FileSystem, path: string, options: ReadSnapshotOptions, copy: boolean, summary: SnapshotSummary | null): AsyncGenerator<Uint8Array> {
  const expectedZxid = options.expectedZxid ?? parseZxidFileName(basename(path), SNAPSHOT_NAME);
  const handle = await fs.open(path, 'r');
  try {
    const cursor = new FileCursor(handle);
    const zxid = readHeader(path, await cursor.read(HEADER_BYTES));
    if (expectedZxid !== null && zxid !== expectedZxid) throw damaged(path, `header zxid ${zxid}, expected ${expectedZxid}`);
    let chunkCount = 0;
    for (;;) {
      const frame = await cursor.read(FRAME_BYTES);
      if (frame.length < FRAME_BYTES) throw damaged(path, `ends at offset ${cursor.position} without its end marker`);
      const length = frame.readUInt32BE(0);
      if (length === END_MARK) {
        await readEnd(path, cursor, frame, zxid, chunkCount);
        if (summary !== null) Object.assign(summary, { zxid, chunkCount });
        return;
      }
      if (length > MAX_SNAPSHOT_CHUNK_BYTES) throw damaged(path, `garbage chunk length ${length} at offset ${cursor.position - FRAME_BYTES}`);
      const checksum = frame.readUInt32BE(4);
      const chunk = await cursor.read(length);
      if (chunk.length < length) throw damaged(path, `chunk ${chunkCount} is cut short`);
      if (crc32(chunk) !== checksum) throw damaged(path, `CRC mismatch in chunk ${chunkCount}`);
      chunkCount++;
      // The cursor reuses its buffer; a consumer may keep what it is given.
      yield copy ? new Uint8Array(chunk) : chunk;
    }
  } finally {
    await handle.close();
  }
}

function readHeader(path: string, header: Buffer): number {
  if (header.length < HEADER_BYTES) throw damaged(path, `header is ${header.length} bytes`);
  if (header.readUInt32BE(0) !== SNAPSHOT_MAGIC) throw damaged(path, 'bad magic');
  if (header.readUInt32BE(16) !== crc32(header.subarray(0, 16))) throw damaged(path, 'header CRC mismatch');
  const version = header.readUInt32BE(4);
  if (version !== SNAPSHOT_FORMAT_VERSION) throw damaged(path, `unknown format version ${version}`);
  return readInt64(header, 8);
}

async function readEnd(path: string, cursor: FileCursor, frame: Buffer, zxid: number, chunkCount: number): Promise<void> {
  // Copy the frame first: the next read may reuse the memory it points into.
  const head = Buffer.from(frame);
  const end = Buffer.concat([head, await cursor.read(END_BYTES - FRAME_BYTES)]);
  if (end.length < END_BYTES) throw damaged(path, 'end marker is cut short');
  if (end.readUInt32BE(20) !== crc32(end.subarray(0, 20))) throw damaged(path, 'end marker CRC mismatch');
  const recordedCount = readInt64(end, 4);
  if (recordedCount !== chunkCount) throw damaged(path, `end marker counts ${recordedCount} chunks, file has ${chunkCount}`);
  if (readInt64(end, 12) !== zxid) throw damaged(path, 'end marker zxid differs from the header');
  if ((await cursor.read(1)).length !== 0) throw damaged(path, 'bytes after the end marker');
}
