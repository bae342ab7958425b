// Startup recovery: the newest snapshot that validates, then the log records after it, with any
// damaged log tail cut off on disk so that the next TxnLog appends right after the last good record.
//
// Usage:
//   const recovered = await recover(fs, dir);
//   if (recovered.snapshot) for await (const chunk of recovered.snapshot.chunks()) ...
//   for await (const record of recovered.records) ...apply...
//   const log = await TxnLog.open(world, dir, { lastZxid: recovered.lastZxid });
//
// recover() does all validation and repair before it returns (one pass over the needed files);
// `records` then reads the validated ranges again, so memory stays bounded by one record.

import { join } from 'node:path';
import { KeeperError } from '../core/errors.js';
import { fsyncDirectory, listLogFiles, LogFileScanner, LOG_HEADER_BYTES, newestLogStartingAtOrBefore, truncateDurably, zxidHex } from './txnlog.js';
import type { LogFile, LogRecord } from './txnlog.js';
import { isSnapshotTempFile, listSnapshots, readSnapshot, validateSnapshot } from './snapshot.js';
import type { FileSystem } from './world.js';

export interface RecoveredSnapshot {
  zxid: number;
  path: string;
  /** A fresh read of the (already validated) snapshot each call. */
  chunks: () => AsyncIterable<Uint8Array>;
}

export interface RecoveryResult {
  snapshot: RecoveredSnapshot | null;
  /** Log records with zxid greater than the snapshot's, in order; can be iterated more than once. */
  records: AsyncIterable<LogRecord>;
  /** Highest zxid recovered (last good record, else the snapshot's); -1 for an empty directory. */
  lastZxid: number;
  /** What recovery skipped, cut or deleted, one line each, for the server's log. */
  repairs: string[];
}

export async function recover(fs: FileSystem, dir: string): Promise<RecoveryResult> {
  await fs.mkdir(dir);
  const repairs: string[] = [];
  await removeUnfinishedSnapshots(fs, dir, repairs);
  const snapshot = await newestValidSnapshot(fs, dir, repairs);
  const afterZxid = snapshot?.zxid ?? -1;
  const plan = await repairLog(fs, dir, afterZxid, repairs);
  if (snapshot !== null && plan.lastZxid < snapshot.zxid) await removeSnapshotsBefore(fs, dir, snapshot.zxid, repairs);
  return {
    snapshot,
    records: { [Symbol.asyncIterator]: () => replay(fs, plan.segments, afterZxid) },
    lastZxid: Math.max(afterZxid, plan.lastZxid),
    repairs,
  };
}

/** A crash during writeSnapshot leaves its temporary file; nothing is writing one at startup. */
async function removeUnfinishedSnapshots(fs: FileSystem, dir: string, repairs: string[]): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (!isSnapshotTempFile(name)) continue;
    await fs.rm(join(dir, name));
    repairs.push(`removed unfinished snapshot ${name}`);
  }
}

async function newestValidSnapshot(fs: FileSystem, dir: string, repairs: string[]): Promise<RecoveredSnapshot | null> {
  const snapshots = await listSnapshots(fs, dir);
  for (const { zxid, path } of snapshots.reverse()) {
    try {
      await validateSnapshot(fs, path, { expectedZxid: zxid });
      return { zxid, path, chunks: () => readSnapshot(fs, path, { expectedZxid: zxid }) };
    } catch (error) {
      // Damaged files stay where they are for inspection; an older snapshot plus more log will do.
      repairs.push(`skipped snapshot ${path}: ${(error as Error).message}`);
    }
  }
  // The log alone rebuilds the tree only if it was never purged, which needs a snapshot to exist;
  // with every snapshot damaged, replaying the log from nothing would invent a wrong tree.
  if (snapshots.length > 0) throw new KeeperError('DataInconsistency', `every snapshot in ${dir} is damaged`);
  return null;
}

/**
 * The log ends before the snapshot (its tail was damaged, or the snapshot came from a leader), so
 * the txns between the log's end and the snapshot exist nowhere else: an older snapshot replayed
 * over this log would skip them. Removing such snapshots keeps a later fallback from using one.
 */
async function removeSnapshotsBefore(fs: FileSystem, dir: string, zxid: number, repairs: string[]): Promise<void> {
  for (const older of await listSnapshots(fs, dir)) {
    if (older.zxid >= zxid) continue;
    await fs.rm(older.path);
    repairs.push(`removed ${older.path}: the log no longer connects it to snapshot ${zxidHex(zxid)}`);
  }
  await fsyncDirectory(fs, dir);
}

interface Segment {
  file: LogFile;
  /** Replay stops here: the end of the last good record. */
  endOffset: number;
}

/**
 * Validates the log files that hold records after `afterZxid` and repairs damage: the damaged file
 * is cut after its last good record and every later file is deleted. Later files are never kept:
 * the records in them follow txns that are now lost, and applying them over the gap would build a
 * tree no replica ever had. (A damaged file followed by a newer one means real corruption: a file
 * is only started after the previous one's last batch was synced.) In a cluster the leader sends
 * this server what it is missing.
 */
async function repairLog(fs: FileSystem, dir: string, afterZxid: number, repairs: string[]): Promise<{ segments: Segment[]; lastZxid: number }> {
  const files = await listLogFiles(fs, dir);
  // The newest file starting at or before afterZxid may hold records after it; older ones cannot.
  const start = Math.max(0, newestLogStartingAtOrBefore(files, afterZxid));
  const segments: Segment[] = [];
  let lastZxid = -1;
  for (let index = start; index < files.length; index++) {
    const file = files[index]!;
    const scan = file.firstZxid > lastZxid ? await scanFile(fs, file) : outOfOrder(file, lastZxid);
    if (scan.recordCount > 0) {
      segments.push({ file, endOffset: scan.validEndOffset });
      lastZxid = scan.lastZxid!;
    }
    if (scan.damage === null && scan.recordCount > 0) continue;
    if (scan.damage === null) {
      // A file created by a batch that never reached disk; its name may be wanted again.
      await fs.rm(file.path);
      repairs.push(`removed ${file.path}: no records`);
      continue;
    }
    // Later files go first: a crash in between must not leave them after a now clean-looking end.
    await removeFiles(fs, dir, files.slice(index + 1), repairs);
    await cutAt(fs, file, scan.recordCount > 0 ? scan.validEndOffset : 0, scan.damage, repairs);
    break;
  }
  if (repairs.length > 0) await fsyncDirectory(fs, dir);
  return { segments, lastZxid };
}

interface ScanResult {
  damage: string | null;
  recordCount: number;
  validEndOffset: number;
  lastZxid: number | null;
}

function outOfOrder(file: LogFile, previousZxid: number): ScanResult {
  return { damage: `starts at zxid ${file.firstZxid}, not after ${previousZxid}`, recordCount: 0, validEndOffset: 0, lastZxid: null };
}

async function scanFile(fs: FileSystem, file: LogFile): Promise<ScanResult> {
  const scanner = await LogFileScanner.open(fs, file);
  try {
    while ((await scanner.next()) !== null);
    return { damage: scanner.damage, recordCount: scanner.recordCount, validEndOffset: scanner.validEndOffset, lastZxid: scanner.lastZxid };
  } finally {
    await scanner.close();
  }
}

async function cutAt(fs: FileSystem, file: LogFile, endOffset: number, damage: string, repairs: string[]): Promise<void> {
  if (endOffset <= LOG_HEADER_BYTES) {
    await fs.rm(file.path);
    repairs.push(`removed ${file.path}: ${damage} before any good record`);
    return;
  }
  await truncateDurably(fs, file.path, endOffset);
  repairs.push(`cut ${file.path} at offset ${endOffset}: ${damage}`);
}

/** Newest first, so that a crash part way leaves a log without holes. */
async function removeFiles(fs: FileSystem, dir: string, files: LogFile[], repairs: string[]): Promise<void> {
  if (files.length === 0) return;
  for (const file of [...files].reverse()) {
    await fs.rm(file.path);
    repairs.push(`removed ${file.path}: follows a damaged log file`);
  }
  await fsyncDirectory(fs, dir);
}

async function* replay(fs: FileSystem, segments: Segment[], afterZxid: number): AsyncGenerator<LogRecord> {
  for (const { file, endOffset } of segments) {
    const scanner = await LogFileScanner.open(fs, file);
    try {
      for (let record = await scanner.next(); record !== null; record = await scanner.next()) {
        // The scanner's payload is a view into its buffer; the consumer may keep what it is given.
        if (record.zxid > afterZxid) yield { zxid: record.zxid, payload: new Uint8Array(record.payload) };
        if (record.endOffset >= endOffset) break;
      }
      if (scanner.validEndOffset < endOffset) {
        throw new KeeperError('DataInconsistency', `${file.path} changed after recovery validated it: ${scanner.damage ?? 'ends early'}`);
      }
    } finally {
      await scanner.close();
    }
  }
}
