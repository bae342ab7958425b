// One client connection on the ZooKeeper port. The first four bytes either name a four-letter
// word (answered as text, then the connection closes) or start the length-prefixed
// ConnectRequest. After the handshake every frame is a RequestHeader plus a request record;
// requests are submitted to the session in arrival order and their replies written in that
// same order, while watch notifications are written the moment the server pushes them (the
// server pushes an event before it answers anything that shows the change).
//
// Bounded per connection: one inbound frame of at most jute.maxbuffer bytes, at most
// `maxOutstanding` unanswered requests (reading pauses beyond that), and at most
// `maxOutboundBytes` of unsent output (reading pauses at a quarter of it; a client that still
// does not read is dropped).

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ipIdentity, type AuthId } from '../../core/acl.js';
import { assert, isKeeperError, keeperError } from '../../core/errors.js';
import { EventType, OpCode, type WatchEvent } from '../../core/types.js';
import type { AnswerOutcome, ServerFacade, SessionHandle, SessionSink } from '../../server/facade.js';
import {
  decodeCall,
  decodeConnectRequest,
  decodeRequestHeader,
  encodeConnectResponse,
  encodeHeaderOnly,
  encodeNotification,
  encodeReply,
  expiredConnectResponse,
  isReadOfInvalidPath,
  UNSUPPORTED_OPCODES,
  type Call,
  type ConnectRequestRecord,
  type RequestHeader,
} from './protocol.js';
import { JuteDecodeError, JuteReader } from './records.js';

export interface ConnectionSettings {
  /** jute.maxbuffer: a frame announcing more closes the connection. */
  maxFrameBytes: number;
  /** How long a connection may stay without a session (ZooKeeper's sessionless timeout). */
  handshakeTimeoutMs: number;
  maxOutstanding: number;
  maxOutboundBytes: number;
}

/** What the listener tracks about its connections (for stat, cons, mntr). */
export interface ConnectionHooks {
  isFourLetterWord(word: string): boolean;
  /** The answer to a four-letter word (or the refusal when it is not whitelisted). */
  fourLetterWord(connection: JuteConnection, word: string): string;
  onPacketReceived(connection: JuteConnection): void;
  onPacketSent(connection: JuteConnection): void;
  onRequestDone(connection: JuteConnection, latencyMs: number): void;
  onClosed(connection: JuteConnection): void;
  onAuthFailed(connection: JuteConnection): void;
  onHandshakeTimeout(connection: JuteConnection): void;
}

const CODE = {
  marshallingError: -5,
  unimplemented: -6,
  noNode: -101,
  authFailed: -115,
} as const;

const FOUR_LETTER_WORD_BYTES = 4;
const FRAME_PREFIX_BYTES = 4;

type Phase = 'first' | 'handshake' | 'connecting' | 'open' | 'finishing' | 'closed';
/** Why reading is paused; an auth in flight pauses it because a failed one ends the connection. */
type PauseReason = 'connecting' | 'outstanding' | 'outbound' | 'auth';

/** One place in the reply order; `frame` is filled once the answer is known. */
interface PendingReply {
  frame: Buffer | null;
  /** The connection ends once this reply is written (closeSession, failed auth). */
  last: boolean;
  startedMs: number;
}

export class JuteConnection {
  private phase: Phase = 'first';
  private inbound: Buffer[] = [];
  private inboundBytes = 0;
  private handle: SessionHandle | null = null;
  private sentReadOnly = false;
  private readonly replies: PendingReply[] = [];
  private readonly heldEvents: WatchEvent[] = [];
  private handshakeTimer: NodeJS.Timeout | undefined;
  private corked = false;
  private readonly pauses = new Set<PauseReason>();
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedMs = Date.now();
  packetsReceived = 0;
  packetsSent = 0;
  lastOperation = 'NA';
  lastZxid = -1;
  lastLatencyMs = 0;

  constructor(
    private readonly socket: Socket,
    private readonly facade: ServerFacade,
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks,
    private readonly logger: Pick<Logger, 'debug' | 'warn'>,
    /** Identities the connection proved in its TLS handshake (x509), beside its address's. */
    private readonly certificateIds: readonly AuthId[] = [],
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.remotePort = socket.remotePort ?? 0;
  }

  get sessionId(): number {
    return this.handle?.sessionId ?? 0;
  }

  get sessionTimeoutMs(): number {
    return this.handle?.timeoutMs ?? 0;
  }

  get outstanding(): number {
    return this.replies.length;
  }

  start(): void {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('drain', () => this.resume('outbound'));
    this.socket.on('error', (error) => this.logger.debug({ err: error, client: this.remoteAddress }, 'client connection error'));
    this.socket.on('close', () => this.onSocketClosed());
    this.handshakeTimer = setTimeout(() => {
      if (this.handle !== null || this.phase === 'closed') return;
      this.hooks.onHandshakeTimeout(this);
      this.close('no session within the handshake timeout');
    }, this.settings.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  /** Ends the connection now; the session, if any, stays until it expires or is resumed. */
  close(reason: string): void {
    if (this.phase === 'closed') return;
    this.logger.debug({ client: `${this.remoteAddress}:${this.remotePort}`, sessionId: this.sessionId, reason }, 'closing client connection');
    this.phase = 'closed';
    this.socket.destroy();
  }

  // ------------------------------------------------------------------------------------------
  // Inbound

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed' || this.phase === 'finishing') return;
    this.inbound.push(chunk);
    this.inboundBytes += chunk.length;
    this.guarded(() => this.processInbound());
  }

  /** A failure serving one client ends that client's connection, never the server. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.logger.warn({ err: error, client: this.remoteAddress, sessionId: this.sessionId }, 'unexpected failure serving a client; closing its connection');
      this.close('unexpected failure');
    }
  }

  private processInbound(): void {
    while (this.pauses.size === 0 && (this.phase === 'first' || this.phase === 'handshake' || this.phase === 'open')) {
      if (this.inboundBytes < FRAME_PREFIX_BYTES) return;
      const prefix = this.peek(FRAME_PREFIX_BYTES);
      if (this.phase === 'first') {
        this.phase = 'handshake';
        const word = prefix.toString('latin1', 0, FOUR_LETTER_WORD_BYTES);
        const answer = this.hooks.isFourLetterWord(word) ? this.fourLetterWordAnswer(word) : null;
        if (answer !== null) {
          this.answerFourLetterWord(answer);
          return;
        }
      }
      const length = prefix.readInt32BE(0);
      if (length < 0 || length > this.settings.maxFrameBytes) {
        this.close(`frame length ${length} is outside 0..${this.settings.maxFrameBytes}`);
        return;
      }
      if (this.inboundBytes < FRAME_PREFIX_BYTES + length) return;
      const frame = this.take(FRAME_PREFIX_BYTES + length);
      this.packetsReceived++;
      this.hooks.onPacketReceived(this);
      if (this.phase === 'handshake') this.onConnectFrame(frame);
      else this.onRequestFrame(frame);
    }
  }

  private peek(count: number): Buffer {
    if (this.inbound[0]!.length < count) this.inbound = [Buffer.concat(this.inbound)];
    return this.inbound[0]!.subarray(0, count);
  }

  private take(count: number): Buffer {
    assert(count <= this.inboundBytes, 'a frame is taken only once it has fully arrived');
    if (this.inbound[0]!.length < count) this.inbound = [Buffer.concat(this.inbound)];
    const head = this.inbound[0]!;
    const frame = head.subarray(0, count);
    if (head.length === count) this.inbound.shift();
    else this.inbound[0] = head.subarray(count);
    this.inboundBytes -= count;
    return frame;
  }

  private fourLetterWordAnswer(word: string): string {
    this.take(FOUR_LETTER_WORD_BYTES);
    this.packetsReceived++;
    this.hooks.onPacketReceived(this);
    return this.hooks.fourLetterWord(this, word);
  }

  private answerFourLetterWord(answer: string): void {
    this.phase = 'finishing';
    this.socket.end(answer);
  }

  // ------------------------------------------------------------------------------------------
  // Handshake

  private onConnectFrame(frame: Buffer): void {
    let connect: ConnectRequestRecord;
    try {
      connect = decodeConnectRequest(new JuteReader(frame, FRAME_PREFIX_BYTES));
    } catch (error) {
      this.close(`unreadable ConnectRequest: ${(error as Error).message}`);
      return;
    }
    this.sentReadOnly = connect.sentReadOnly;
    if (connect.sessionId === null) {
      this.refuseExpired('the session id cannot be one this server issued');
      return;
    }
    this.phase = 'connecting';
    this.pause('connecting');
    const sink: SessionSink = {
      onEvent: (event) => this.onEvent(event),
      onSessionClosed: (reason) => this.onSessionClosed(reason),
    };
    this.facade
      .connect(
        {
          sessionId: connect.sessionId,
          password: connect.password,
          timeoutMs: connect.timeOutMs,
          lastZxidSeen: connect.lastZxidSeen,
          transportIds: [ipIdentity(this.remoteAddress), ...this.certificateIds],
        },
        sink,
      )
      .then(
        (handle) => this.guarded(() => this.onConnected(handle)),
        (error: unknown) => {
          // A wrong password or a session that is gone: the client must hear "expired". Anything
          // else (the client has seen a newer zxid, the server is stopping): close, it retries.
          if (isKeeperError(error) && error.codeName === 'SessionExpired') this.refuseExpired(error.message);
          else this.close(`connect refused: ${(error as Error).message}`);
        },
      );
  }

  private onConnected(handle: SessionHandle): void {
    if (this.phase === 'closed') {
      handle.detach();
      return;
    }
    this.handle = handle;
    clearTimeout(this.handshakeTimer);
    this.phase = 'open';
    this.write(
      encodeConnectResponse({
        timeOutMs: handle.timeoutMs,
        sessionId: handle.sessionId,
        password: handle.password,
        readOnly: this.sentReadOnly ? false : undefined,
      }),
    );
    for (const event of this.heldEvents.splice(0)) this.onEvent(event);
    this.resume('connecting');
  }

  private refuseExpired(reason: string): void {
    this.logger.debug({ client: this.remoteAddress, reason }, 'refusing a session resume');
    this.phase = 'finishing';
    this.socket.end(expiredConnectResponse(this.sentReadOnly));
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  private onRequestFrame(frame: Buffer): void {
    const reader = new JuteReader(frame, FRAME_PREFIX_BYTES);
    let header: RequestHeader;
    try {
      header = decodeRequestHeader(reader);
    } catch {
      this.close('a request frame too short for its header');
      return;
    }
    const handle = this.handle!;
    this.lastOperation = operationName(header.type);
    switch (header.type) {
      case OpCode.ping:
        this.answerNow(() => encodeHeaderOnly(header.xid, handle.ping(), 0));
        return;
      case OpCode.closeSession:
        this.closeSession(header.xid, handle);
        return;
    }
    const unsupported = UNSUPPORTED_OPCODES.get(header.type);
    if (unsupported !== undefined) {
      this.answerNow(() => encodeHeaderOnly(header.xid, this.facade.lastZxid(), unsupported));
      return;
    }
    if (!isKnownRequestOpcode(header.type)) {
      // ZooKeeper answers an opcode it does not know with Unimplemented and zxid -1, then
      // closes the connection.
      this.answerNow(() => encodeHeaderOnly(header.xid, -1, CODE.unimplemented), true);
      return;
    }
    let call: Call;
    try {
      call = decodeCall(header.type, reader);
    } catch (error) {
      const code = isKeeperError(error) ? error.code : CODE.marshallingError;
      if (!isKeeperError(error) && !(error instanceof JuteDecodeError) && !(error instanceof RangeError)) throw error;
      this.answerNow(() => encodeHeaderOnly(header.xid, this.facade.lastZxid(), code));
      return;
    }
    if (isReadOfInvalidPath(call.request)) {
      this.answerNow(() => encodeHeaderOnly(header.xid, this.facade.lastZxid(), CODE.noNode));
      return;
    }
    this.submit(header.xid, call, handle);
  }

  private submit(xid: number, call: Call, handle: SessionHandle): void {
    const pending = this.reserve(false);
    const isAuth = call.opcode === OpCode.auth;
    if (isAuth) this.pause('auth');
    // Written as the node releases the answer, in one order with the session's events.
    const onAnswer = (outcome: AnswerOutcome) =>
      this.guarded(() => {
        if (outcome.ok) {
          // ZooKeeper answers auth with zxid 0.
          const { response, zxid } = outcome.value;
          this.settle(pending, isAuth ? encodeHeaderOnly(xid, 0, 0) : encodeReply(xid, zxid, call, response), zxid);
          if (isAuth) this.resume('auth');
          return;
        }
        const error = outcome.error;
        const code = isKeeperError(error) ? error.code : keeperError('SystemError').code;
        if (isAuth) {
          // A failed auth ends the connection, as in ZooKeeper; the session lives on.
          pending.last = code === CODE.authFailed;
          if (pending.last) this.hooks.onAuthFailed(this);
          this.settle(pending, encodeHeaderOnly(xid, 0, code), -1);
          this.resume('auth');
          return;
        }
        this.settle(pending, encodeHeaderOnly(xid, this.facade.lastZxid(), code), -1);
      });
    try {
      // The promise says the same as onAnswer; only the callback writes.
      handle.submit(call.request, onAnswer).catch(() => undefined);
    } catch (error) {
      onAnswer({ ok: false, error });
    }
  }

  private closeSession(xid: number, handle: SessionHandle): void {
    const pending = this.reserve(true);
    this.phase = 'finishing';
    handle.close().then(
      () => this.settle(pending, encodeHeaderOnly(xid, this.facade.lastZxid(), 0), -1),
      (error: unknown) => this.settle(pending, encodeHeaderOnly(xid, this.facade.lastZxid(), isKeeperError(error) ? error.code : -1), -1),
    );
  }

  /** A reply known at once, written in its turn. */
  private answerNow(encode: () => Buffer, last = false): void {
    const pending = this.reserve(last);
    this.settle(pending, encode(), -1);
  }

  private reserve(last: boolean): PendingReply {
    const pending: PendingReply = { frame: null, last, startedMs: Date.now() };
    this.replies.push(pending);
    if (this.replies.length >= this.settings.maxOutstanding) this.pause('outstanding');
    return pending;
  }

  private settle(pending: PendingReply, frame: Buffer, zxid: number): void {
    assert(pending.frame === null, 'a request is answered once');
    pending.frame = frame;
    if (zxid > this.lastZxid) this.lastZxid = zxid;
    this.flushReplies();
  }

  private flushReplies(): void {
    while (this.replies.length > 0 && this.replies[0]!.frame !== null) {
      const pending = this.replies.shift()!;
      const latencyMs = Date.now() - pending.startedMs;
      this.lastLatencyMs = latencyMs;
      this.hooks.onRequestDone(this, latencyMs);
      if (this.phase === 'closed') continue;
      this.write(pending.frame!);
      if (pending.last) {
        this.phase = 'finishing';
        this.socket.end();
        return;
      }
    }
    if (this.replies.length < this.settings.maxOutstanding / 2) this.resume('outstanding');
    if (this.phase === 'finishing' && this.replies.length === 0 && !this.socket.writableEnded) this.socket.end();
  }

  // ------------------------------------------------------------------------------------------
  // Server pushes

  private onEvent(event: WatchEvent): void {
    // A ZooKeeper client makes the "watch removed" events itself when removeWatches succeeds;
    // a ZooKeeper server never sends them, and a client would deliver them twice.
    if (WATCH_REMOVED_EVENTS.has(event.type)) return;
    if (this.phase === 'connecting') {
      this.heldEvents.push(event);
      return;
    }
    if (this.phase === 'closed' || this.socket.writableEnded) return;
    // Events and answers both arrive synchronously as the server applies txns and releases
    // answers, so writing each at once keeps ZooKeeper's order.
    this.write(encodeNotification(event));
  }

  private onSessionClosed(reason: 'expired' | 'closed' | 'shutdown' | 'moved' | 'unavailable'): void {
    this.handle = null;
    if (reason === 'closed') {
      // The client's own closeSession: its reply is still to be written, then the socket ends.
      this.phase = this.phase === 'closed' ? 'closed' : 'finishing';
      this.flushReplies();
      return;
    }
    // ZooKeeper closes the connection of an expired session; the client learns "expired" when it
    // reconnects and is refused. Moved, unavailable (no leader) and shutdown: the session lives on
    // elsewhere or later, and the client reconnects to another server, as with ZooKeeper.
    this.close(`session ${reason}`);
  }

  // ------------------------------------------------------------------------------------------
  // Outbound and flow control

  private write(frame: Buffer): void {
    if (this.phase === 'closed' || this.socket.writableEnded) return;
    if (this.socket.writableLength + frame.length > this.settings.maxOutboundBytes) {
      this.close('the client does not read its replies');
      return;
    }
    if (!this.corked) {
      // Replies settled in one turn of the event loop leave in one write.
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
    this.packetsSent++;
    this.hooks.onPacketSent(this);
    if (this.socket.writableLength > this.settings.maxOutboundBytes / 4) this.pause('outbound');
  }

  private pause(reason: PauseReason): void {
    if (this.pauses.size === 0) this.socket.pause();
    this.pauses.add(reason);
  }

  private resume(reason: PauseReason): void {
    if (!this.pauses.delete(reason) || this.pauses.size > 0) return;
    if (this.phase === 'closed') return;
    this.socket.resume();
    this.processInbound();
  }

  private onSocketClosed(): void {
    clearTimeout(this.handshakeTimer);
    const handle = this.handle;
    this.handle = null;
    this.phase = 'closed';
    // The transport is gone, the session is not: it expires unless the client resumes it.
    handle?.detach();
    this.hooks.onClosed(this);
  }
}

const WATCH_REMOVED_EVENTS: ReadonlySet<number> = new Set([EventType.DataWatchRemoved, EventType.ChildWatchRemoved, EventType.PersistentWatchRemoved]);

const KNOWN_REQUEST_OPCODES: ReadonlySet<number> = new Set([
  OpCode.create,
  OpCode.delete,
  OpCode.exists,
  OpCode.getData,
  OpCode.setData,
  OpCode.getACL,
  OpCode.setACL,
  OpCode.getChildren,
  OpCode.sync,
  OpCode.getChildren2,
  OpCode.check,
  OpCode.multi,
  OpCode.create2,
  OpCode.checkWatches,
  OpCode.removeWatches,
  OpCode.createContainer,
  OpCode.createTTL,
  OpCode.multiRead,
  OpCode.auth,
  OpCode.setWatches,
  OpCode.getEphemerals,
  OpCode.getAllChildrenNumber,
  OpCode.setWatches2,
  OpCode.addWatch,
  OpCode.whoAmI,
]);

function isKnownRequestOpcode(opcode: number): boolean {
  return KNOWN_REQUEST_OPCODES.has(opcode);
}

const OPERATION_NAMES: ReadonlyMap<number, string> = new Map([
  [OpCode.create, 'CREA'],
  [OpCode.create2, 'CREA'],
  [OpCode.createContainer, 'CREA'],
  [OpCode.createTTL, 'CREA'],
  [OpCode.delete, 'DELE'],
  [OpCode.exists, 'EXIS'],
  [OpCode.getData, 'GETD'],
  [OpCode.setData, 'SETD'],
  [OpCode.getACL, 'GETA'],
  [OpCode.setACL, 'SETA'],
  [OpCode.getChildren, 'GETC'],
  [OpCode.getChildren2, 'GETC'],
  [OpCode.sync, 'SYNC'],
  [OpCode.ping, 'PING'],
  [OpCode.check, 'CHEC'],
  [OpCode.multi, 'MULT'],
  [OpCode.multiRead, 'MLTR'],
  [OpCode.setWatches, 'SETW'],
  [OpCode.setWatches2, 'STW2'],
  [OpCode.addWatch, 'ADDW'],
  [OpCode.checkWatches, 'CHKW'],
  [OpCode.removeWatches, 'REMW'],
  [OpCode.getEphemerals, 'GETE'],
  [OpCode.getAllChildrenNumber, 'GETACN'],
  [OpCode.whoAmI, 'HOMI'],
  [OpCode.closeSession, 'CLOS'],
  [OpCode.auth, 'AUTH'],
]);

function operationName(opcode: number): string {
  return OPERATION_NAMES.get(opcode) ?? 'UNKN';
}
