// The node's view of storage: recover the state at start, append txns durably, take fuzzy
// snapshots without stalling requests, and purge old files.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { decodeTxnRecord } from '../core/codec.js';
import { assert } from '../core/errors.js';
import { mutant } from '../core/mutants.js';
import { loadChunk, serializeState } from '../core/snapshot.js';
import { ReplicatedState } from '../core/state.js';
import type { Zxid } from '../core/types.js';
import { purge, recover, TxnLog, writeSnapshot, type StorageWorld } from '../storage/index.js';

export interface Persistence {
  /** Resolves once the record is fsynced; appends made in one turn share one fdatasync. */
  append(zxid: number, payload: Uint8Array): Promise<void>;
  /** Writes a snapshot of the state as it is applied now, while requests go on; resolves with the zxid it is tagged with. */
  snapshot(state: ReplicatedState): Promise<Zxid>;
  close(): Promise<void>;
  readonly log: TxnLog;
  /** The storage directory (log, snapshots, epoch files). */
  readonly dir: string;
  /** Drops every logged txn after `zxid` (a leader's TRUNC). */
  truncateAfter(zxid: number): Promise<void>;
  /** The state rebuilt after a truncation ends at `zxid`, below its point: appends resume after it. */
  resumeAfter(zxid: number): void;
  /** Makes a leader's snapshot this server's durable starting point. */
  installSnapshot(zxid: number, chunks: readonly Uint8Array[]): Promise<void>;
}

export interface PersistenceOptions {
  world: StorageWorld;
  dataDir: string;
  dataLogDir: string;
  snapRetainCount: number;
  logger: Logger;
  /** Log file preallocation; tests use small values. */
  preallocateBytes?: number;
}

/** Snapshot chunks are serialized this many nodes at a time, with other work let in between. */
const NODES_PER_SNAPSHOT_CHUNK = 2048;

export function storageDirectory(dataDir: string): string {
  return join(dataDir, 'cairn');
}

export interface RecoveredState {
  state: ReplicatedState;
  /** The newest log entries (at most `historyLimit`), for ZAB to bring learners level by DIFF. */
  history: { zxid: number; payload: Uint8Array }[];
  /** The zxid just before `history[0]` (the snapshot's, or of the last record not kept). */
  historyBase: number;
}

/** Rebuilds the state from the newest valid snapshot and the log after it. */
export async function recoverState(world: StorageWorld, dir: string, logger: Logger, historyLimit = 0): Promise<RecoveredState> {
  const recovered = await recover(world.fs, dir);
  for (const repair of recovered.repairs) logger.warn({ repair }, 'storage repaired during recovery');
  const state = new ReplicatedState();
  state.replaying = true;
  if (recovered.snapshot !== null) {
    for await (const chunk of recovered.snapshot.chunks()) loadChunk(state, chunk);
    state.lastZxid = recovered.snapshot.zxid;
  }
  let historyBase = state.lastZxid;
  const history: { zxid: number; payload: Uint8Array }[] = [];
  let replayed = 0;
  for await (const record of recovered.records) {
    const decoded = decodeTxnRecord(record.payload);
    assert(decoded.header.zxid === record.zxid, `log record ${record.zxid} holds txn ${decoded.header.zxid}`);
    state.apply(decoded);
    replayed++;
    if (historyLimit > 0) {
      history.push({ zxid: record.zxid, payload: record.payload });
      if (history.length > historyLimit) historyBase = history.shift()!.zxid;
    }
  }
  state.replaying = false;
  assert(state.lastZxid === Math.max(0, recovered.lastZxid), `recovered state ends at the log end (${state.lastZxid} vs ${recovered.lastZxid})`);
  logger.debug({ snapshotZxid: recovered.snapshot?.zxid ?? null, replayed }, 'log replayed');
  return { state, history, historyBase };
}

export async function openPersistence(
  options: PersistenceOptions & { historyLimit?: number },
): Promise<{ state: ReplicatedState; persistence: Persistence; history: RecoveredState['history']; historyBase: number }> {
  const dir = storageDirectory(options.dataDir);
  await options.world.fs.mkdir(dir);
  const { state, history, historyBase } = await recoverState(options.world, dir, options.logger, options.historyLimit ?? 0);
  const log = await TxnLog.open(options.world, dir, { lastZxid: state.lastZxid, ...(options.preallocateBytes === undefined ? {} : { preallocateBytes: options.preallocateBytes }) });
  return { state, persistence: new FilePersistence(dir, log, options), history, historyBase };
}

class FilePersistence implements Persistence {
  constructor(
    readonly dir: string,
    readonly log: TxnLog,
    private readonly options: PersistenceOptions,
  ) {}

  append(zxid: number, payload: Uint8Array): Promise<void> {
    return this.log.append(zxid, payload);
  }

  async snapshot(state: ReplicatedState): Promise<Zxid> {
    // Everything up to this zxid is applied; later txns are replayed over the fuzzy result.
    const zxid = state.lastZxid;
    const mark = this.log.truncationMark();
    this.log.rollover();
    // The result may hold the effects of txns applied while it was written, which a replay of the
    // log puts right only if the log still has them after a crash. An applied txn need not be
    // durable here (a quorum without us committed it): the snapshot is published only once every
    // txn appended by the end of the walk is, else a recovery from it, the log behind it lost,
    // reports a zxid whose state it does not have and replays the txns after it over their own
    // effects (found by the simulation, seed 10,041 with syncWithoutQuorum).
    await writeSnapshot(this.options.world.fs, this.dir, zxid, interleaved(this.options.world, serializeState(state, NODES_PER_SNAPSHOT_CHUNK)), {
      beforePublish: async () => {
        if (!mutant('snapshotBeforeLogDurable')) await this.log.appendedDurable();
        // A TRUNC meanwhile may have removed txns the walk saw applied (state.lastZxid is where
        // the walked state got to); it removed newer snapshots too, but this one was not in place.
        const cut = this.log.lowestTruncationSince(mark);
        if (cut < state.lastZxid) throw new Error(`the log was truncated after 0x${cut.toString(16)} while a snapshot of a state at 0x${state.lastZxid.toString(16)} was written`);
      },
    });
    const purged = await purge(this.options.world.fs, this.dir, Math.max(3, this.options.snapRetainCount));
    if (purged.removedSnapshots.length + purged.removedLogs.length > 0) this.options.logger.debug(purged, 'old snapshots and logs purged');
    return zxid;
  }

  close(): Promise<void> {
    return this.log.close();
  }

  truncateAfter(zxid: number): Promise<void> {
    return this.log.truncateAfter(zxid);
  }

  resumeAfter(zxid: number): void {
    this.log.resumeAfter(zxid);
  }

  async installSnapshot(zxid: number, chunks: readonly Uint8Array[]): Promise<void> {
    // Cut the log first: nothing after the snapshot may survive it, and appends follow from it.
    await this.log.truncateAfter(zxid);
    await writeSnapshot(this.options.world.fs, this.dir, zxid, chunks);
  }
}

/** Lets requests run between snapshot chunks, so a large tree never stalls the server for long. */
async function* interleaved(world: StorageWorld, chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
    await new Promise<void>((resolve) => world.defer(resolve));
  }
}
