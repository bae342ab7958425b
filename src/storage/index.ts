export {
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_PREALLOCATE_BYTES,
  LogFileScanner,
  TxnLog,
  listLogFiles,
  logFileName,
  truncateLogAfter,
} from './txnlog.js';
export type { LogFile, LogRecord, ScannedRecord, TxnLogOptions, TxnLogStats } from './txnlog.js';
export { listSnapshots, readSnapshot, snapshotFileName, validateSnapshot, writeSnapshot } from './snapshot.js';
export type { ReadSnapshotOptions, SnapshotFile, SnapshotSummary, WriteSnapshotOptions } from './snapshot.js';
export { recover } from './recovery.js';
export type { RecoveredSnapshot, RecoveryResult } from './recovery.js';
export { MIN_RETAINED_SNAPSHOTS, purge } from './purge.js';
export type { PurgeResult } from './purge.js';
export { nodeFileSystem, nodeStorageWorld } from './world.js';
export type { FileSystem, OpenMode, StorageFile, StorageWorld } from './world.js';
