// Drives the pure core exactly as the server does:
//   txn = prep.prepare(request, ctx)  (ctx.zxid = the next zxid)
//   → state.apply({header, txn}) → prep.applied(zxid) → watches.trigger(trigger, zxid) per trigger.
// Preparing and applying are separate steps so tests can prepare several writes before applying any.

import type { AuthId } from '../../src/core/acl.js';
import { KeeperError } from '../../src/core/errors.js';
import { MultiFailure, Prep, type PrepContext } from '../../src/core/prep.js';
import { applySetWatches, executeRead, type ReadContext } from '../../src/core/read.js';
import { reapCandidates } from '../../src/core/reaper.js';
import { ReplicatedState, type ApplyResult } from '../../src/core/state.js';
import { WatchManager, type Notification, type WatcherId } from '../../src/core/watches.js';
import {
  OPEN_ACL_UNSAFE,
  type ACL,
  type CreateMode,
  type Data,
  type ReadRequest,
  type Response,
  type SessionId,
  type SetWatchesRequest,
  type Stat,
  type Txn,
  type TxnRecord,
  type WatchEvent,
  type WriteRequest,
  type Zxid,
} from '../../src/core/types.js';

export interface Origin {
  sessionId?: SessionId;
  identities?: readonly AuthId[];
  superDigest?: string;
  maxDataBytes?: number;
  extendedTypesEnabled?: boolean;
  enforceQuota?: boolean;
}

export interface Applied extends ApplyResult {
  record: TxnRecord;
  notifications: Notification[];
}

export const DEFAULT_MAX_DATA_BYTES = 1024;

export class CoreHarness {
  readonly state = new ReplicatedState();
  readonly prep = new Prep(this.state.tree);
  readonly watches = new WatchManager();
  /** Every txn applied, in order (the log). */
  readonly log: TxnRecord[] = [];
  /** Every notification delivered, in order. */
  readonly notifications: Notification[] = [];
  /** Prepared, not yet applied. */
  private readonly queue: TxnRecord[] = [];
  private lastProposedZxid: Zxid = 0;
  /** The time the next proposal carries (ctime/mtime). */
  clock = 1_000;

  get tree() {
    return this.state.tree;
  }

  get pendingCount(): number {
    return this.queue.length;
  }

  /** After loading a snapshot: continue numbering after `zxid`. */
  resumeAfter(zxid: Zxid): void {
    this.lastProposedZxid = zxid;
    this.state.lastZxid = zxid;
  }

  context(origin: Origin = {}, zxid = this.lastProposedZxid + 1): PrepContext {
    return {
      sessionId: origin.sessionId ?? 0,
      identities: origin.identities ?? [],
      superDigest: origin.superDigest,
      zxid,
      maxDataBytes: origin.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES,
      extendedTypesEnabled: origin.extendedTypesEnabled ?? true,
      enforceQuota: origin.enforceQuota ?? false,
    };
  }

  private enqueue(sessionId: SessionId, zxid: Zxid, txn: Txn): TxnRecord {
    this.lastProposedZxid = zxid;
    const record: TxnRecord = { header: { sessionId, cxid: 0, zxid, time: this.clock }, txn };
    this.queue.push(record);
    return record;
  }

  /** Prepares a write (throws KeeperError or MultiFailure as prep does); the txn waits in the queue. */
  prepare(request: WriteRequest, origin: Origin = {}): TxnRecord {
    const zxid = this.lastProposedZxid + 1;
    const txn = this.prep.prepare(request, this.context(origin, zxid));
    return this.enqueue(origin.sessionId ?? 0, zxid, txn);
  }

  prepareCreateSession(sessionId: SessionId, timeoutMs = 10_000): TxnRecord {
    return this.enqueue(sessionId, this.lastProposedZxid + 1, { type: 'createSession', timeoutMs, password: new Uint8Array([1, 2, 3, sessionId & 0xff]) });
  }

  prepareCloseSession(sessionId: SessionId): TxnRecord {
    const zxid = this.lastProposedZxid + 1;
    return this.enqueue(sessionId, zxid, this.prep.prepareCloseSession(sessionId, zxid));
  }

  /** Null when prep decides the removal no longer applies. */
  prepareDeleteContainer(path: string): TxnRecord | null {
    const zxid = this.lastProposedZxid + 1;
    const txn = this.prep.prepareDeleteContainer(path, zxid);
    return txn === null ? null : this.enqueue(0, zxid, txn);
  }

  /** Applies the oldest prepared txn. */
  applyNext(): Applied {
    const record = this.queue.shift();
    if (record === undefined) throw new Error('nothing prepared');
    const result = this.state.apply(record);
    this.log.push(record);
    this.prep.applied(record.header.zxid, record.txn.type === 'closeSession' ? record.header.sessionId : undefined);
    const notifications: Notification[] = [];
    for (const trigger of result.triggers) notifications.push(...this.watches.trigger(trigger, record.header.zxid));
    this.notifications.push(...notifications);
    return { ...result, record, notifications };
  }

  applyAll(): Applied[] {
    const applied: Applied[] = [];
    while (this.queue.length > 0) applied.push(this.applyNext());
    return applied;
  }

  /** Prepare and apply at once; earlier prepared txns are applied first. */
  write(request: WriteRequest, origin: Origin = {}): Applied {
    this.prepare(request, origin);
    return this.applyAll().at(-1)!;
  }

  /** The response of a write applied at once. */
  run(request: WriteRequest, origin: Origin = {}): Response {
    return this.write(request, origin).response!;
  }

  createSession(sessionId: SessionId, timeoutMs = 10_000): Applied {
    this.prepareCreateSession(sessionId, timeoutMs);
    return this.applyAll().at(-1)!;
  }

  closeSession(sessionId: SessionId): Applied {
    this.prepareCloseSession(sessionId);
    return this.applyAll().at(-1)!;
  }

  // -------------------------------------------------------------------------------------------
  // Shorthands

  create(path: string, data: Data = null, mode: CreateMode = 0, origin: Origin = {}, acl: ACL[] = [...OPEN_ACL_UNSAFE], ttl?: number): string {
    const response = this.run({ op: 'create', path, data, acl, mode, ...(ttl === undefined ? {} : { ttl }) }, origin);
    if (response.op !== 'create') throw new Error(`unexpected ${response.op}`);
    return response.path;
  }

  setData(path: string, data: Data, version = -1, origin: Origin = {}): Stat {
    const response = this.run({ op: 'setData', path, data, version }, origin);
    if (response.op !== 'setData') throw new Error(`unexpected ${response.op}`);
    return response.stat;
  }

  delete(path: string, version = -1, origin: Origin = {}): void {
    this.run({ op: 'delete', path, version }, origin);
  }

  read(request: ReadRequest, reader: { watcher?: WatcherId | null; sessionId?: SessionId; identities?: readonly AuthId[]; superDigest?: string } = {}): Response {
    const context: ReadContext = {
      tree: this.state.tree,
      watches: this.watches,
      watcher: reader.watcher ?? null,
      sessionId: reader.sessionId ?? 0,
      identities: reader.identities ?? [],
      superDigest: reader.superDigest,
    };
    return executeRead(request, context);
  }

  stat(path: string): Stat {
    const node = this.state.tree.get(path);
    if (node === undefined) throw new Error(`no node ${path}`);
    return node.stat();
  }

  children(path: string): string[] {
    const response = this.read({ op: 'getChildren', path, watch: false });
    if (response.op !== 'getChildren') throw new Error(`unexpected ${response.op}`);
    return response.children;
  }

  setWatches(request: Omit<SetWatchesRequest, 'op'>, watcher: WatcherId): WatchEvent[] {
    return applySetWatches({ op: 'setWatches', ...request }, this.state.tree, this.watches, watcher, this.state.lastZxid);
  }

  reapCandidates(nowMs: number): string[] {
    return reapCandidates(this.state.tree, nowMs);
  }
}

/** The KeeperError a thunk throws (fails the test when it throws nothing or something else). */
export function keeperErrorOf(action: () => unknown): KeeperError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeeperError) return error;
    throw new Error(`expected a KeeperError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a KeeperError, nothing was thrown');
}

/** The code of the KeeperError a thunk throws. */
export function codeOf(action: () => unknown): number {
  return keeperErrorOf(action).code;
}

/** The MultiFailure a thunk throws. */
export function multiFailureOf(action: () => unknown): MultiFailure {
  try {
    action();
  } catch (error) {
    if (error instanceof MultiFailure) return error;
    throw new Error(`expected a MultiFailure, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a MultiFailure, nothing was thrown');
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A small seeded PRNG (mulberry32): deterministic, no Math.random. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.int(items.length)]!;
  }
}
