// Deletes old snapshots and the log files only they needed, as ZooKeeper's PurgeTxnLog does.

import { KeeperError } from '../core/errors.js';
import { fsyncDirectory, listLogFiles, newestLogStartingAtOrBefore } from './txnlog.js';
import { listSnapshots } from './snapshot.js';
import type { FileSystem } from './world.js';

/** ZooKeeper refuses to keep fewer: a damaged newest snapshot must leave older ones to fall back on. */
export const MIN_RETAINED_SNAPSHOTS = 3;

export interface PurgeResult {
  removedSnapshots: string[];
  removedLogs: string[];
}

/**
 * Keeps the newest `retainCount` snapshots and every log file needed to replay from the oldest of
 * them; deletes the rest. Snapshot temp files are left alone: one may be being written right now.
 */
export async function purge(fs: FileSystem, dir: string, retainCount = MIN_RETAINED_SNAPSHOTS): Promise<PurgeResult> {
  if (!Number.isSafeInteger(retainCount) || retainCount < MIN_RETAINED_SNAPSHOTS) {
    throw new KeeperError('BadArguments', `purge must retain at least ${MIN_RETAINED_SNAPSHOTS} snapshots, not ${retainCount}`);
  }
  const snapshots = await listSnapshots(fs, dir);
  const result: PurgeResult = { removedSnapshots: [], removedLogs: [] };
  // Without a snapshot the log is the only copy of the tree.
  if (snapshots.length === 0) return result;
  const retained = snapshots.slice(-retainCount);
  const oldestRetainedZxid = retained[0]!.zxid;
  const logs = await listLogFiles(fs, dir);
  // The newest log starting at or before the oldest retained snapshot may hold records after it.
  const firstNeeded = newestLogStartingAtOrBefore(logs, oldestRetainedZxid);
  // Snapshots first, oldest log first: a crash part way never leaves a snapshot without its log.
  for (const snapshot of snapshots.slice(0, snapshots.length - retained.length)) {
    await fs.rm(snapshot.path);
    result.removedSnapshots.push(snapshot.path);
  }
  for (const log of logs.slice(0, Math.max(0, firstNeeded))) {
    await fs.rm(log.path);
    result.removedLogs.push(log.path);
  }
  if (result.removedLogs.length + result.removedSnapshots.length > 0) await fsyncDirectory(fs, dir);
  return result;
}
