// What the ZAB driver needs from the network between servers. `PeerTransport` is the real one
// (TCP, FIFO quorum connections, lossy election connections); the simulator passes its own,
// over a network that drops, delays, duplicates, reorders and partitions.

import type { Zxid } from '../core/types.js';
import type { PeerMessage, ServerId } from '../zab/types.js';

export interface PeerLink {
  start(): Promise<void>;
  /** Notifications go on the lossy election channel, everything else on the FIFO quorum one. */
  send(to: ServerId, message: PeerMessage): void;
  /** Streams a snapshot right behind the SNAP `syncStart` with this zxid just sent to `to`. */
  sendSnapshot(to: ServerId, zxid: Zxid, chunks: Iterable<Uint8Array>): void;
  /** Closes the quorum connection with `peer` on purpose (nothing is reported). */
  close(peer: ServerId): void;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** What a link reports to the driver. */
export interface PeerLinkEvents {
  /** A peer message arrived (notifications from election connections, the rest in FIFO order). */
  onMessage(from: ServerId, message: PeerMessage): void;
  /** The current quorum connection with `peer` failed or its other end closed it. */
  onDisconnected(peer: ServerId): void;
  /** Install a streamed snapshot; the SNAP `syncStart` is delivered once the promise resolves. */
  onSnapshot(from: ServerId, zxid: Zxid, chunks: Uint8Array[]): Promise<void>;
}
