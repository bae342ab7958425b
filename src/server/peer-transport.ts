// The network between servers for ZAB, one instance per server: TCP connections carrying the
// frames of zab/codec.ts, each preceded by its u32 big-endian length.
//
// Two kinds of connection, each on its own listening port:
//   - Election (lossy): `sendNotification` opens a connection to the peer's election port on first
//     use and sends `hello` first; after a failure the next notification opens a new one. A
//     notification that cannot be sent (no address, queue full) is dropped: fast leader election
//     repeats itself. The side that accepted it delivers the notifications, identifying the
//     sender by its `hello`. Nothing is reported when an election connection ends.
//   - Quorum (FIFO and reliable while alive, like TCP): a learner's `followerInfo` opens a
//     connection to its leader's quorum port if there is none; other messages go only over an
//     existing connection and are dropped without one (so the leader never initiates). There is
//     one current connection per peer: a new incoming one (identified by its `hello`) replaces
//     the previous one, which is closed silently. `close(peer)` closes one on purpose, also
//     silently. When the current connection fails or the other end closes it, `onDisconnected`
//     is reported once, from the socket's event (never from inside a call into the transport).
//
// Snapshots (SNAP synchronisation): once a SNAP `syncStart` is queued on a connection, later
// messages on it are held back until `sendSnapshot` queues the snapshot's chunks and a
// `snapshotEnd` right behind the `syncStart`. The receiving side collects the chunks, stops reading
// from the connection, and hands them to `onSnapshot`; once its promise resolves the `syncStart`
// is delivered, then whatever followed it, in order. A failed install fails the connection.
//
// Bounds: a frame's length over `maxFrameBytes` fails the connection (a proposal or inform too
// large for one frame is sent as several, a snapshot chunk as several pieces); a quorum
// connection whose unsent messages would exceed `maxQueuedBytes` fails rather than grow; only one
// socket write buffer's worth is handed to the socket before it drains; an incoming snapshot over
// `maxSnapshotBytes` fails its connection; connections that do not say `hello` in time are closed.

import net, { type Server, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { KeeperError, assert, isKeeperError } from '../core/errors.js';
import type { Zxid } from '../core/types.js';
import {
  EMPTY_ENTRY_LIST_FRAME_BYTES,
  FRAME_LENGTH_BYTES,
  PEER_PROTOCOL_VERSION,
  decodeFrame,
  encodeLengthPrefixedFrame,
  encodedEntrySize,
  encodedFrameSize,
  type ConnectionPurpose,
  type Hello,
  type SnapshotChunk,
  type SnapshotEnd,
  type WireFrame,
} from '../zab/codec.js';
import type { PeerLink, PeerLinkEvents } from './peer-link.js';
import type { TlsContext } from './tls.js';
import type { Entry, Notification, PeerMessage, QuorumMessage, ServerId, SyncStart } from '../zab/types.js';

export interface PeerAddress {
  host: string;
  /** Port of learner ↔ leader connections; 0 (for this server) = any free port. */
  quorumPort: number;
  /** Port of election notifications; 0 (for this server) = any free port. */
  electionPort: number;
}

export interface PeerTransportLimits {
  /** Largest frame body accepted or sent; a longer length prefix fails the connection. */
  maxFrameBytes: number;
  /** Unsent messages a quorum connection may hold (snapshot chunks aside) before it fails. */
  maxQueuedBytes: number;
  /** Unsent notifications an election connection may hold before new ones are dropped. */
  maxElectionQueuedBytes: number;
  /** Largest snapshot sent or accepted. */
  maxSnapshotBytes: number;
  /** How long an outgoing connection may take to be established. */
  connectTimeoutMs: number;
  /** How long an incoming connection may take to say `hello`. */
  helloTimeoutMs: number;
  /** Incoming connections that have not said `hello` yet, beyond which new ones are refused. */
  maxUnidentifiedConnections: number;
}

export const DEFAULT_PEER_TRANSPORT_LIMITS: Readonly<PeerTransportLimits> = {
  maxFrameBytes: 64 * 1024 * 1024,
  maxQueuedBytes: 256 * 1024 * 1024,
  maxElectionQueuedBytes: 1024 * 1024,
  maxSnapshotBytes: 4 * 1024 * 1024 * 1024,
  connectTimeoutMs: 5_000,
  helloTimeoutMs: 5_000,
  maxUnidentifiedConnections: 64,
};

export interface PeerTransportOptions extends PeerLinkEvents {
  self: ServerId;
  /** Every server's address; this server's own entry gives the host and ports to listen on. */
  peers: ReadonlyMap<ServerId, PeerAddress>;
  logger: Logger;
  limits?: Partial<PeerTransportLimits>;
  /**
   * TLS between servers (sslQuorum): both connections, both ways, with a certificate the trust store
   * vouches for on each side; plaintext and foreign certificates are refused and logged.
   */
  tls?: { context: TlsContext; hostnameVerification: boolean };
}

/** Bytes a snapshot piece's frame adds to the piece: version, tag, continued flag, length. */
const SNAPSHOT_PIECE_OVERHEAD_BYTES = encodedFrameSize({ type: 'snapshotChunk', bytes: new Uint8Array(0), continued: false });

/** A flush joins queued frames into buffers of about this size (large snapshot pieces go alone). */
const COALESCE_BYTES = 256 * 1024;

export class PeerTransport implements PeerLink {
  private readonly self: ServerId;
  private readonly peers: Map<ServerId, PeerAddress>;
  private readonly limits: PeerTransportLimits;
  private readonly logger: Logger;
  private readonly tls: PeerTransportOptions['tls'];
  private readonly detachTls: (() => void)[] = [];
  /** The last certificate refusal logged for each peer, until a handshake with it succeeds. */
  private readonly certificateRefusals = new Map<ServerId, string>();
  private quorumServer: Server | null = null;
  private electionServer: Server | null = null;
  /** The current quorum connection with each peer, whichever side opened it. */
  private readonly quorum = new Map<ServerId, Connection>();
  private readonly electionOut = new Map<ServerId, Connection>();
  private readonly electionIn = new Map<ServerId, Connection>();
  private readonly unidentified = new Set<Connection>();
  private nextConnectionId = 1;
  private closed = false;

  constructor(private readonly options: PeerTransportOptions) {
    this.self = options.self;
    this.peers = new Map(options.peers);
    this.limits = { ...DEFAULT_PEER_TRANSPORT_LIMITS, ...options.limits };
    assert(this.limits.maxFrameBytes > SNAPSHOT_PIECE_OVERHEAD_BYTES + EMPTY_ENTRY_LIST_FRAME_BYTES, 'a frame holds a snapshot piece');
    assert(this.peers.has(this.self), `the peer map has this server's own address (${this.self})`);
    this.logger = options.logger.child({ component: 'peer-transport', self: this.self });
    this.tls = options.tls;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /** Listens on this server's quorum and election ports. */
  async start(): Promise<void> {
    assert(this.quorumServer === null && !this.closed, 'a transport starts once');
    const address = this.peers.get(this.self)!;
    this.quorumServer = this.createServer('quorum');
    this.electionServer = this.createServer('election');
    await listen(this.quorumServer, address.host, address.quorumPort);
    await listen(this.electionServer, address.host, address.electionPort);
    this.logger.info({ host: address.host, quorumPort: this.quorumPort, electionPort: this.electionPort }, 'peer transport listening');
  }

  get quorumPort(): number {
    return boundPort(this.quorumServer);
  }

  get electionPort(): number {
    return boundPort(this.electionServer);
  }

  /** Sets (or changes) where a peer listens; an election connection to its old address is dropped. */
  setPeerAddress(peer: ServerId, address: PeerAddress): void {
    this.peers.set(peer, { ...address });
    const election = this.electionOut.get(peer);
    if (election !== undefined) this.endOnPurpose(election, 'peer address changed');
  }

  /** Closes the current quorum connection with `peer` on purpose (nothing is reported). */
  close(peer: ServerId): void;
  /** Closes every connection and both listening ports. */
  close(): Promise<void>;
  close(peer?: ServerId): void | Promise<void> {
    if (peer !== undefined) {
      const connection = this.quorum.get(peer);
      if (connection !== undefined) this.endOnPurpose(connection, 'closed on purpose');
      return;
    }
    return this.closeAll();
  }

  private async closeAll(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connections = [...this.quorum.values(), ...this.electionOut.values(), ...this.electionIn.values(), ...this.unidentified];
    for (const connection of connections) this.endOnPurpose(connection, 'transport closed');
    await Promise.all([closeServer(this.quorumServer), closeServer(this.electionServer)]);
    for (const detach of this.detachTls.splice(0)) detach();
    this.logger.debug('peer transport closed');
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  /** Sends a peer message: notifications on the election channel, the rest on the quorum connection. */
  send(to: ServerId, message: PeerMessage): void {
    if (message.type === 'notification') {
      this.sendNotification(to, message);
      return;
    }
    assert(to !== this.self, 'a server never messages itself');
    if (this.closed) return;
    // Only a learner's FOLLOWERINFO starts a connection; the leader never initiates.
    const connection = this.usableConnection(this.quorum, to, message.type === 'followerInfo' ? 'quorum' : null);
    if (connection === null) {
      this.logger.debug({ peer: to, type: message.type }, 'no quorum connection: message dropped');
      return;
    }
    this.queueMessage(connection, message);
  }

  /** Sends an election notification; dropped when it cannot be sent. */
  sendNotification(to: ServerId, notification: Notification): void {
    assert(to !== this.self, 'a server never messages itself');
    if (this.closed) return;
    const connection = this.usableConnection(this.electionOut, to, 'election');
    if (connection === null) return;
    const frame = encodeLengthPrefixedFrame(notification);
    if (connection.queuedBytes + frame.length > this.limits.maxElectionQueuedBytes) {
      this.logger.debug({ peer: to }, 'election connection backed up: notification dropped');
      return;
    }
    connection.enqueue(frame, 'message');
  }

  /**
   * Streams a snapshot right behind the SNAP `syncStart` with this zxid already queued for `to`.
   * The chunks are taken now (so the snapshot is exactly the state at this call) and written as
   * the connection drains.
   */
  sendSnapshot(to: ServerId, zxid: Zxid, chunks: Iterable<Uint8Array>): void {
    if (this.closed) return;
    const connection = this.quorum.get(to);
    if (connection === undefined || connection.failing) {
      this.logger.debug({ peer: to, zxid }, 'no quorum connection: snapshot not sent');
      return;
    }
    if (connection.awaitingSnapshotZxid !== zxid) {
      this.logger.warn({ peer: to, zxid, awaiting: connection.awaitingSnapshotZxid }, 'no SNAP sync at this zxid is waiting on the connection: snapshot not sent');
      return;
    }
    let queued: { chunkCount: number; totalBytes: number } | null;
    try {
      queued = this.queueSnapshotChunks(connection, chunks);
    } catch (error) {
      // A half-streamed snapshot cannot be taken back: the learner must start over.
      connection.fail('snapshot serialization failed');
      throw error;
    }
    if (queued === null) {
      this.logger.error({ peer: to, zxid, limit: this.limits.maxSnapshotBytes }, 'snapshot larger than the limit: connection failed');
      connection.fail('snapshot too large');
      return;
    }
    const end: SnapshotEnd = { type: 'snapshotEnd', zxid, chunkCount: queued.chunkCount };
    connection.enqueue(encodeLengthPrefixedFrame(end), 'snapshot');
    this.logger.debug({ peer: to, zxid, ...queued }, 'snapshot queued');
    connection.releaseHeld();
  }

  /** Queues every chunk; null when they add up to more than the limit. */
  private queueSnapshotChunks(connection: Connection, chunks: Iterable<Uint8Array>): { chunkCount: number; totalBytes: number } | null {
    let chunkCount = 0;
    let totalBytes = 0;
    for (const chunk of chunks) {
      totalBytes += chunk.length;
      if (totalBytes > this.limits.maxSnapshotBytes) return null;
      this.queueSnapshotChunk(connection, chunk);
      chunkCount++;
    }
    return { chunkCount, totalBytes };
  }

  /** The peers with a live quorum connection. */
  quorumPeers(): ServerId[] {
    return [...this.quorum].filter(([, connection]) => !connection.failing).map(([peer]) => peer);
  }

  /** Bytes waiting to go to `peer` on its quorum connection (0 without one): for back-pressure. */
  queuedBytes(peer: ServerId): number {
    return this.quorum.get(peer)?.queuedBytes ?? 0;
  }

  private queueMessage(connection: Connection, message: QuorumMessage): void {
    const frames = this.framesOf(message);
    for (const frame of frames) {
      if (!connection.canQueueMessage(frame.length, this.limits.maxQueuedBytes)) {
        this.logger.warn({ peer: connection.peer, queued: connection.queuedBytes, limit: this.limits.maxQueuedBytes }, 'quorum connection backed up: connection failed');
        connection.fail('outbound queue full');
        return;
      }
      connection.queueMessageFrame(frame, message.type === 'syncStart' && message.mode === 'snap' ? message.zxid : null);
    }
  }

  /** The length-prefixed frames of a message: a proposal or inform too large for one frame is split. */
  private framesOf(message: QuorumMessage): Uint8Array[] {
    if ((message.type !== 'proposal' && message.type !== 'inform') || encodedFrameSize(message) <= this.limits.maxFrameBytes) {
      return [encodeLengthPrefixedFrame(message)];
    }
    const frames: Uint8Array[] = [];
    let batch: Entry[] = [];
    let batchBytes = EMPTY_ENTRY_LIST_FRAME_BYTES;
    for (const entry of message.entries) {
      const entryBytes = encodedEntrySize(entry);
      if (EMPTY_ENTRY_LIST_FRAME_BYTES + entryBytes > this.limits.maxFrameBytes) assert(false, `entry ${entry.zxid} (${entryBytes} bytes) fits in a frame`);
      if (batchBytes + entryBytes > this.limits.maxFrameBytes) {
        frames.push(encodeLengthPrefixedFrame({ type: message.type, entries: batch }));
        batch = [];
        batchBytes = EMPTY_ENTRY_LIST_FRAME_BYTES;
      }
      batch.push(entry);
      batchBytes += entryBytes;
    }
    if (batch.length > 0) frames.push(encodeLengthPrefixedFrame({ type: message.type, entries: batch }));
    return frames;
  }

  private queueSnapshotChunk(connection: Connection, chunk: Uint8Array): void {
    const pieceBytes = this.limits.maxFrameBytes - SNAPSHOT_PIECE_OVERHEAD_BYTES;
    let offset = 0;
    do {
      const end = Math.min(chunk.length, offset + pieceBytes);
      const piece: SnapshotChunk = { type: 'snapshotChunk', bytes: chunk.subarray(offset, end), continued: end < chunk.length };
      connection.enqueue(encodeLengthPrefixedFrame(piece), 'snapshot');
      offset = end;
    } while (offset < chunk.length);
  }

  // -------------------------------------------------------------------------------------------
  // Connections

  private createServer(purpose: ConnectionPurpose): Server {
    if (this.tls === undefined) {
      const server = net.createServer((socket) => this.accept(socket, purpose));
      server.on('error', (error) => this.logger.error({ err: error, purpose }, 'peer listener failed'));
      return server;
    }
    const context = this.tls.context;
    // OpenSSL refuses a peer without a certificate the trust store vouches for before we hear of it.
    const server = tls.createServer({ ...context.serverOptions(), requestCert: true, rejectUnauthorized: true }, (socket) => this.accept(socket, purpose));
    server.on('tlsClientError', (error, socket) => {
      this.logger.warn({ purpose, remote: socket.remoteAddress, reason: error.message }, 'refusing a peer connection: no certificate from the trusted CA');
      socket.destroy();
    });
    server.on('error', (error) => this.logger.error({ err: error, purpose }, 'peer listener failed'));
    this.detachTls.push(context.attach(server));
    return server;
  }

  /** A connection to a peer: plain TCP, or TLS that checks the peer's certificate (and its host name, unless told not to). */
  private dial(peer: ServerId, host: string, port: number): Socket {
    if (this.tls === undefined) return net.connect({ host, port });
    const socket = tls.connect({
      host,
      port,
      ...this.tls.context.secureContextOptions(),
      rejectUnauthorized: true,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(this.tls.hostnameVerification ? {} : { checkServerIdentity: () => undefined }),
    });
    socket.once('secureConnect', () => this.certificateRefusals.delete(peer));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A peer whose certificate we refuse: said once per peer and reason (elections retry every tick).
      if (socket.authorized || error.code === undefined || !/CERT|TLS|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(error.code)) return;
      if (this.certificateRefusals.get(peer) === error.code) return;
      this.certificateRefusals.set(peer, error.code);
      this.logger.warn({ peer, host, port, reason: error.message }, "refusing a peer: its certificate does not verify");
    });
    return socket;
  }

  /** The live connection with `peer` in `map`, else a new one when `openPurpose` says so, else null. */
  private usableConnection(map: Map<ServerId, Connection>, peer: ServerId, openPurpose: ConnectionPurpose | null): Connection | null {
    const current = map.get(peer);
    if (current !== undefined && !current.failing) return current;
    return openPurpose === null ? null : this.connect(peer, openPurpose);
  }

  private connect(peer: ServerId, purpose: ConnectionPurpose): Connection | null {
    const address = this.peers.get(peer);
    const port = purpose === 'quorum' ? address?.quorumPort : address?.electionPort;
    if (address === undefined || port === undefined || port === 0) {
      this.logger.warn({ peer, purpose }, 'no address for peer: nothing sent');
      return null;
    }
    const previous = (purpose === 'quorum' ? this.quorum : this.electionOut).get(peer);
    if (previous !== undefined) this.endOnPurpose(previous, 'replaced by a new outgoing connection');
    const socket = this.dial(peer, address.host, port);
    const connection = this.wrap(socket, purpose, 'outbound', peer);
    (purpose === 'quorum' ? this.quorum : this.electionOut).set(peer, connection);
    const timer = setTimeout(() => connection.fail('connect timed out'), this.limits.connectTimeoutMs);
    timer.unref();
    socket.once('connect', () => {
      clearTimeout(timer);
      this.logger.debug({ peer, purpose, connection: connection.id }, 'connected to peer');
    });
    socket.once('close', () => clearTimeout(timer));
    const hello: Hello = { type: 'hello', serverId: this.self, purpose, protocolVersion: PEER_PROTOCOL_VERSION };
    connection.enqueue(encodeLengthPrefixedFrame(hello), 'message');
    return connection;
  }

  private accept(socket: Socket, purpose: ConnectionPurpose): void {
    if (this.closed || this.unidentified.size >= this.limits.maxUnidentifiedConnections) {
      this.logger.warn({ purpose, remote: socket.remoteAddress }, 'incoming peer connection refused');
      socket.destroy();
      return;
    }
    const connection = this.wrap(socket, purpose, 'inbound', null);
    this.unidentified.add(connection);
    const timer = setTimeout(() => connection.fail('no hello in time'), this.limits.helloTimeoutMs);
    timer.unref();
    connection.onIdentified = () => clearTimeout(timer);
    socket.once('close', () => clearTimeout(timer));
    this.logger.debug({ purpose, remote: `${socket.remoteAddress}:${socket.remotePort}`, connection: connection.id }, 'peer connection accepted');
  }

  private wrap(socket: Socket, purpose: ConnectionPurpose, direction: Direction, peer: ServerId | null): Connection {
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    return new Connection(this.nextConnectionId++, socket, purpose, direction, peer, this.limits.maxFrameBytes, {
      frame: (connection, frame) => this.onFrame(connection, frame),
      garbage: (connection, error) => this.onGarbage(connection, error),
      closed: (connection, error) => this.onClosed(connection, error),
    });
  }

  private onClosed(connection: Connection, error: Error | undefined): void {
    this.unidentified.delete(connection);
    if (connection.endedOnPurpose) return;
    const peer = connection.peer;
    this.logger.debug({ peer, purpose: connection.purpose, connection: connection.id, reason: connection.failure ?? error?.message ?? 'closed by the other end' }, 'peer connection ended');
    if (peer === null) return;
    const map = this.mapOf(connection);
    if (map.get(peer) !== connection) return;
    map.delete(peer);
    if (connection.purpose === 'quorum' && !this.closed) this.options.onDisconnected(peer);
  }

  /** Ends a connection without reporting it: replaced, closed on purpose, or the transport closing. */
  private endOnPurpose(connection: Connection, reason: string): void {
    if (connection.ended) return;
    this.logger.debug({ peer: connection.peer, purpose: connection.purpose, connection: connection.id, reason }, 'peer connection closed');
    connection.endOnPurpose();
    this.unidentified.delete(connection);
    const peer = connection.peer;
    if (peer === null) return;
    const map = this.mapOf(connection);
    if (map.get(peer) === connection) map.delete(peer);
  }

  private mapOf(connection: Connection): Map<ServerId, Connection> {
    if (connection.purpose === 'quorum') return this.quorum;
    return connection.direction === 'outbound' ? this.electionOut : this.electionIn;
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private onGarbage(connection: Connection, error: KeeperError): void {
    this.logger.warn({ peer: connection.peer, purpose: connection.purpose, connection: connection.id, err: error }, 'malformed frame from peer: connection closed');
    connection.fail(`malformed frame: ${error.message}`);
  }

  private violation(connection: Connection, detail: string): void {
    this.logger.warn({ peer: connection.peer, purpose: connection.purpose, connection: connection.id, detail }, 'peer broke the transport protocol: connection closed');
    connection.fail(detail);
  }

  private onFrame(connection: Connection, frame: WireFrame): void {
    if (connection.peer === null) {
      if (frame.type !== 'hello') this.violation(connection, `${frame.type} before hello`);
      else this.identify(connection, frame);
      return;
    }
    if (frame.type === 'hello') {
      this.violation(connection, 'a second hello');
      return;
    }
    if (connection.purpose === 'election') {
      if (connection.direction === 'outbound') this.violation(connection, `${frame.type} on an outgoing election connection`);
      else if (frame.type !== 'notification') this.violation(connection, `${frame.type} on an election connection`);
      else this.options.onMessage(connection.peer, frame);
      return;
    }
    this.onQuorumFrame(connection, connection.peer, frame);
  }

  private identify(connection: Connection, hello: Hello): void {
    const problem = this.helloProblem(connection, hello);
    if (problem !== null) {
      this.violation(connection, problem);
      return;
    }
    this.unidentified.delete(connection);
    connection.peer = hello.serverId;
    connection.onIdentified?.();
    const map = this.mapOf(connection);
    const previous = map.get(hello.serverId);
    if (previous !== undefined) this.endOnPurpose(previous, 'replaced by a new incoming connection');
    map.set(hello.serverId, connection);
    this.logger.debug({ peer: hello.serverId, purpose: connection.purpose, connection: connection.id }, 'peer identified');
  }

  private helloProblem(connection: Connection, hello: Hello): string | null {
    if (hello.protocolVersion !== PEER_PROTOCOL_VERSION) return `protocol version ${hello.protocolVersion}, not ${PEER_PROTOCOL_VERSION}`;
    if (hello.purpose !== connection.purpose) return `a ${hello.purpose} hello on the ${connection.purpose} port`;
    if (hello.serverId === this.self) return 'a hello from this server itself';
    if (!this.peers.has(hello.serverId)) return `a hello from unknown server ${hello.serverId}`;
    return null;
  }

  private onQuorumFrame(connection: Connection, peer: ServerId, frame: WireFrame): void {
    if (connection.incomingSnapshot !== null) {
      if (frame.type === 'snapshotChunk') this.onSnapshotChunk(connection, frame);
      else if (frame.type === 'snapshotEnd') this.onSnapshotEnd(connection, peer, frame);
      else this.violation(connection, `${frame.type} inside a snapshot stream`);
      return;
    }
    if (frame.type === 'snapshotChunk' || frame.type === 'snapshotEnd' || frame.type === 'notification' || frame.type === 'hello') {
      this.violation(connection, `${frame.type} on a quorum connection outside a snapshot stream`);
      return;
    }
    if (frame.type === 'syncStart' && frame.mode === 'snap') {
      connection.incomingSnapshot = { syncStart: frame, chunks: [], pieces: [], bytes: 0 };
      return;
    }
    this.options.onMessage(peer, frame);
  }

  private onSnapshotChunk(connection: Connection, piece: SnapshotChunk): void {
    const incoming = connection.incomingSnapshot!;
    incoming.bytes += piece.bytes.length;
    if (incoming.bytes > this.limits.maxSnapshotBytes) {
      this.violation(connection, `a snapshot over ${this.limits.maxSnapshotBytes} bytes`);
      return;
    }
    incoming.pieces.push(piece.bytes);
    if (piece.continued) return;
    incoming.chunks.push(incoming.pieces.length === 1 ? incoming.pieces[0]! : Buffer.concat(incoming.pieces));
    incoming.pieces = [];
  }

  private onSnapshotEnd(connection: Connection, peer: ServerId, end: SnapshotEnd): void {
    const incoming = connection.incomingSnapshot!;
    connection.incomingSnapshot = null;
    if (end.zxid !== incoming.syncStart.zxid || end.chunkCount !== incoming.chunks.length || incoming.pieces.length > 0) {
      this.violation(connection, `snapshot end (zxid ${end.zxid}, ${end.chunkCount} chunks) does not match the stream (zxid ${incoming.syncStart.zxid}, ${incoming.chunks.length} chunks)`);
      return;
    }
    this.logger.debug({ peer, zxid: end.zxid, chunkCount: end.chunkCount, bytes: incoming.bytes }, 'snapshot received: installing');
    // Nothing behind the snapshot is read until it is installed.
    connection.pauseReading();
    let installed: Promise<void>;
    try {
      installed = Promise.resolve(this.options.onSnapshot(peer, end.zxid, incoming.chunks));
    } catch (error) {
      installed = Promise.reject(error);
    }
    installed.then(
      () => this.afterInstall(connection, peer, incoming.syncStart),
      (error: unknown) => {
        this.logger.error({ peer, zxid: end.zxid, err: error }, 'snapshot install failed: connection closed');
        connection.fail('snapshot install failed');
      },
    );
  }

  private afterInstall(connection: Connection, peer: ServerId, syncStart: SyncStart): void {
    // A connection that ended meanwhile was already reported (or replaced): drop what it carried.
    if (connection.ended || connection.failing || this.closed) return;
    this.options.onMessage(peer, syncStart);
    connection.resumeReading();
  }
}

// ---------------------------------------------------------------------------------------------

type Direction = 'inbound' | 'outbound';

interface ConnectionEvents {
  frame(connection: Connection, frame: WireFrame): void;
  garbage(connection: Connection, error: KeeperError): void;
  closed(connection: Connection, error: Error | undefined): void;
}

interface IncomingSnapshot {
  syncStart: SyncStart;
  chunks: Uint8Array[];
  /** Pieces of a chunk still being received. */
  pieces: Uint8Array[];
  bytes: number;
}

interface HeldFrame {
  bytes: Uint8Array;
  /** The zxid of a SNAP syncStart: frames behind it are held again until its snapshot is queued. */
  snapshotZxid: Zxid | null;
}

/** One socket: framing both ways, the outbound queue with back-pressure, paused reading. */
class Connection {
  /** Set once the other side said hello (inbound) or from the start (outbound). */
  peer: ServerId | null;
  onIdentified: (() => void) | null = null;
  /** The socket is gone or going; nothing more is sent or delivered. */
  ended = false;
  /** Ended by this side without a report: replaced, closed on purpose, transport closing. */
  endedOnPurpose = false;
  /** Why this side failed it; the report comes with the socket's close. */
  failure: string | null = null;
  incomingSnapshot: IncomingSnapshot | null = null;
  /** A SNAP syncStart with this zxid is queued and its snapshot is not yet. */
  awaitingSnapshotZxid: Zxid | null = null;

  private readonly queue = new FrameQueue();
  private readonly held: HeldFrame[] = [];
  private heldBytes = 0;
  private flushScheduled = false;
  private waitingForDrain = false;
  private readonly reader: FrameReader;
  private readingPaused = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    readonly purpose: ConnectionPurpose,
    readonly direction: Direction,
    peer: ServerId | null,
    maxFrameBytes: number,
    private readonly events: ConnectionEvents,
  ) {
    this.peer = peer;
    this.reader = new FrameReader(maxFrameBytes);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
    let socketError: Error | undefined;
    socket.on('error', (error) => {
      socketError = error;
    });
    socket.once('close', () => {
      this.ended = true;
      this.events.closed(this, socketError);
    });
  }

  get failing(): boolean {
    return this.failure !== null || this.ended;
  }

  /** Bytes not yet written to the socket, plus what the socket still buffers. */
  get queuedBytes(): number {
    return this.queue.messageBytes + this.queue.snapshotBytes + this.heldBytes + this.socket.writableLength;
  }

  // --- sending

  /** Whether a message frame fits under the bound (an empty queue takes any one frame). */
  canQueueMessage(frameBytes: number, maxQueuedBytes: number): boolean {
    const queued = this.queue.messageBytes + this.heldBytes;
    return queued === 0 || queued + frameBytes <= maxQueuedBytes;
  }

  /** Queues a message frame, or holds it while a snapshot is awaited. */
  queueMessageFrame(bytes: Uint8Array, snapshotZxid: Zxid | null): void {
    if (this.failing) return;
    if (this.awaitingSnapshotZxid !== null) {
      this.held.push({ bytes, snapshotZxid });
      this.heldBytes += bytes.length;
      return;
    }
    this.enqueue(bytes, 'message');
    if (snapshotZxid !== null) this.awaitingSnapshotZxid = snapshotZxid;
  }

  /** After the awaited snapshot is queued: queue what was held behind it, in order. */
  releaseHeld(): void {
    this.awaitingSnapshotZxid = null;
    const held = this.held.splice(0);
    this.heldBytes = 0;
    for (const frame of held) this.queueMessageFrame(frame.bytes, frame.snapshotZxid);
  }

  enqueue(bytes: Uint8Array, kind: FrameKind): void {
    if (this.failing) return;
    this.queue.push(bytes, kind);
    if (this.flushScheduled || this.waitingForDrain) return;
    // Everything queued in one turn goes out in one corked write.
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Frames queued in one turn go out joined into one buffer per COALESCE_BYTES: a busy leader
   * queues a proposal, a commit and answers per follower each turn, and handing the socket one
   * buffer costs less than a corked write of many (the per-chunk work showed in profiles).
   */
  private flush(): void {
    if (this.failing || this.waitingForDrain || this.queue.isEmpty) return;
    const parts: Uint8Array[] = [];
    while (!this.queue.isEmpty) {
      let bytes = 0;
      parts.length = 0;
      while (!this.queue.isEmpty && bytes < COALESCE_BYTES) {
        const frame = this.queue.shift();
        parts.push(frame);
        bytes += frame.length;
      }
      const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes);
      if (!this.socket.write(chunk)) {
        this.waitingForDrain = true;
        break;
      }
    }
  }

  // --- receiving

  private onData(data: Buffer): void {
    if (this.failing) return;
    this.reader.push(data);
    this.deliverBuffered();
  }

  private deliverBuffered(): void {
    while (!this.readingPaused && !this.failing) {
      let frame: WireFrame;
      try {
        const body = this.reader.next();
        if (body === null) return;
        frame = decodeFrame(body);
      } catch (error) {
        if (!isKeeperError(error)) throw error;
        this.events.garbage(this, error);
        return;
      }
      this.events.frame(this, frame);
    }
  }

  pauseReading(): void {
    this.readingPaused = true;
    this.socket.pause();
  }

  /** Delivers the frames already read, then reads on (unless a frame paused reading again). */
  resumeReading(): void {
    this.readingPaused = false;
    this.deliverBuffered();
    if (!this.readingPaused && !this.failing) this.socket.resume();
  }

  // --- ending

  /** Fails the connection; the socket's close reports it (if it is still the current one). */
  fail(reason: string): void {
    if (this.failing) return;
    this.failure = reason;
    this.socket.destroy();
  }

  endOnPurpose(): void {
    this.endedOnPurpose = true;
    this.ended = true;
    this.socket.destroy();
  }
}

type FrameKind = 'message' | 'snapshot';

/** A FIFO of encoded frames with byte counts, O(1) at both ends. */
class FrameQueue {
  private items: ({ bytes: Uint8Array; kind: FrameKind } | undefined)[] = [];
  private head = 0;
  messageBytes = 0;
  snapshotBytes = 0;

  get isEmpty(): boolean {
    return this.head === this.items.length;
  }

  push(bytes: Uint8Array, kind: FrameKind): void {
    this.items.push({ bytes, kind });
    if (kind === 'message') this.messageBytes += bytes.length;
    else this.snapshotBytes += bytes.length;
  }

  shift(): Uint8Array {
    assert(!this.isEmpty, 'shift from a non-empty frame queue');
    const item = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head++;
    if (item.kind === 'message') this.messageBytes -= item.bytes.length;
    else this.snapshotBytes -= item.bytes.length;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item.bytes;
  }
}

/** Cuts a byte stream into frame bodies: a u32 big-endian length, then that many bytes. */
class FrameReader {
  private readonly chunks: Buffer[] = [];
  /** Bytes of chunks[0] already consumed. */
  private offset = 0;
  private buffered = 0;
  /** The body length of the frame being read, once its prefix is in. */
  private bodyLength: number | null = null;

  constructor(private readonly maxFrameBytes: number) {}

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.buffered += data.length;
  }

  /** The next complete body, or null until more bytes arrive; a length over the limit is a MarshallingError. */
  next(): Buffer | null {
    if (this.bodyLength === null) {
      if (this.buffered < FRAME_LENGTH_BYTES) return null;
      const length = this.take(FRAME_LENGTH_BYTES).readUInt32BE(0);
      if (length > this.maxFrameBytes) throw new KeeperError('MarshallingError', `frame length ${length} exceeds the limit of ${this.maxFrameBytes} bytes`);
      this.bodyLength = length;
    }
    if (this.buffered < this.bodyLength) return null;
    const body = this.take(this.bodyLength);
    this.bodyLength = null;
    return body;
  }

  /** The next `byteCount` bytes: a view when they lie in one chunk, else a copy. */
  private take(byteCount: number): Buffer {
    assert(byteCount <= this.buffered, 'take only buffered bytes');
    this.buffered -= byteCount;
    const first = this.chunks[0];
    if (first === undefined || first.length - this.offset >= byteCount) {
      if (first === undefined) return Buffer.alloc(0);
      const view = first.subarray(this.offset, this.offset + byteCount);
      this.advance(byteCount);
      return view;
    }
    const copy = Buffer.allocUnsafe(byteCount);
    let filled = 0;
    while (filled < byteCount) {
      const chunk = this.chunks[0]!;
      const count = Math.min(chunk.length - this.offset, byteCount - filled);
      chunk.copy(copy, filled, this.offset, this.offset + count);
      filled += count;
      this.advance(count);
    }
    return copy;
  }

  private advance(byteCount: number): void {
    this.offset += byteCount;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server | null): Promise<void> {
  if (server === null || !server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}

function boundPort(server: Server | null): number {
  const address = server?.address();
  assert(address !== null && address !== undefined && typeof address === 'object', 'the transport is listening');
  return address.port;
}
