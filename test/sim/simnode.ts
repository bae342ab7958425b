// One simulated server: the pure ZAB peer plus the same core the real server runs (prep on the
// leader, the codec, ReplicatedState), a simulated disk that loses unsynced writes on a crash, and
// the driver loop that carries out each Ready in the documented order.

import { decodeTxnRecord, encodeTxnRecord } from '../../src/core/codec.js';
import { assert, isKeeperError, KeeperError } from '../../src/core/errors.js';
import { Prep } from '../../src/core/prep.js';
import { loadChunk, serializeState } from '../../src/core/snapshot.js';
import { ReplicatedState } from '../../src/core/state.js';
import type { Response, TxnRecord, WriteRequest, Zxid } from '../../src/core/types.js';
import { ZabPeer, type PeerOptions } from '../../src/zab/peer.js';
import { isEmptyReady, type Entry, type HardState, type Ready, type ServerId } from '../../src/zab/types.js';
import type { Delivery, SimNetwork } from './network.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export type ClientAnswer = { ok: true; response: Response; zxid: Zxid } | { ok: false; error: string; definite: boolean };

/** What survives a crash: the synced part of the log, the epochs, and an installed snapshot. */
export class SimDisk {
  hardState: HardState = { acceptedEpoch: 0, currentEpoch: 0 };
  snapshot: { zxid: Zxid; chunks: Uint8Array[] } | null = null;
  log: { entry: Entry; durable: boolean }[] = [];

  get lastZxid(): Zxid {
    return this.log.at(-1)?.entry.zxid ?? this.snapshot?.zxid ?? 0;
  }

  append(entries: readonly Entry[]): void {
    for (const entry of entries) this.log.push({ entry, durable: false });
  }

  /** Marks everything up to zxid durable. */
  sync(zxid: Zxid): void {
    for (const record of this.log) if (record.entry.zxid <= zxid) record.durable = true;
  }

  truncateAfter(zxid: Zxid): void {
    this.log = this.log.filter((record) => record.entry.zxid <= zxid);
  }

  /**
   * A crash: synced records survive; unsynced ones may or may not have reached the disk (a random
   * prefix of them does), and the last surviving one may be torn, which recovery drops.
   */
  crash(prng: Prng): void {
    const firstUnsynced = this.log.findIndex((record) => !record.durable);
    if (firstUnsynced === -1) return;
    let keep = firstUnsynced + prng.int(0, this.log.length - firstUnsynced);
    if (keep > firstUnsynced && prng.chance(0.3)) keep--; // a torn last record
    this.log = this.log.slice(0, keep);
    for (const record of this.log) record.durable = true;
  }
}

interface Pending {
  respond: (answer: ClientAnswer) => void;
}

export interface SimNodeHooks {
  /** Every committed entry a server applies, in order (for the cluster's invariants). */
  onApply(node: SimNode, entry: Entry, previous: Zxid): void;
  onServing(node: SimNode): void;
}

export interface ForwardedRequest {
  sessionId: number;
  cxid: number;
  request: WriteRequest;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SimNode {
  up = true;
  pausedUntilMs = 0;
  incarnation = 0;
  zab!: ZabPeer;
  state!: ReplicatedState;
  private prep: Prep | null = null;
  /** Client requests waiting for their txn to be applied here, by "session:cxid". */
  private readonly pending = new Map<string, Pending>();
  private readonly syncWaiters = new Map<number, () => void>();
  private readonly localWaiters: { zxid: Zxid; run: () => void }[] = [];
  private nextSyncId = 1;
  private appliedZxid: Zxid = 0;
  private syncedZxid: Zxid = 0;
  private fsyncDoneMs = 0;
  readonly disk = new SimDisk();

  constructor(
    readonly id: ServerId,
    private readonly options: PeerOptions,
    private readonly scheduler: Scheduler,
    private readonly network: SimNetwork,
    private readonly prng: Prng,
    private readonly hooks: SimNodeHooks,
  ) {
    this.boot();
  }

  /** (Re)build the state from the disk, as the real server's recovery does, and start ZAB. */
  private boot(): void {
    this.rebuildState();
    this.zab = new ZabPeer(this.options, {
      hardState: { ...this.disk.hardState },
      lastZxid: this.disk.lastZxid,
      history: this.disk.log.map((record) => record.entry),
      historyBase: this.disk.snapshot?.zxid ?? 0,
    });
    this.syncedZxid = this.disk.lastZxid;
    this.drain();
  }

  private rebuildState(): void {
    const state = new ReplicatedState();
    state.replaying = true;
    if (this.disk.snapshot !== null) {
      for (const chunk of this.disk.snapshot.chunks) loadChunk(state, chunk);
      state.lastZxid = this.disk.snapshot.zxid;
    }
    for (const record of this.disk.log) state.apply(decodeTxnRecord(record.entry.payload));
    state.replaying = false;
    this.state = state;
    this.appliedZxid = state.lastZxid;
  }

  crash(): void {
    this.up = false;
    this.incarnation++;
    this.disk.crash(this.prng);
    for (const pending of this.pending.values()) pending.respond({ ok: false, error: 'ConnectionLoss', definite: false });
    this.pending.clear();
    this.syncWaiters.clear();
    this.localWaiters.length = 0;
    this.prep = null;
  }

  restart(): void {
    assert(!this.up, 'only a crashed server restarts');
    this.up = true;
    this.pausedUntilMs = 0;
    this.boot();
  }

  tick(): void {
    this.zab.tick();
    this.drain();
  }

  receive(delivery: Delivery): void {
    if (DEBUG) console.log(`${this.scheduler.now} ${delivery.from}->${this.id} ${describeMessage(delivery.message)} [${this.zab.role}]`);
    if (delivery.message.type === 'syncStart' && delivery.message.mode === 'snap') this.installSnapshot(delivery.message.zxid, delivery.attachment!);
    this.zab.receive(delivery.from, delivery.message);
    this.drain();
  }

  connectionLost(peer: ServerId): void {
    if (DEBUG) console.log(`${this.scheduler.now} ${this.id} lost connection to ${peer} [${this.zab.role}]`);
    this.zab.disconnected(peer);
    this.drain();
  }

  /** The driver installs a streamed snapshot durably before ZAB hears of it. */
  private installSnapshot(zxid: Zxid, chunks: Uint8Array[]): void {
    this.disk.snapshot = { zxid, chunks };
    this.disk.log = [];
    this.rebuildState();
    this.syncedZxid = zxid;
  }

  // ------------------------------------------------------------------------------------------
  // Client requests

  submitWrite(sessionId: number, cxid: number, request: WriteRequest, respond: (answer: ClientAnswer) => void): void {
    if (!this.zab.serving) {
      respond({ ok: false, error: 'ConnectionLoss', definite: true });
      return;
    }
    this.pending.set(`${sessionId}:${cxid}`, { respond });
    if (this.zab.role === 'leading') this.prepareAndPropose(null, { sessionId, cxid, request });
    else this.zab.forward(encoder.encode(JSON.stringify(toWire({ sessionId, cxid, request }))));
    this.drain();
  }

  /** sync, then read from the local tree: at least as new as every write acknowledged before. */
  syncRead(path: string, respond: (answer: ClientAnswer) => void): void {
    if (!this.zab.serving) {
      respond({ ok: false, error: 'ConnectionLoss', definite: true });
      return;
    }
    const read = () => respond(this.readLocal(path));
    const incarnation = this.incarnation;
    const guarded = () => {
      if (this.incarnation === incarnation && this.up) read();
    };
    if (this.zab.role === 'leading') {
      this.afterApplied(this.zab.lastZxid, guarded);
    } else {
      const id = this.nextSyncId++;
      this.syncWaiters.set(id, guarded);
      this.zab.requestSync(id);
      this.drain();
    }
  }

  private readLocal(path: string): ClientAnswer {
    const node = this.state.tree.get(path);
    if (node === undefined) return { ok: false, error: 'NoNode', definite: true };
    return { ok: true, response: { op: 'getData', data: node.data, stat: node.stat() }, zxid: this.state.lastZxid };
  }

  private afterApplied(zxid: Zxid, run: () => void): void {
    if (this.appliedZxid >= zxid) run();
    else this.localWaiters.push({ zxid, run });
  }

  private prepareAndPropose(from: ServerId | null, forwarded: ForwardedRequest): void {
    const zxid = this.zab.nextZxid();
    if (zxid === null) {
      this.answerFailure(from, forwarded, new KeeperError('ConnectionLoss'), false);
      return;
    }
    this.prep ??= new Prep(this.state.tree);
    let record: TxnRecord;
    try {
      const txn = this.prep.prepare(forwarded.request, {
        sessionId: forwarded.sessionId,
        identities: [],
        superDigest: undefined,
        zxid,
        maxDataBytes: 1 << 20,
        extendedTypesEnabled: true,
      });
      record = { header: { sessionId: forwarded.sessionId, cxid: forwarded.cxid, zxid, time: this.scheduler.now }, txn };
    } catch (error) {
      if (!isKeeperError(error)) throw error;
      this.answerFailure(from, forwarded, error, true);
      return;
    }
    this.zab.propose({ zxid, payload: encodeTxnRecord(record) });
  }

  /** A refused write is answered once everything proposed before it is applied. */
  private answerFailure(from: ServerId | null, forwarded: ForwardedRequest, error: KeeperError, definite: boolean): void {
    const payload = { sessionId: forwarded.sessionId, cxid: forwarded.cxid, error: error.codeName, definite };
    if (from === null) this.afterApplied(this.zab.lastZxid, () => this.onReply(payload));
    else this.zab.reply(from, encoder.encode(JSON.stringify(payload)));
  }

  private onReply(reply: { sessionId: number; cxid: number; error: string; definite: boolean }): void {
    const key = `${reply.sessionId}:${reply.cxid}`;
    const pending = this.pending.get(key);
    this.pending.delete(key);
    pending?.respond({ ok: false, error: reply.error, definite: reply.definite });
  }

  // ------------------------------------------------------------------------------------------
  // The driver loop

  /** Carries out Ready batches until ZAB has nothing more to say. */
  drain(): void {
    for (let round = 0; round < 1000; round++) {
      const ready = this.zab.takeReady();
      if (isEmptyReady(ready)) return;
      this.carryOut(ready);
    }
    throw new Error('the driver loop did not settle');
  }

  private carryOut(ready: Ready): void {
    const wasServing = this.zab.serving;
    if (DEBUG && ready.disconnect.length > 0) console.log(`${this.scheduler.now} ${this.id} disconnects ${ready.disconnect.join(',')} now ${this.zab.role}`);
    if (ready.hardState !== null) this.disk.hardState = { ...ready.hardState };
    if (ready.truncateAfter !== null) this.truncate(ready.truncateAfter);
    if (ready.entries.length > 0) this.appendAndSync(ready.entries);
    for (const entry of ready.committed) this.apply(entry);
    for (const peer of ready.disconnect) this.network.close(this.id, peer);
    for (const outbound of ready.messages) {
      const attach = outbound.message.type === 'syncStart' && outbound.message.mode === 'snap' ? [...serializeState(this.state, 64)] : undefined;
      this.network.send(this.id, outbound.to, outbound.message, attach);
    }
    for (const { from, payload } of ready.forwarded) this.prepareAndPropose(from, fromWire(JSON.parse(decoder.decode(payload))));
    for (const payload of ready.replies) this.onReply(JSON.parse(decoder.decode(payload)));
    for (const id of ready.syncsDone) {
      const waiter = this.syncWaiters.get(id);
      this.syncWaiters.delete(id);
      waiter?.();
    }
    if (this.zab.role !== 'leading') this.prep = null;
    if (!wasServing && this.zab.serving) this.hooks.onServing(this);
    if (!this.zab.serving) this.failPendingIfNotServing();
  }

  private failPendingIfNotServing(): void {
    // Requests already forwarded or proposed have an unknown outcome once the leader is gone.
    if (this.zab.role === 'looking') {
      for (const pending of this.pending.values()) pending.respond({ ok: false, error: 'ConnectionLoss', definite: false });
      this.pending.clear();
      this.syncWaiters.clear();
      this.localWaiters.length = 0;
    }
  }

  private truncate(zxid: Zxid): void {
    this.disk.truncateAfter(zxid);
    this.syncedZxid = Math.min(this.syncedZxid, zxid);
    if (this.state.lastZxid > zxid) this.rebuildState();
  }

  /** Appends without syncing; one fsync per batch completes later, in order. */
  private appendAndSync(entries: readonly Entry[]): void {
    this.disk.append(entries);
    const upTo = entries.at(-1)!.zxid;
    const incarnation = this.incarnation;
    this.fsyncDoneMs = Math.max(this.scheduler.now, this.fsyncDoneMs) + this.prng.int(0, 3);
    this.scheduler.at(this.fsyncDoneMs, () => {
      if (this.incarnation !== incarnation || !this.up) return;
      // A truncation since may have removed what this sync covered.
      const target = Math.min(upTo, this.disk.lastZxid);
      this.disk.sync(target);
      if (target > this.syncedZxid) this.syncedZxid = target;
      this.zab.persisted(target);
      this.drain();
    });
  }

  private apply(entry: Entry): void {
    const record = decodeTxnRecord(entry.payload);
    const previous = this.appliedZxid;
    const result = this.state.apply(record);
    this.appliedZxid = record.header.zxid;
    this.prep?.applied(record.header.zxid);
    this.hooks.onApply(this, entry, previous);
    const key = `${record.header.sessionId}:${record.header.cxid}`;
    const pending = this.pending.get(key);
    if (pending !== undefined) {
      this.pending.delete(key);
      pending.respond({ ok: true, response: result.response!, zxid: record.header.zxid });
    }
    let released = 0;
    while (released < this.localWaiters.length && this.localWaiters[released]!.zxid <= this.appliedZxid) released++;
    for (const waiter of this.localWaiters.splice(0, released)) waiter.run();
  }
}

const DEBUG = process.env.SIM_DEBUG === '1';

function describeMessage(message: Delivery['message']): string {
  switch (message.type) {
    case 'proposal':
    case 'inform':
      return `${message.type}[${message.entries.map((entry) => entry.zxid.toString(16)).join(',')}]`;
    case 'notification':
      return `notification(${message.vote.leader},${message.vote.zxid.toString(16)},e${message.vote.epoch},r${message.round},${message.state})`;
    default:
      return JSON.stringify(message, (_, value) => (value instanceof Uint8Array ? `<${value.length} bytes>` : value));
  }
}


/** Forwarded requests in the simulation travel as JSON (data as text). */
function toWire(forwarded: ForwardedRequest): unknown {
  const request = forwarded.request;
  const data = 'data' in request && request.data !== null ? decoder.decode(request.data) : null;
  return { ...forwarded, request: { ...request, data } };
}

function fromWire(value: unknown): ForwardedRequest {
  const forwarded = value as ForwardedRequest & { request: { data?: string | null } };
  const request = forwarded.request as unknown as Record<string, unknown>;
  if (typeof request.data === 'string') request.data = encoder.encode(request.data);
  return forwarded;
}
