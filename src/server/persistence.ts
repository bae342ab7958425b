// The node's view of storage: recover the state at start, append txns durably, take fuzzy
// snapshots without stalling requests, and purge old files.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { decodeTxnRecord } from '../core/codec.js';
import { assert } from '../core/errors.js';
import { loadChunk, serializeState } from '../core/snapshot.js';
import { ReplicatedState } from '../core/state.js';
import { purge, recover, TxnLog, writeSnapshot } from '../storage/index.js';

export interface Persistence {
  /** Resolves once the record is fsynced; appends made in one turn share one fdatasync. */
  append(zxid: number, payload: Uint8Array): Promise<void>;
  /** Writes a snapshot of the state as it is applied now, while requests go on. */
  snapshot(state: ReplicatedState): Promise<void>;
  close(): Promise<void>;
  readonly log: TxnLog;
}

export interface PersistenceOptions {
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

export async function openPersistence(options: PersistenceOptions): Promise<{ state: ReplicatedState; persistence: Persistence }> {
  const dir = storageDirectory(options.dataDir);
  await mkdir(dir, { recursive: true });
  const recovered = await recover(dir);
  for (const repair of recovered.repairs) options.logger.warn({ repair }, 'storage repaired during recovery');
  const state = new ReplicatedState();
  state.replaying = true;
  if (recovered.snapshot !== null) {
    for await (const chunk of recovered.snapshot.chunks()) loadChunk(state, chunk);
    state.lastZxid = recovered.snapshot.zxid;
  }
  let replayed = 0;
  for await (const record of recovered.records) {
    const decoded = decodeTxnRecord(record.payload);
    assert(decoded.header.zxid === record.zxid, `log record ${record.zxid} holds txn ${decoded.header.zxid}`);
    state.apply(decoded);
    replayed++;
  }
  state.replaying = false;
  assert(state.lastZxid === Math.max(0, recovered.lastZxid), `recovered state ends at the log end (${state.lastZxid} vs ${recovered.lastZxid})`);
  options.logger.debug({ snapshotZxid: recovered.snapshot?.zxid ?? null, replayed }, 'log replayed');
  const log = await TxnLog.open(dir, { lastZxid: state.lastZxid, ...(options.preallocateBytes === undefined ? {} : { preallocateBytes: options.preallocateBytes }) });
  return { state, persistence: new FilePersistence(dir, log, options) };
}

class FilePersistence implements Persistence {
  constructor(
    private readonly dir: string,
    readonly log: TxnLog,
    private readonly options: PersistenceOptions,
  ) {}

  append(zxid: number, payload: Uint8Array): Promise<void> {
    return this.log.append(zxid, payload);
  }

  async snapshot(state: ReplicatedState): Promise<void> {
    // Everything up to this zxid is applied; later txns are replayed over the fuzzy result.
    const zxid = state.lastZxid;
    this.log.rollover();
    await writeSnapshot(this.dir, zxid, interleaved(serializeState(state, NODES_PER_SNAPSHOT_CHUNK)));
    const purged = await purge(this.dir, Math.max(3, this.options.snapRetainCount));
    if (purged.removedSnapshots.length + purged.removedLogs.length > 0) this.options.logger.debug(purged, 'old snapshots and logs purged');
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

/** Lets requests run between snapshot chunks, so a large tree never stalls the server for long. */
async function* interleaved(chunks: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    yield chunk;
    await yieldToEventLoop();
  }
}
