// GET /v1/ws: the session channel over WebSocket. Each socket is served by the gRPC facade's
// SessionStream (src/api/grpc/session-stream.ts) through a small adapter that makes the socket
// look like a gRPC duplex call, so both transports share one implementation of the session
// protocol: connect, pipelined requests answered in order, pings, watch events, close, resume,
// the silence timeout, and a bounded outbound queue.
//
// Besides the protocol's own ping messages, the server pings at the WebSocket level and
// terminates a socket that does not answer; its session is left detached to expire or be
// resumed. A client that does not read is closed with 1008 and a reason once its queue is full.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import * as grpc from '@grpc/grpc-js';
import type { AuthId } from '../../core/acl.js';
import type { ServerFacade } from '../../server/facade.js';
import type { GrpcStatus } from '../grpc/errors.js';
import { ZK_CODE_KEY } from '../grpc/errors.js';
import type { ServerMessage } from '../grpc/generated/cairn/v1/ServerMessage.js';
import { SessionStream, type SessionCall, type SessionStreamSettings } from '../grpc/session-stream.js';
import { basicCredentials, peerIdentities } from './identity.js';
import { decodeClientMessage, encodeServerMessage, JSON_SUBPROTOCOL, PROTO_SUBPROTOCOL, type Subprotocol } from './proto-json.js';
import { problemOf, PROBLEM_MEDIA_TYPE, type HttpRefusal, type Problem } from './problem.js';

export const WEBSOCKET_PATH = '/v1/ws';

export interface WebSocketLimits {
  /** Bytes the socket may hold unsent before the session stream queues (and then cuts). */
  highWaterBytes: number;
  /** Messages and bytes queued for a client that does not read before it is cut. */
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  /** WebSocket-level ping period; a socket that missed a whole period's pong is terminated. */
  pingIntervalMs: number;
  /** The largest frame accepted from a client. */
  maxPayloadBytes: number;
  /** How long a closing socket's peer may take none of what is left, or not answer the close, before it is terminated. */
  closeGraceMs: number;
}

// Close codes: ZooKeeper errors as 4000 + |code| (4112 SessionExpired, 4004 ConnectionLoss),
// the WebSocket standard's codes otherwise.
const CLOSE_NORMAL = 1000;
const CLOSE_INVALID_PAYLOAD = 1007;
const CLOSE_POLICY = 1008;
const CLOSE_INTERNAL = 1011;
const ZOOKEEPER_CLOSE_BASE = 4000;
/** How long a server that stops gives its sockets to close before it terminates them. */
const SHUTDOWN_GRACE_MS = 5_000;
/**
 * ws's closing-handshake timeout (its default), raised to the close grace when that is longer. It
 * counts from the close call however much is queued ahead of the close frame, so it bounds a close
 * as a whole, while WebSocketCall.terminateWhenStalled ends sooner one whose peer takes nothing.
 */
const WS_CLOSE_TIMEOUT_MS = 30_000;

/** What makes a WebSocket look like the gRPC duplex call a SessionStream drives. */
class WebSocketCall extends EventEmitter {
  private waitingForDrain = false;
  private closing = false;
  private terminationArmed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly subprotocol: Subprotocol,
    private readonly peer: string,
    private readonly limits: WebSocketLimits,
    private readonly onCut: (reason: string) => void,
  ) {
    super();
    socket.on('message', (data: RawData) => this.onFrame(data));
    socket.on('close', () => this.onSocketGone());
    socket.on('error', () => this.onSocketGone());
    // The stream reports its own end with 'error' (a status) or end(); the socket follows.
    this.on('error', (status: GrpcStatus | unknown) => this.closeWithStatus(status));
  }

  getPeer(): string {
    return this.peer;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  write(message: ServerMessage): boolean {
    if (this.closing) return true;
    const frame = encodeServerMessage(message, this.subprotocol);
    this.socket.send(frame, { binary: this.subprotocol === PROTO_SUBPROTOCOL }, () => this.onSent());
    const hasRoom = this.socket.bufferedAmount < this.limits.highWaterBytes;
    if (!hasRoom) this.waitingForDrain = true;
    return hasRoom;
  }

  /** The session ended cleanly (closed, moved, or the client's close was answered). */
  end(): void {
    this.close(CLOSE_NORMAL, 'session stream ended');
  }

  private onSent(): void {
    if (this.waitingForDrain && this.socket.bufferedAmount < this.limits.highWaterBytes / 2) {
      this.waitingForDrain = false;
      this.emit('drain');
    }
  }

  private onFrame(data: RawData): void {
    const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let message;
    try {
      message = decodeClientMessage(frame, this.subprotocol);
    } catch (error) {
      // A garbled frame ends the channel; the session is left detached, as for a broken transport.
      this.emit('cancelled');
      this.close(CLOSE_INVALID_PAYLOAD, truncateReason(problemOf(error).detail));
      return;
    }
    this.emit('data', message);
  }

  private onSocketGone(): void {
    if (this.closing) return;
    this.closing = true;
    this.emit('cancelled');
  }

  private closeWithStatus(status: unknown): void {
    const { code, details, metadata } = status as Partial<GrpcStatus>;
    const zkCode = Number(metadata?.get(ZK_CODE_KEY)[0]);
    if (code === grpc.status.RESOURCE_EXHAUSTED) {
      this.onCut(details ?? 'too slow');
      this.close(CLOSE_POLICY, `client too slow: ${details ?? ''}`);
    } else if (Number.isInteger(zkCode) && zkCode < 0) {
      this.close(ZOOKEEPER_CLOSE_BASE - zkCode, details ?? '');
    } else if (code === grpc.status.INVALID_ARGUMENT || code === grpc.status.DEADLINE_EXCEEDED) {
      this.close(CLOSE_POLICY, details ?? '');
    } else {
      this.close(CLOSE_INTERNAL, details ?? 'internal error');
    }
  }

  close(code: number, reason: string): void {
    if (this.closing && this.socket.readyState !== this.socket.OPEN) return;
    this.closing = true;
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, truncateReason(reason));
    this.terminateWhenStalled();
  }

  /**
   * A peer that never answers the close (it does not read) is cut off: terminated once it has
   * taken none of what is left for a whole closeGraceMs, or has taken everything and still not
   * answered. Judged by progress rather than after a fixed delay: a client cut for not reading
   * that reads again gets the close frame, and its reason, behind everything queued before it,
   * however long that takes to drain (megabytes, on a busy machine longer than a fixed delay).
   */
  private terminateWhenStalled(): void {
    if (this.terminationArmed) return;
    this.terminationArmed = true;
    let left = this.socket.bufferedAmount;
    const check = (): void => {
      if (this.socket.readyState === this.socket.CLOSED) return;
      const now = this.socket.bufferedAmount;
      if (now > 0 && now < left) {
        left = now;
        setTimeout(check, this.limits.closeGraceMs).unref();
      } else {
        this.socket.terminate();
      }
    };
    setTimeout(check, this.limits.closeGraceMs).unref();
  }
}

/** Close reasons are limited to 123 bytes. */
function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= 123 ? reason : `${bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/u, '')}...`;
}

interface Tracked {
  socket: WebSocket;
  alive: boolean;
  stream: SessionStream;
}

export class WebSocketChannels {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<Tracked>();
  private readonly pinger: NodeJS.Timeout;
  cutCount = 0;

  constructor(
    private readonly facade: ServerFacade,
    private readonly settings: SessionStreamSettings,
    private readonly limits: WebSocketLimits,
    private readonly logger: Pick<Logger, 'debug' | 'warn' | 'error'>,
  ) {
    // closeTimeout is a server option of ws 8.23 that its type definitions (8.18) do not list yet.
    const options: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      maxPayload: limits.maxPayloadBytes,
      perMessageDeflate: false,
      closeTimeout: Math.max(WS_CLOSE_TIMEOUT_MS, limits.closeGraceMs),
      handleProtocols: (protocols) => (protocols.has(PROTO_SUBPROTOCOL) ? PROTO_SUBPROTOCOL : protocols.has(JSON_SUBPROTOCOL) ? JSON_SUBPROTOCOL : false),
    };
    this.server = new WebSocketServer(options);
    // One timer for every socket: a socket that did not answer the previous ping is dead.
    this.pinger = setInterval(() => this.pingAll(), limits.pingIntervalMs);
    this.pinger.unref();
  }

  get open(): number {
    return this.sockets.size;
  }

  /**
   * The HTTP server's 'upgrade' event; `originRefusal` is the origin policy's answer for it
   * (origins.ts): a page of a foreign origin is refused with 403 before anything else.
   */
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, originRefusal: HttpRefusal | null = null): void {
    const url = request.url ?? '';
    const path = url.split('?')[0];
    if (originRefusal !== null) {
      rejectUpgradeWithProblem(socket, problemOf(originRefusal));
      return;
    }
    if (path !== WEBSOCKET_PATH) {
      rejectUpgrade(socket, 404, 'Not Found', `no WebSocket endpoint at ${path}`);
      return;
    }
    let identities: AuthId[];
    try {
      identities = peerIdentities(request.socket);
      const credentials = basicCredentials(request.headers.authorization);
      if (credentials !== undefined) identities.push(credentials.id);
    } catch (error) {
      rejectUpgrade(socket, 401, 'Unauthorized', problemOf(error).detail);
      return;
    }
    this.server.handleUpgrade(request, socket, head, (webSocket) => this.onConnection(webSocket, request, identities));
  }

  private onConnection(socket: WebSocket, request: IncomingMessage, identities: AuthId[]): void {
    const subprotocol: Subprotocol = socket.protocol === PROTO_SUBPROTOCOL ? PROTO_SUBPROTOCOL : JSON_SUBPROTOCOL;
    const peer = `${request.socket.remoteAddress ?? 'unknown'}:${request.socket.remotePort ?? 0}`;
    const call = new WebSocketCall(socket, subprotocol, peer, this.limits, (reason) => {
      this.cutCount++;
      this.logger.warn({ peer, reason }, 'WebSocket client cut: it does not read');
    });
    const tracked: Tracked = { socket, alive: true, stream: undefined as unknown as SessionStream };
    tracked.stream = new SessionStream(call as unknown as SessionCall, this.facade, this.settings, this.logger, identities, () => undefined);
    socket.on('pong', () => (tracked.alive = true));
    socket.on('close', () => this.sockets.delete(tracked));
    this.sockets.add(tracked);
    tracked.stream.start();
  }

  private pingAll(): void {
    for (const tracked of this.sockets) {
      if (!tracked.alive) {
        this.logger.debug('WebSocket peer did not answer a ping; terminating');
        tracked.socket.terminate();
        continue;
      }
      tracked.alive = false;
      tracked.socket.ping();
    }
  }

  /** Server shutdown: every session is left detached (it may be resumed elsewhere). */
  close(): void {
    clearInterval(this.pinger);
    for (const tracked of this.sockets) tracked.stream.shutdown();
    for (const tracked of this.sockets) setTimeout(() => tracked.socket.terminate(), SHUTDOWN_GRACE_MS).unref();
    this.server.close();
  }
}

function rejectUpgrade(socket: Duplex, status: number, title: string, detail: string): void {
  rejectUpgradeWithProblem(socket, { type: 'urn:cairn:problem:upgrade', title, status, detail });
}

const REASONS: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function rejectUpgradeWithProblem(socket: Duplex, problem: Problem): void {
  const body = JSON.stringify(problem);
  const reason = REASONS[problem.status] ?? 'Refused';
  socket.end(`HTTP/1.1 ${problem.status} ${reason}\r\nContent-Type: ${PROBLEM_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nVary: Origin\r\nConnection: close\r\n\r\n${body}`);
}
