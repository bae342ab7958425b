import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeeperError } from '../../src/core/errors.js';
import {
  LogFileScanner,
  TxnLog,
  listLogFiles,
  listSnapshots,
  logFileName,
  purge,
  readSnapshot,
  recover,
  snapshotFileName,
  validateSnapshot,
  writeSnapshot,
} from '../../src/storage/index.js';
import type { LogRecord, RecoveryResult } from '../../src/storage/index.js';
import { nodeFileSystem, nodeStorageWorld } from '../../src/storage/world.js';

const PREALLOCATE_BYTES = 4096;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-storage-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function payloadFor(zxid: number, tag = 'p'): Uint8Array {
  return new TextEncoder().encode(`${tag}-${zxid}-`.repeat(1 + (zxid % 7)));
}

async function openLog(lastZxid = -1): Promise<TxnLog> {
  return TxnLog.open(nodeStorageWorld, dir, { preallocateBytes: PREALLOCATE_BYTES, lastZxid });
}

/** Appends zxids from..to (inclusive), each awaited in turn. */
async function appendRange(log: TxnLog, from: number, to: number, tag = 'p'): Promise<void> {
  for (let zxid = from; zxid <= to; zxid++) await log.append(zxid, payloadFor(zxid, tag));
}

async function collect(records: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const all: LogRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

async function recoveredZxids(result: RecoveryResult): Promise<number[]> {
  return (await collect(result.records)).map((record) => record.zxid);
}

async function recordEnds(path: string, firstZxid: number): Promise<Map<number, number>> {
  const scanner = await LogFileScanner.open(nodeFileSystem, { path, firstZxid });
  const ends = new Map<number, number>();
  try {
    for (let record = await scanner.next(); record !== null; record = await scanner.next()) ends.set(record.zxid, record.endOffset);
  } finally {
    await scanner.close();
  }
  return ends;
}

async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] ^= 0x5a;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

function chunksOf(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) => new Uint8Array(size).fill(index & 0xff));
}

describe('TxnLog', () => {
  it('appends durably and recovers every record in order', async () => {
    const log = await openLog();
    await appendRange(log, 1, 50);
    await log.close();
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot).toBeNull();
    expect(recovered.lastZxid).toBe(50);
    const records = await collect(recovered.records);
    expect(records.map((record) => record.zxid)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    expect(records[9]!.payload).toEqual(payloadFor(10));
    expect(recovered.repairs).toEqual([]);
  });

  it('commits all appends of one event-loop turn with one write and one fdatasync', async () => {
    const log = await openLog();
    await log.append(1, payloadFor(1)); // creates the file
    const syncsBefore = log.stats.syncCount;
    const batchesBefore = log.stats.batchCount;
    const appends: Promise<void>[] = [];
    for (let zxid = 2; zxid <= 201; zxid++) appends.push(log.append(zxid, payloadFor(zxid)));
    await Promise.all(appends);
    expect(log.stats.syncCount - syncsBefore).toBe(1);
    expect(log.stats.batchCount - batchesBefore).toBe(1);
    expect(log.stats.largestBatchRecords).toBe(200);
    await log.close();
    expect(await recoveredZxids(await recover(nodeFileSystem, dir))).toHaveLength(201);
  });

  it('accumulates appends into the next batch while a flush is in flight', async () => {
    const log = await openLog();
    const appends: Promise<void>[] = [];
    for (let zxid = 1; zxid <= 40; zxid++) {
      appends.push(log.append(zxid, payloadFor(zxid)));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(appends);
    // 40 turns; an fdatasync spans several of them, so batches merge turns.
    expect(log.stats.batchCount).toBeLessThan(40);
    expect(log.stats.syncCount).toBe(log.stats.batchCount);
    await log.close();
    expect(await recoveredZxids(await recover(nodeFileSystem, dir))).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
  });

  it('refuses zxids that do not increase and records over the size limit', async () => {
    const log = await TxnLog.open(nodeStorageWorld, dir, { preallocateBytes: PREALLOCATE_BYTES, maxRecordBytes: 100 });
    await log.append(5, payloadFor(5));
    expect(() => log.append(5, payloadFor(5))).toThrow(/greater/);
    expect(() => log.append(4, payloadFor(4))).toThrow(/greater/);
    expect(() => log.append(6, new Uint8Array(101))).toThrow(/maxRecordBytes/);
    await log.append(6, new Uint8Array(100));
    await log.close();
    expect(() => log.append(7, payloadFor(7))).toThrow();
  });

  it('grows the file in whole preallocation blocks of zeros', async () => {
    const log = await openLog();
    await log.append(1, new Uint8Array(10));
    const [file] = await listLogFiles(nodeFileSystem, dir);
    expect((await stat(file!.path)).size).toBe(PREALLOCATE_BYTES);
    await log.append(2, new Uint8Array(6000));
    expect((await stat(file!.path)).size).toBe(2 * PREALLOCATE_BYTES);
    await log.close();
    const tail = (await readFile(file!.path)).subarray(24 + 8 + 8 + 10 + 8 + 8 + 6000);
    expect(tail.every((byte) => byte === 0)).toBe(true);
  });

  it('always leaves at least a frame of zeros after the records, growing the file when they end just short of its size', async () => {
    const log = await openLog();
    // header 24 + frame 8 + zxid 8 + payload = 4090: six bytes short of the block, less than a frame.
    await log.append(1, new Uint8Array(PREALLOCATE_BYTES - 6 - 24 - 8 - 8));
    const [file] = await listLogFiles(nodeFileSystem, dir);
    expect((await stat(file!.path)).size).toBe(2 * PREALLOCATE_BYTES);
    await log.close();
  });

  it('rolls over to a new file named after its first zxid, keeping same-turn order', async () => {
    const log = await openLog();
    await appendRange(log, 1, 5);
    const sameTurn = [log.append(6, payloadFor(6)), log.append(7, payloadFor(7))];
    log.rollover();
    sameTurn.push(log.append(8, payloadFor(8)));
    await Promise.all(sameTurn);
    await appendRange(log, 9, 12);
    log.rollover();
    log.rollover(); // nothing appended in between: no empty file
    await appendRange(log, 13, 13);
    await log.close();
    expect((await listLogFiles(nodeFileSystem, dir)).map((file) => file.firstZxid)).toEqual([1, 8, 13]);
    expect(await recoveredZxids(await recover(nodeFileSystem, dir))).toEqual(Array.from({ length: 13 }, (_, index) => index + 1));
  });

  it('truncateAfter removes later records, files and snapshots, and appends continue', async () => {
    const log = await openLog();
    await appendRange(log, 1, 5);
    await writeSnapshot(nodeFileSystem, dir, 2, chunksOf(2, 10));
    log.rollover();
    await appendRange(log, 6, 10);
    await writeSnapshot(nodeFileSystem, dir, 7, chunksOf(2, 10));
    await log.truncateAfter(3);
    expect((await listLogFiles(nodeFileSystem, dir)).map((file) => file.firstZxid)).toEqual([1]);
    expect((await listSnapshots(nodeFileSystem, dir)).map((snapshot) => snapshot.zxid)).toEqual([2]);
    expect(() => log.append(3, payloadFor(3))).toThrow();
    await appendRange(log, 4, 6, 'new');
    await log.close();
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot?.zxid).toBe(2);
    const records = await collect(recovered.records);
    expect(records.map((record) => record.zxid)).toEqual([3, 4, 5, 6]);
    expect(records[1]!.payload).toEqual(payloadFor(4, 'new'));
  });

  it('a truncation whose point lay in a removed snapshot resumes after what is left (seed 9,704,514)', async () => {
    // The log holds 1..3; a leader's snapshot at 8 (installed by SNAP) held 4..8; a TRUNC to 6
    // removes that snapshot, so what is left ends at 3, below the point.
    const log = await openLog();
    await appendRange(log, 1, 3);
    log.rollover();
    await writeSnapshot(nodeFileSystem, dir, 8, chunksOf(2, 10));
    await log.truncateAfter(6);
    expect(await listSnapshots(nodeFileSystem, dir)).toEqual([]);
    // The next sync offers 3 and gets 4 onwards: the log must take them.
    expect(() => log.append(4, payloadFor(4))).toThrow(/greater than 6/);
    log.resumeAfter(3);
    expect(() => log.resumeAfter(5)).toThrow(/at or before its last zxid 3/);
    await appendRange(log, 4, 7, 'synced');
    await log.close();
    expect(await recoveredZxids(await recover(nodeFileSystem, dir))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('appendedDurable resolves once every earlier append is durable, and a snapshot waits for it before it is in place', async () => {
    const log = await openLog();
    const appended = [log.append(1, payloadFor(1)), log.append(2, payloadFor(2))];
    let durable = false;
    void Promise.all(appended).then(() => (durable = true));
    const barrier = log.appendedDurable();
    await barrier;
    expect(durable).toBe(true);
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    const beforePublish = () => {
      reached();
      return gate;
    };
    const written = writeSnapshot(nodeFileSystem, dir, 2, chunksOf(2, 10), { beforePublish });
    // Synced to its temporary file, but not where recovery looks until the gate opens.
    await atGate;
    expect(await listSnapshots(nodeFileSystem, dir)).toEqual([]);
    release();
    await written;
    expect((await listSnapshots(nodeFileSystem, dir)).map((snapshot) => snapshot.zxid)).toEqual([2]);
    await expect(writeSnapshot(nodeFileSystem, dir, 3, chunksOf(3, 10), { beforePublish: async () => Promise.reject(new Error('no')) })).rejects.toThrow('no');
    expect((await listSnapshots(nodeFileSystem, dir)).map((snapshot) => snapshot.zxid)).toEqual([2]);
    expect((await readdir(dir)).filter((name) => name.includes('snapshot'))).toHaveLength(1);
    await log.close();
  });

  it('close waits for pending appends', async () => {
    const log = await openLog();
    const pending = [log.append(1, payloadFor(1)), log.append(2, payloadFor(2))];
    await log.close();
    await Promise.all(pending);
    expect(await recoveredZxids(await recover(nodeFileSystem, dir))).toEqual([1, 2]);
  });

  it('will not open over files newer than the zxid it is told', async () => {
    const log = await openLog();
    await appendRange(log, 1, 3);
    await log.close();
    await expect(openLog()).rejects.toThrow(/recovery/);
    const reopened = await openLog(3);
    await reopened.close();
  });
});

describe('recovery', () => {
  async function writeLog(from: number, to: number, rolloverAt: number[] = []): Promise<void> {
    const log = await openLog(from - 1);
    for (let zxid = from; zxid <= to; zxid++) {
      if (rolloverAt.includes(zxid)) log.rollover();
      await log.append(zxid, payloadFor(zxid));
    }
    await log.close();
  }

  it('starts empty on an empty or missing directory', async () => {
    const recovered = await recover(nodeFileSystem, join(dir, 'fresh'));
    expect(recovered.snapshot).toBeNull();
    expect(recovered.lastZxid).toBe(-1);
    expect(await recoveredZxids(recovered)).toEqual([]);
  });

  it('stops at a torn tail, cuts it, and appends continue after the last good record', async () => {
    await writeLog(1, 10);
    const [file] = await listLogFiles(nodeFileSystem, dir);
    const ends = await recordEnds(file!.path, 1);
    await truncate(file!.path, ends.get(9)! + 5);
    const recovered = await recover(nodeFileSystem, dir);
    expect(await recoveredZxids(recovered)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(recovered.lastZxid).toBe(9);
    expect(recovered.repairs.join('\n')).toMatch(/torn/);
    expect((await stat(file!.path)).size).toBe(ends.get(9));

    const log = await openLog(recovered.lastZxid);
    await appendRange(log, 10, 11, 'again');
    await log.close();
    const records = await collect((await recover(nodeFileSystem, dir)).records);
    expect(records.map((record) => record.zxid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(records[9]!.payload).toEqual(payloadFor(10, 'again'));
  });

  it('never returns a record with a bad CRC, nor anything after it, even in later files', async () => {
    await writeLog(1, 9, [7]);
    const [first, second] = await listLogFiles(nodeFileSystem, dir);
    const ends = await recordEnds(first!.path, 1);
    await flipByte(first!.path, ends.get(4)! + 20); // inside record 5's payload
    const recovered = await recover(nodeFileSystem, dir);
    expect(await recoveredZxids(recovered)).toEqual([1, 2, 3, 4]);
    expect(recovered.lastZxid).toBe(4);
    expect(recovered.repairs.join('\n')).toMatch(/CRC mismatch/);
    expect((await stat(first!.path)).size).toBe(ends.get(4));
    await expect(stat(second!.path)).rejects.toThrow();

    const log = await openLog(recovered.lastZxid);
    await appendRange(log, 5, 7, 'redo');
    await log.close();
    const records = await collect((await recover(nodeFileSystem, dir)).records);
    expect(records.map((record) => record.zxid)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(records[4]!.payload).toEqual(payloadFor(5, 'redo'));
  });

  it('takes zeros too short for a frame at the end of a file as its end, keeping the newer files (found by the simulation, seed 37)', async () => {
    // Earlier versions could end the records less than a frame before the preallocated size: the
    // scanner then saw a "torn frame", and recovery deleted every newer log file with its records.
    const log = await openLog();
    await appendRange(log, 1, 3);
    log.rollover();
    await appendRange(log, 4, 5);
    await log.close();
    const [first] = await listLogFiles(nodeFileSystem, dir);
    const ends = await recordEnds(first!.path, 1);
    await truncate(first!.path, ends.get(3)! + 2);
    const recovered = await recover(nodeFileSystem, dir);
    expect(await recoveredZxids(recovered)).toEqual([1, 2, 3, 4, 5]);
    expect(recovered.repairs).toEqual([]);
  });

  it('treats a garbage length in the preallocated tail as damage and keeps the good records', async () => {
    await writeLog(1, 3);
    const [file] = await listLogFiles(nodeFileSystem, dir);
    const ends = await recordEnds(file!.path, 1);
    const handle = await open(file!.path, 'r+');
    await handle.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]), 0, 4, ends.get(3)!);
    await handle.close();
    const recovered = await recover(nodeFileSystem, dir);
    expect(await recoveredZxids(recovered)).toEqual([1, 2, 3]);
    expect(recovered.repairs.join('\n')).toMatch(/garbage length/);
    expect((await stat(file!.path)).size).toBe(ends.get(3));
  });

  it('removes log files without records and files with a damaged header', async () => {
    await writeLog(1, 3);
    await writeFile(join(dir, logFileName(4)), Buffer.alloc(0));
    const recovered = await recover(nodeFileSystem, dir);
    expect(await recoveredZxids(recovered)).toEqual([1, 2, 3]);
    expect((await listLogFiles(nodeFileSystem, dir)).map((file) => file.firstZxid)).toEqual([1]);

    const [file] = await listLogFiles(nodeFileSystem, dir);
    await flipByte(file!.path, 2);
    const again = await recover(nodeFileSystem, dir);
    expect(await recoveredZxids(again)).toEqual([]);
    expect(again.lastZxid).toBe(-1);
    expect(await listLogFiles(nodeFileSystem, dir)).toEqual([]);
  });

  it('replays only records after the snapshot, across files', async () => {
    await writeLog(1, 20, [8, 15]);
    await writeSnapshot(nodeFileSystem, dir, 10, chunksOf(3, 100));
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot?.zxid).toBe(10);
    expect(await recoveredZxids(recovered)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    // Re-iterable.
    expect(await recoveredZxids(recovered)).toHaveLength(10);
    const chunks: Uint8Array[] = [];
    for await (const chunk of recovered.snapshot!.chunks()) chunks.push(chunk);
    expect(chunks).toEqual(chunksOf(3, 100));
  });

  it('falls back to an older snapshot when the newest is damaged', async () => {
    await writeLog(1, 12);
    await writeSnapshot(nodeFileSystem, dir, 4, chunksOf(3, 50));
    const newest = await writeSnapshot(nodeFileSystem, dir, 9, chunksOf(3, 50));
    await flipByte(newest.path, 20 + 8 + 10); // inside the first chunk
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot?.zxid).toBe(4);
    expect(recovered.repairs.join('\n')).toMatch(/CRC mismatch/);
    expect(await recoveredZxids(recovered)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('falls back when the newest snapshot lost its end marker, and fails when all are damaged', async () => {
    await writeLog(1, 6);
    const older = await writeSnapshot(nodeFileSystem, dir, 2, chunksOf(2, 50));
    const newest = await writeSnapshot(nodeFileSystem, dir, 5, chunksOf(2, 50));
    await truncate(newest.path, (await stat(newest.path)).size - 24);
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot?.zxid).toBe(2);
    expect(recovered.repairs.join('\n')).toMatch(/end marker/);
    await truncate(older.path, 30);
    await expect(recover(nodeFileSystem, dir)).rejects.toBeInstanceOf(KeeperError);
  });

  it('drops older snapshots once the log no longer reaches the newest one', async () => {
    await writeLog(1, 10);
    await writeSnapshot(nodeFileSystem, dir, 3, chunksOf(1, 10));
    await writeSnapshot(nodeFileSystem, dir, 8, chunksOf(1, 10));
    const [file] = await listLogFiles(nodeFileSystem, dir);
    const ends = await recordEnds(file!.path, 1);
    await flipByte(file!.path, ends.get(4)! + 20);
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot?.zxid).toBe(8);
    expect(recovered.lastZxid).toBe(8);
    expect(await recoveredZxids(recovered)).toEqual([]);
    // Snapshot 3 would replay 4 and then jump to 9: it must not be a fallback any more.
    expect((await listSnapshots(nodeFileSystem, dir)).map((snapshot) => snapshot.zxid)).toEqual([8]);

    const log = await openLog(recovered.lastZxid);
    await appendRange(log, 9, 10, 'after');
    await log.close();
    const again = await recover(nodeFileSystem, dir);
    expect(again.snapshot?.zxid).toBe(8);
    expect(await recoveredZxids(again)).toEqual([9, 10]);
  });

  it('removes unfinished snapshot temp files', async () => {
    await writeFile(join(dir, `${snapshotFileName(7)}.tmp`), 'partial');
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.repairs.join('\n')).toMatch(/unfinished snapshot/);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('snapshots', () => {
  it('stream chunks of every size through a bounded buffer and read them back', async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(0);
      for (const chunk of chunksOf(50, 333)) yield chunk;
      yield new Uint8Array(10_000).fill(3); // bigger than the flush buffer
      yield new Uint8Array([1]);
    }
    const written = await writeSnapshot(nodeFileSystem, dir, 0x1_0000_0005, source(), { flushBytes: 4096 });
    expect(written.path).toBe(join(dir, 'snapshot.0000000100000005'));
    expect(written.chunkCount).toBe(53);
    const chunks: Uint8Array[] = [];
    for await (const chunk of readSnapshot(nodeFileSystem, written.path)) chunks.push(chunk);
    expect(chunks).toHaveLength(53);
    expect(chunks[0]).toEqual(new Uint8Array(0));
    expect(chunks[51]).toEqual(new Uint8Array(10_000).fill(3));
    expect(await validateSnapshot(nodeFileSystem, written.path)).toEqual({ zxid: 0x1_0000_0005, chunkCount: 53, byteCount: 50 * 333 + 10_001 });
    expect(await listSnapshots(nodeFileSystem, dir)).toEqual([{ zxid: 0x1_0000_0005, path: written.path }]);
  });

  it('leaves nothing behind when the chunk source fails', async () => {
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array(10);
      throw new Error('source failed');
    }
    await expect(writeSnapshot(nodeFileSystem, dir, 3, failing())).rejects.toThrow('source failed');
    expect(await readdir(dir)).toEqual([]);
  });

  it('detects every kind of damage', async () => {
    const written = await writeSnapshot(nodeFileSystem, dir, 8, chunksOf(4, 100));
    const original = await readFile(written.path);
    const damages: [string, Buffer][] = [
      ['cut mid chunk', original.subarray(0, 150)],
      ['cut at a chunk boundary', original.subarray(0, 20 + 3 * 108)],
      ['trailing bytes', Buffer.concat([original, Buffer.from([0])])],
      ['bad magic', Buffer.concat([Buffer.from('XXXX'), original.subarray(4)])],
      ['short header', original.subarray(0, 10)],
    ];
    const wrongCount = Buffer.from(original);
    wrongCount.writeUInt32BE(0, original.length - 24 + 8); // end marker's chunk count; CRC now wrong too
    damages.push(['end marker', wrongCount]);
    const garbageLength = Buffer.from(original);
    garbageLength.writeUInt32BE(0x7fff_ffff, 20);
    damages.push(['garbage length', garbageLength]);
    for (const [name, bytes] of damages) {
      await writeFile(written.path, bytes);
      await expect(validateSnapshot(nodeFileSystem, written.path), name).rejects.toBeInstanceOf(KeeperError);
    }
  });

  it('checks the header zxid against the file name', async () => {
    const written = await writeSnapshot(nodeFileSystem, dir, 8, chunksOf(1, 10));
    const renamed = join(dir, snapshotFileName(9));
    await writeFile(renamed, await readFile(written.path));
    await expect(validateSnapshot(nodeFileSystem, renamed)).rejects.toThrow(/expected 9/);
  });
});

describe('purge', () => {
  it('keeps the newest snapshots and the logs needed to replay from the oldest kept', async () => {
    const log = await openLog();
    for (let zxid = 1; zxid <= 60; zxid++) {
      if (zxid % 10 === 1 && zxid > 1) log.rollover();
      await log.append(zxid, payloadFor(zxid));
    }
    await log.close();
    for (const zxid of [5, 15, 25, 35, 45]) await writeSnapshot(nodeFileSystem, dir, zxid, chunksOf(1, 10));
    const result = await purge(nodeFileSystem, dir, 3);
    expect(result.removedSnapshots).toHaveLength(2);
    expect((await listSnapshots(nodeFileSystem, dir)).map((snapshot) => snapshot.zxid)).toEqual([25, 35, 45]);
    // Snapshot 25 needs records 26.. which begin in log.21.
    expect((await listLogFiles(nodeFileSystem, dir)).map((file) => file.firstZxid)).toEqual([21, 31, 41, 51]);
    const recovered = await recover(nodeFileSystem, dir);
    expect(recovered.snapshot?.zxid).toBe(45);
    expect(await recoveredZxids(recovered)).toHaveLength(15);
    await expect(purge(nodeFileSystem, dir, 2)).rejects.toBeInstanceOf(KeeperError);
  });

  it('keeps every log while there is no snapshot', async () => {
    const log = await openLog();
    await appendRange(log, 1, 3);
    log.rollover();
    await appendRange(log, 4, 5);
    await log.close();
    expect(await purge(nodeFileSystem, dir, 3)).toEqual({ removedSnapshots: [], removedLogs: [] });
    expect(await listLogFiles(nodeFileSystem, dir)).toHaveLength(2);
  });
});
