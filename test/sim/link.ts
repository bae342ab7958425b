// The peer link of a simulated server: the real ZAB driver's `PeerLink` over the simulated
// network. It keeps the real transport's promises: a SNAP syncStart travels with its snapshot,
// the snapshot is installed before the syncStart is delivered, and nothing behind it on that
// connection is delivered until then (dropped if the connection breaks meanwhile).

import type { Zxid } from '../../src/core/types.js';
import type { PeerLink, PeerLinkEvents } from '../../src/server/peer-link.js';
import type { PeerMessage, ServerId, SyncStart } from '../../src/zab/types.js';
import type { Delivery, SimNetwork } from './network.js';
import type { SimWorld } from './world.js';

/** What the simulation watches go by on a link (for the durability check). */
export interface LinkObserver {
  sent(to: ServerId, message: PeerMessage): void;
  /** Handed to the driver. */
  received(from: ServerId, message: PeerMessage): void;
  /** A snapshot from this peer starts installing (its syncStart is delivered once it is done). */
  installing(from: ServerId): void;
}

export class SimPeerLink implements PeerLink {
  /** A SNAP syncStart waits here for its snapshot, which the driver hands over right after. */
  private snapshotSyncStart = new Map<ServerId, SyncStart>();
  /** Deliveries from a peer held behind a snapshot being installed. */
  private readonly held = new Map<ServerId, Delivery[]>();
  /** Bumped whenever the connection with a peer breaks, so a late install delivers nothing. */
  private readonly connectionGeneration = new Map<ServerId, number>();
  private closed = false;

  constructor(
    private readonly self: ServerId,
    private readonly network: SimNetwork,
    private readonly world: SimWorld,
    private readonly events: PeerLinkEvents,
    private readonly observer: LinkObserver,
  ) {}

  async start(): Promise<void> {}

  send(to: ServerId, message: PeerMessage): void {
    if (this.closed) return;
    this.observer.sent(to, message);
    if (message.type === 'syncStart' && message.mode === 'snap') {
      this.snapshotSyncStart.set(to, message);
      return;
    }
    this.network.send(this.self, to, message);
  }

  sendSnapshot(to: ServerId, zxid: Zxid, chunks: Iterable<Uint8Array>): void {
    const syncStart = this.snapshotSyncStart.get(to);
    this.snapshotSyncStart.delete(to);
    if (this.closed || syncStart === undefined || syncStart.zxid !== zxid) return;
    this.network.send(this.self, to, syncStart, [...chunks]);
  }

  close(peer: ServerId): void;
  close(): Promise<void>;
  close(peer?: ServerId): void | Promise<void> {
    if (peer !== undefined) {
      this.network.close(this.self, peer);
      this.broken(peer);
      return;
    }
    this.closed = true;
    return Promise.resolve();
  }

  // ------------------------------------------------------------------------------------------
  // From the network

  deliver(delivery: Delivery): void {
    if (this.closed) return;
    const held = this.held.get(delivery.from);
    if (held !== undefined) {
      held.push(delivery);
      return;
    }
    const { from, message } = delivery;
    if (message.type === 'syncStart' && message.mode === 'snap') {
      this.install(from, message, delivery.attachment ?? []);
      return;
    }
    this.world.enter(() => {
      this.observer.received(from, message);
      this.events.onMessage(from, message);
    });
  }

  connectionLost(peer: ServerId): void {
    if (this.closed) return;
    this.broken(peer);
    this.world.enter(() => this.events.onDisconnected(peer));
  }

  private broken(peer: ServerId): void {
    this.connectionGeneration.set(peer, (this.connectionGeneration.get(peer) ?? 0) + 1);
    this.held.delete(peer);
  }

  private install(from: ServerId, syncStart: SyncStart, chunks: Uint8Array[]): void {
    const generation = this.connectionGeneration.get(from) ?? 0;
    this.held.set(from, []);
    this.observer.installing(from);
    this.world.enter(() => {
      this.events.onSnapshot(from, syncStart.zxid, chunks).then(
        () =>
          this.world.enter(() => {
            if (this.closed || (this.connectionGeneration.get(from) ?? 0) !== generation) return;
            const behind = this.held.get(from) ?? [];
            this.held.delete(from);
            this.observer.received(from, syncStart);
            this.events.onMessage(from, syncStart);
            for (const delivery of behind) this.deliver(delivery);
          }),
        // A failed install fails the connection, as the real transport does.
        () => this.world.enter(() => this.close(from)),
      );
    });
  }
}
