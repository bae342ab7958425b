// Pure ZabPeer objects wired together by a router the test steers: it carries out each Ready as
// the driver would (fsync at once, connections closed, messages queued) and delivers what is in
// flight in the order, and with the losses, a test chooses. Shared by the unit tests of ZAB's
// elections, synchronisation and leadership check.

import type { Zxid } from '../../src/core/types.js';
import { ZabPeer } from '../../src/zab/peer.js';
import type { HardState, PeerMessage, ServerId } from '../../src/zab/types.js';

export interface InFlight {
  from: ServerId;
  to: ServerId;
  message: PeerMessage;
}

export type Filter = (message: InFlight) => boolean;

export interface RouterOptions {
  voters: ServerId[];
  observers?: ServerId[];
  initLimit: number;
  syncLimit: number;
  /** What every server starts from (a restarted ensemble with the same log everywhere). */
  hardState: HardState;
  lastZxid: Zxid;
}

/** Enough rounds of delivery for any exchange these tests make; more means messages loop. */
const MAX_ROUNDS = 1000;

export class ZabRouter {
  readonly peers = new Map<ServerId, ZabPeer>();
  inFlight: InFlight[] = [];
  /** Every message delivered, in order. */
  readonly received: InFlight[] = [];
  /** Syncs each server reported done (Ready.syncsDone), in order. */
  readonly syncsDone = new Map<ServerId, number[]>();
  /** Notifications matching this never arrive (the election channel is lossy). */
  lose: Filter = () => false;

  constructor(private readonly options: RouterOptions) {}

  /** Starts a server; one that was not running never hears what was sent to it before. */
  start(self: ServerId, hardState?: HardState): ZabPeer {
    const peer = this.create(self, hardState);
    this.collect(self);
    return peer;
  }

  /** Starts every voter and observer at once: each hears what the others said on starting. */
  startAll(): void {
    const all = [...this.options.voters, ...(this.options.observers ?? [])];
    for (const self of all) this.create(self);
    for (const self of all) this.collect(self);
  }

  /** A server, with the ensemble's starting state or epochs of its own. */
  private create(self: ServerId, hardState = this.options.hardState): ZabPeer {
    const { voters, observers = [], initLimit, syncLimit, lastZxid } = this.options;
    const peer = new ZabPeer({ self, membership: { voters, observers }, initLimit, syncLimit, historyLimit: 100 }, { hardState: { ...hardState }, lastZxid, history: [], historyBase: 0 });
    this.inFlight = this.inFlight.filter((message) => message.to !== self);
    this.peers.set(self, peer);
    this.syncsDone.set(self, []);
    return peer;
  }

  peer(id: ServerId): ZabPeer {
    const peer = this.peers.get(id);
    if (peer === undefined) throw new Error(`server ${id} was not started`);
    return peer;
  }

  /** Carries out a peer's Ready batches like the driver, until it has nothing more to do. */
  collect(id: ServerId): void {
    const peer = this.peer(id);
    for (;;) {
      const ready = peer.takeReady();
      this.syncsDone.get(id)!.push(...ready.syncsDone);
      for (const other of ready.disconnect) this.breakConnection(id, other);
      for (const { to, message } of ready.messages) this.inFlight.push({ from: id, to, message });
      const last = ready.entries.at(-1);
      if (last !== undefined) {
        peer.persisted(last.zxid);
        continue;
      }
      if (ready.disconnect.length === 0 && ready.messages.length === 0 && ready.committed.length === 0 && ready.hardState === null) return;
    }
  }

  /** Closing a quorum connection loses what is on it; the other end hears of it. */
  private breakConnection(closer: ServerId, other: ServerId): void {
    const between = (message: InFlight) =>
      message.message.type !== 'notification' && ((message.from === closer && message.to === other) || (message.from === other && message.to === closer));
    this.inFlight = this.inFlight.filter((message) => !between(message));
    const peer = this.peers.get(other);
    if (peer === undefined) return;
    peer.disconnected(closer);
    this.collect(other);
  }

  /**
   * Delivers, in order, the messages in flight now that match; what they cause stays in flight,
   * after those that did not match. Returns whether anything was delivered.
   */
  deliver(filter: Filter = () => true): boolean {
    const now = this.inFlight;
    this.inFlight = [];
    const kept: InFlight[] = [];
    let moved = false;
    for (const message of now) {
      if (!filter(message)) {
        kept.push(message);
        continue;
      }
      moved = true;
      const peer = this.peers.get(message.to);
      if (peer === undefined) continue;
      if (message.message.type === 'notification' && this.lose(message)) continue;
      this.received.push(message);
      peer.receive(message.from, message.message);
      this.collect(message.to);
    }
    this.inFlight = [...kept, ...this.inFlight];
    return moved;
  }

  /** Delivers what matches, and what that causes, until nothing matching is in flight. */
  settle(filter: Filter = () => true): void {
    for (let round = 0; round < MAX_ROUNDS; round++) if (!this.deliver(filter)) return;
    throw new Error(`the network did not settle in ${MAX_ROUNDS} rounds: ${this.describe()}`);
  }

  /** Loses what is in flight that matches (a partition). */
  drop(lost: Filter): void {
    this.inFlight = this.inFlight.filter((message) => !lost(message));
  }

  tick(id: ServerId): void {
    this.peer(id).tick();
    this.collect(id);
  }

  /** Every running server ticks, then the network settles; what `lost` matches never arrives. */
  tickAll(lost: Filter = () => false): void {
    for (const id of this.peers.keys()) this.tick(id);
    this.drop(lost);
    this.settle((message) => !lost(message));
    this.drop(lost);
  }

  /** Ticks until `done` holds; returns the number of ticks it took, or null if it never held. */
  runUntil(done: () => boolean, ticks: number): number | null {
    for (let elapsed = 1; elapsed <= ticks; elapsed++) {
      this.tickAll();
      if (done()) return elapsed;
    }
    return null;
  }

  allServingUnder(leader: ServerId): boolean {
    return [...this.peers.values()].every((peer) => peer.serving && peer.leader === leader);
  }

  describe(): string {
    return [...this.peers.values()].map((peer) => `${peer.self}: ${peer.role}${peer.serving ? ', serving' : ''} (leader ${peer.leader})`).join('; ');
  }
}

export const fromTo =
  (from: ServerId, to: ServerId): Filter =>
  (message) =>
    message.from === from && message.to === to;
