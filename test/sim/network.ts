// The simulated network between servers. Quorum messages travel on connections that behave like
// TCP: in order and without loss while the connection lives; a fault resets the connection and
// loses what was in flight (both ends may or may not hear of it at once). Election notifications
// travel on a lossy channel: dropped, duplicated and reordered.

import type { PeerMessage, ServerId } from '../../src/zab/types.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface NetworkFaults {
  delayMinMs: number;
  delayMaxMs: number;
  /** Election notifications. */
  dropProbability: number;
  duplicateProbability: number;
  /** Per quorum message: reset its connection instead of delivering. */
  resetProbability: number;
}

export interface Delivery {
  from: ServerId;
  to: ServerId;
  message: PeerMessage;
  /** For a snapshot sync: the sender's state, serialized when sent. */
  attachment?: Uint8Array[];
}

/** How often what is held for a paused server looks again (a pause may end early, or have no set end). */
const PAUSE_RECHECK_MS = 50;

export interface NetworkHost {
  isUp(id: ServerId): boolean;
  /** When a paused server will take this delivery (now if not paused). */
  availableAt(id: ServerId): number;
  deliver(delivery: Delivery): void;
  /** The connection between two servers broke; `id` hears of it. */
  connectionLost(id: ServerId, peer: ServerId): void;
  /** The network broke a connection by itself (a fault the cluster did not schedule). */
  faulted(what: string): void;
}

interface DirectionQueue {
  items: { delivery: Delivery; connection: number; time: number }[];
  scheduled: boolean;
}

export class SimNetwork {
  /** Each side's view of its connection to a peer: "self>peer" → connection id. */
  private readonly connectionOf = new Map<string, number>();
  private readonly dead = new Set<number>();
  private nextConnection = 1;
  private readonly queues = new Map<string, DirectionQueue>();
  /** Directed links that drop everything ("a>b"). */
  private readonly cut = new Set<string>();
  private readonly isolated = new Set<ServerId>();
  /** Connections whose other end crashed (the one that did not crash may still send on them). */
  private readonly ofCrashed = new Set<number>();
  stats = { sent: 0, delivered: 0, dropped: 0, resets: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly host: NetworkHost,
    public faults: NetworkFaults,
  ) {}

  isCut(from: ServerId, to: ServerId): boolean {
    return this.cut.has(`${from}>${to}`) || this.isolated.has(from) || this.isolated.has(to);
  }

  /**
   * Cuts every link of a server, silently (nobody hears of a broken connection), until
   * `rejoin`: healing partitions leaves it cut off.
   */
  isolate(id: ServerId, peers: readonly ServerId[]): void {
    this.isolated.add(id);
    for (const peer of peers) if (peer !== id) this.reset(id, peer, false);
  }

  rejoin(id: ServerId): void {
    this.isolated.delete(id);
  }

  /** Cuts a directed link; a cut in either direction breaks the connection between the two. */
  cutLink(from: ServerId, to: ServerId, notify: boolean): void {
    this.cut.add(`${from}>${to}`);
    this.reset(from, to, notify);
  }

  healAll(): void {
    this.cut.clear();
  }


  /**
   * Breaks the connection between a and b: whatever is in flight is lost, and nothing more goes
   * through it. Each end hears of it after a short delay when `notify`, else only by its timeouts.
   */
  reset(a: ServerId, b: ServerId, notify: boolean): void {
    this.stats.resets++;
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      const connection = this.connectionOf.get(`${self}>${peer}`);
      if (connection === undefined) continue;
      this.dead.add(connection);
      if (notify) this.scheduler.after(this.prng.int(1, 5), () => this.notifyLost(self, peer, connection));
    }
  }

  /** An end closes its connection on purpose (ZAB's `disconnect`): the other end notices. */
  close(self: ServerId, peer: ServerId): void {
    const connection = this.connectionOf.get(`${self}>${peer}`);
    this.connectionOf.delete(`${self}>${peer}`);
    if (connection === undefined) return;
    this.dead.add(connection);
    // A closing end's FIN does not cross a cut link: the other end notices only by its timeouts.
    if (this.isCut(self, peer)) return;
    this.scheduler.after(this.prng.int(1, 5), () => this.notifyLost(peer, self, connection));
  }

  private notifyLost(self: ServerId, peer: ServerId, connection: number): void {
    if (this.connectionOf.get(`${self}>${peer}`) !== connection) return; // already replaced
    this.connectionOf.delete(`${self}>${peer}`);
    if (this.host.isUp(self)) this.host.connectionLost(self, peer);
  }

  /** A crashed server's connections all die with it (its peers notice, or time out). */
  crashed(id: ServerId, peers: readonly ServerId[]): void {
    for (const peer of peers) {
      if (peer === id) continue;
      const connection = this.connectionOf.get(`${peer}>${id}`);
      if (connection !== undefined) this.ofCrashed.add(connection);
      this.reset(id, peer, this.prng.chance(0.6));
      this.connectionOf.delete(`${id}>${peer}`);
    }
  }

  send(from: ServerId, to: ServerId, message: PeerMessage, attachment?: Uint8Array[]): void {
    this.stats.sent++;
    const delayMs = this.prng.int(this.faults.delayMinMs, this.faults.delayMaxMs);
    if (message.type === 'notification') {
      this.sendLossy(from, to, message, delayMs);
      return;
    }
    let connection = this.connectionOf.get(`${from}>${to}`);
    if (connection === undefined) {
      // As with the real transport, only a learner's FOLLOWERINFO opens a quorum connection: a
      // leader that lost its connection to a learner cannot reach it (letting it open one carried a
      // paused leader's stale proposals into the learner's next connection, a gap in its log).
      if (message.type !== 'followerInfo') {
        this.stats.dropped++;
        return;
      }
      connection = this.nextConnection++;
      this.connectionOf.set(`${from}>${to}`, connection);
    }
    if (this.dead.has(connection)) {
      this.stats.dropped++;
      // The peer crashed and runs again: its kernel answers a segment of a connection it no
      // longer has with a reset, and the sender hears of it (unless the link is cut).
      if (this.ofCrashed.has(connection) && this.host.isUp(to) && !this.isCut(from, to) && !this.isCut(to, from)) {
        this.ofCrashed.delete(connection);
        this.scheduler.after(delayMs, () => this.notifyLost(from, to, connection));
      }
      return;
    }
    if (this.isCut(from, to) || this.isCut(to, from) || !this.host.isUp(to)) {
      this.stats.dropped++;
      this.reset(from, to, this.prng.chance(0.5));
      return;
    }
    if (this.prng.chance(this.faults.resetProbability)) {
      this.stats.dropped++;
      const notify = this.prng.chance(0.7);
      this.reset(from, to, notify);
      this.host.faulted(`connection ${from}-${to} reset by the network${notify ? '' : ', silently'}`);
      return;
    }
    const direction = `${connection}:${from}>${to}`;
    let queue = this.queues.get(direction);
    if (queue === undefined) this.queues.set(direction, (queue = { items: [], scheduled: false }));
    const delivery: Delivery = attachment === undefined ? { from, to, message } : { from, to, message, attachment };
    queue.items.push({ delivery, connection, time: this.scheduler.now + delayMs });
    if (!queue.scheduled) this.scheduleHead(direction, queue);
  }

  /** One connection direction delivers in order: only its head is ever scheduled. */
  private scheduleHead(direction: string, queue: DirectionQueue): void {
    const head = queue.items[0];
    if (head === undefined) {
      queue.scheduled = false;
      this.queues.delete(direction);
      return;
    }
    queue.scheduled = true;
    this.scheduler.at(Math.max(head.time, this.scheduler.now), () => this.arrive(direction, queue));
  }

  private arrive(direction: string, queue: DirectionQueue): void {
    const { delivery, connection } = queue.items[0]!;
    const { from, to } = delivery;
    if (this.dead.has(connection) || !this.host.isUp(to)) {
      this.stats.dropped++;
      queue.items.shift();
      this.scheduleHead(direction, queue);
      return;
    }
    const availableAt = this.host.availableAt(to);
    if (availableAt > this.scheduler.now) {
      // Held while the receiver is paused; everything behind it waits too.
      this.scheduler.at(Math.min(availableAt, this.scheduler.now + PAUSE_RECHECK_MS), () => this.arrive(direction, queue));
      return;
    }
    queue.items.shift();
    const current = this.connectionOf.get(`${to}>${from}`);
    if (current !== connection) {
      // A new connection from the peer replaces whatever we had with it (as an accepted socket).
      if (current !== undefined) this.dead.add(current);
      this.connectionOf.set(`${to}>${from}`, connection);
    }
    this.stats.delivered++;
    this.host.deliver(delivery);
    this.scheduleHead(direction, queue);
  }

  private sendLossy(from: ServerId, to: ServerId, message: PeerMessage, delayMs: number): void {
    if (this.isCut(from, to) || this.prng.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.prng.chance(this.faults.duplicateProbability) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      this.scheduler.after(delayMs + copy * this.prng.int(0, this.faults.delayMaxMs), () => {
        if (!this.host.isUp(to) || this.isCut(from, to)) return;
        const availableAt = this.host.availableAt(to);
        const deliver = () => {
          if (!this.host.isUp(to)) return;
          this.stats.delivered++;
          this.host.deliver({ from, to, message });
        };
        const attempt = (): void => {
          const at = this.host.availableAt(to);
          if (at > this.scheduler.now) this.scheduler.at(Math.min(at, this.scheduler.now + PAUSE_RECHECK_MS), attempt);
          else deliver();
        };
        if (availableAt > this.scheduler.now) attempt();
        else deliver();
      });
    }
  }
}
