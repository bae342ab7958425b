// One Session stream: a ZooKeeper session channel carried by a gRPC bidirectional stream.
//
// The client's first message opens or resumes the session; after that its requests are
// submitted in order and their answers written back in the same order, each as soon as it
// and every earlier one are settled. Watch events are written as the server pushes them, so
// an event precedes any later answer that shows its change. The stream ends with `closed`
// when the session ends, or with an error status when the transport fails, the client stays
// silent for the session timeout, or the client stops reading; the session itself then lives
// on (detached) until it expires or is resumed on another stream.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AuthId } from '../../core/acl.js';
import { isKeeperError, keeperError } from '../../core/errors.js';
import type { Request, WatchEvent } from '../../core/types.js';
import type { AnswerOutcome, ConnectOptions, ServerFacade, SessionHandle, SessionSink } from '../../server/facade.js';
import { responseToProto, sessionRequestFromProto, validate, watchEventToProto, xidFromProto } from './convert.js';
import { toErrorDetail, toGrpcStatus, type GrpcStatus } from './errors.js';
import { CloseReason, type CloseReason__Output } from './generated/cairn/v1/CloseReason.js';
import type { ClientMessage__Output } from './generated/cairn/v1/ClientMessage.js';
import type { Connect__Output } from './generated/cairn/v1/Connect.js';
import type { Request__Output } from './generated/cairn/v1/Request.js';
import type { ServerMessage } from './generated/cairn/v1/ServerMessage.js';
import { Fifo } from './fifo.js';
import { OutboundQueue, type OutboundLimits } from './outbound.js';
import { isUndecodable, undecodableError } from './undecodable.js';

export interface SessionStreamSettings {
  /** How long a new stream may take to send `connect`. */
  connectTimeoutMs: number;
  /** Unanswered requests per stream before the stream stops reading (back-pressure). */
  maxInFlight: number;
  /** How long the stream waits for outstanding answers once it is ending. */
  finishGraceMs: number;
  outbound: OutboundLimits;
}

export type SessionCall = grpc.ServerDuplexStream<ClientMessage__Output, ServerMessage>;

type Phase = 'awaiting-connect' | 'connecting' | 'open' | 'finishing' | 'done';
type PauseReason = 'connecting' | 'in-flight';
type SessionEndReason = Parameters<SessionSink['onSessionClosed']>[0];

const CLOSE_REASONS: Record<SessionEndReason, CloseReason__Output> = {
  closed: CloseReason.CLOSE_REASON_CLOSED,
  expired: CloseReason.CLOSE_REASON_EXPIRED,
  shutdown: CloseReason.CLOSE_REASON_SHUTDOWN,
  moved: CloseReason.CLOSE_REASON_MOVED,
  unavailable: CloseReason.CLOSE_REASON_UNAVAILABLE,
};

/** One place in the stream's answer order. */
interface Answer {
  settled: boolean;
  message?: ServerMessage;
  /** The stream ends once this answer is written. */
  final: boolean;
  /** For a final answer: leave the session detached (the client went away, the session did not). */
  detach?: boolean;
}

export class SessionStream {
  private phase: Phase = 'awaiting-connect';
  private handle: SessionHandle | undefined;
  /** The session ended or moved away: nothing to detach any more. */
  private sessionOver = false;
  /** The session ended while `connect` was still being answered. */
  private endedBeforeConnected: SessionEndReason | undefined;
  private finalQueued = false;
  private readonly outbound: OutboundQueue<ServerMessage>;
  private readonly answers = new Fifo<Answer>();
  /** Messages that arrived while `connect` was being answered. */
  private readonly early: ClientMessage__Output[] = [];
  /** Events pushed while `connect` was being answered; they follow `connected`. */
  private readonly heldEvents: WatchEvent[] = [];
  private readonly pauseReasons = new Set<PauseReason>();
  private idleTimer: NodeJS.Timeout | undefined;
  private lastHeardMs = Date.now();
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly transportIds: AuthId[];

  constructor(
    private readonly call: SessionCall,
    private readonly facade: ServerFacade,
    private readonly settings: SessionStreamSettings,
    private readonly logger: Pick<Logger, 'debug' | 'warn' | 'error'>,
    transportIds: AuthId[],
    private readonly onDone: (stream: SessionStream) => void,
  ) {
    this.transportIds = transportIds;
    this.outbound = new OutboundQueue<ServerMessage>(call, settings.outbound, () => this.onOverflow());
  }

  start(): void {
    this.call.on('data', (message: ClientMessage__Output) => this.onMessage(message));
    this.call.on('end', () => this.onClientEnd());
    this.call.on('cancelled', () => this.onTransportGone('cancelled'));
    this.call.on('error', (error: unknown) => this.onTransportGone(error));
    this.armIdleTimer(this.settings.connectTimeoutMs, 'no connect message');
  }

  /**
   * The server is going away. Take no more requests but answer those under way: their writes
   * are still applied before the server stops, so a client must hear that they succeeded rather
   * than lose them to a dropped stream. Then end with `closed` (SHUTDOWN), leaving the session
   * detached: it may be resumed elsewhere or after a restart.
   */
  shutdown(): void {
    if (this.phase === 'finishing') return; // already ending; its final answer is queued or coming
    if (this.phase !== 'open') {
      this.fail(toGrpcStatus(keeperError('ConnectionLoss', undefined, 'the server is shutting down')));
      return;
    }
    this.enterFinishing();
    this.enqueueFinal({ settled: true, final: true, detach: true, message: { closed: { reason: CloseReason.CLOSE_REASON_SHUTDOWN } } });
  }

  // ------------------------------------------------------------------------------------------
  // Inbound

  private onMessage(message: ClientMessage__Output): void {
    if (isUndecodable(message) && this.phase !== 'finishing' && this.phase !== 'done') {
      // Nothing in it can be trusted, not even an xid to answer: end the stream (the session,
      // if any, stays and can be resumed).
      this.fail(toGrpcStatus(undecodableError(message, 'a Session message')));
      return;
    }
    switch (this.phase) {
      case 'awaiting-connect':
        this.onFirstMessage(message);
        return;
      case 'connecting':
        this.holdEarly(message);
        return;
      case 'open':
        this.touch();
        this.dispatch(message);
        return;
      case 'finishing':
      case 'done':
        return; // the session is closing or the stream is over; later messages mean nothing
    }
  }

  private onFirstMessage(message: ClientMessage__Output): void {
    if (message.kind !== 'connect' || message.connect === null || message.connect === undefined) {
      this.fail(invalidArgument('the first message of a Session stream must be connect'), false);
      return;
    }
    let options: ConnectOptions;
    try {
      options = connectOptionsFromProto(message.connect, this.transportIds);
    } catch (error) {
      this.fail(toGrpcStatus(error), false);
      return;
    }
    this.phase = 'connecting';
    this.pauseReading('connecting');
    const sink: SessionSink = {
      onEvent: (event) => this.onEvent(event),
      onSessionClosed: (reason) => this.onSessionEnded(reason),
    };
    Promise.resolve()
      .then(() => this.facade.connect(options, sink))
      .then(
        (handle) => this.onConnected(handle),
        (error: unknown) => this.onConnectFailed(error),
      );
  }

  private holdEarly(message: ClientMessage__Output): void {
    // Reading is paused while connecting, so only what was already buffered can arrive.
    if (this.early.length >= this.settings.maxInFlight) {
      this.fail(resourceExhausted('too many messages before the session was connected'));
      return;
    }
    this.early.push(message);
  }

  private dispatch(message: ClientMessage__Output): void {
    switch (message.kind) {
      case 'request':
        this.onRequest(message.request);
        return;
      case 'ping':
        this.onPing(message.ping?.id);
        return;
      case 'close':
        this.onCloseRequested();
        return;
      case 'connect':
        this.fail(invalidArgument('connect may only be the first message of a Session stream'));
        return;
      default:
        // An empty message, or a kind from a newer client: nothing to answer.
        this.logger.debug({ kind: message.kind }, 'ignoring a session message without a known kind');
    }
  }

  private onRequest(envelope: Request__Output | null | undefined): void {
    const xid = typeof envelope?.xid === 'number' ? envelope.xid : 0;
    let request: Request;
    try {
      xidFromProto(envelope as Request__Output);
      request = sessionRequestFromProto(envelope);
    } catch (error) {
      this.enqueueSettled({ response: { xid, zxid: this.facade.lastZxid(), error: toErrorDetail(error) } });
      return;
    }
    const answer: Answer = { settled: false, final: false };
    this.answers.push(answer);
    // Written as the node releases it, in one order with the session's events.
    this.submit(request, (outcome) =>
      outcome.ok ? this.settle(answer, this.responseMessage(xid, outcome.value.zxid, outcome.value.response)) : this.settle(answer, this.errorMessage(xid, outcome.error)),
    );
    if (this.answers.length >= this.settings.maxInFlight) this.pauseReading('in-flight');
  }

  private submit(request: Request, onAnswer: (outcome: AnswerOutcome) => void): void {
    try {
      // The promise says the same as onAnswer; only the callback writes.
      (this.handle as SessionHandle).submit(request, onAnswer).catch(() => undefined);
    } catch (error) {
      onAnswer({ ok: false, error });
    }
  }

  private responseMessage(xid: number, zxid: number, response: Parameters<typeof responseToProto>[0]): ServerMessage {
    try {
      return { response: { xid, zxid, ...responseToProto(response) } };
    } catch (error) {
      return this.errorMessage(xid, error);
    }
  }

  private errorMessage(xid: number, error: unknown): ServerMessage {
    if (!isKeeperError(error)) this.logger.error({ err: error }, 'a session request failed unexpectedly');
    return { response: { xid, zxid: this.facade.lastZxid(), error: toErrorDetail(error) } };
  }

  private onPing(id: unknown): void {
    const zxid = (this.handle as SessionHandle).ping();
    this.outbound.send({ pong: { id: typeof id === 'number' ? id : 0, zxid } });
  }

  private onCloseRequested(): void {
    this.enterFinishing();
    const answer: Answer = { settled: false, final: false };
    this.answers.push(answer);
    Promise.resolve()
      .then(() => (this.handle as SessionHandle).close())
      .then(
        () => {
          this.sessionOver = true;
          this.settleFinal(answer, { closed: { reason: CloseReason.CLOSE_REASON_CLOSED } });
        },
        (error: unknown) => {
          // Closing ends the session, which may fail the close itself after `closed` is queued.
          if (this.finalQueued) this.settle(answer, undefined);
          else this.fail(toGrpcStatus(error));
        },
      );
  }

  /** The client half-closed: it will send nothing more; answer what is outstanding, then end. */
  private onClientEnd(): void {
    if (this.phase === 'awaiting-connect') {
      this.fail(invalidArgument('the Session stream ended before connect'), false);
      return;
    }
    if (this.phase !== 'open') return;
    this.enterFinishing();
    this.enqueueFinal({ settled: true, final: true, detach: true });
  }

  /** Cancelled by the client, or the connection broke. */
  private onTransportGone(reason: unknown): void {
    if (this.phase === 'done') return;
    this.logger.debug({ reason: reason instanceof Error ? reason.message : reason }, 'session stream gone');
    this.phase = 'done';
    this.stopTimers();
    this.outbound.discard();
    this.answers.clear();
    this.detachSession();
    this.onDone(this);
  }

  // ------------------------------------------------------------------------------------------
  // Connecting

  private onConnected(handle: SessionHandle): void {
    if (this.phase === 'done') {
      handle.detach(); // the stream went away while the session was being opened
      return;
    }
    this.handle = handle;
    this.phase = 'open';
    this.outbound.send({
      connected: { sessionId: handle.sessionId, password: handle.password, timeoutMs: handle.timeoutMs, lastZxid: this.facade.lastZxid() },
    });
    for (const event of this.heldEvents.splice(0)) this.outbound.send({ event: watchEventToProto(event) });
    if (this.endedBeforeConnected !== undefined) {
      this.onSessionEnded(this.endedBeforeConnected);
      return;
    }
    for (const message of this.early.splice(0)) this.onMessage(message);
    this.resumeReading('connecting');
  }

  private onConnectFailed(error: unknown): void {
    if (this.phase === 'done') return;
    if (!isKeeperError(error)) this.logger.error({ err: error }, 'opening a session failed unexpectedly');
    this.fail(toGrpcStatus(error), false);
  }

  // ------------------------------------------------------------------------------------------
  // From the session

  private onEvent(event: WatchEvent): void {
    if (this.phase === 'done') return;
    if (this.handle === undefined) {
      if (this.heldEvents.length >= this.settings.maxInFlight) return; // cannot happen before connected in practice
      this.heldEvents.push(event);
      return;
    }
    this.outbound.send({ event: watchEventToProto(event) });
  }

  private onSessionEnded(reason: SessionEndReason): void {
    this.sessionOver = true;
    if (this.phase === 'done') return;
    if (this.handle === undefined) {
      this.endedBeforeConnected = reason;
      return;
    }
    this.enterFinishing();
    this.enqueueFinal({ settled: true, final: true, message: { closed: { reason: CLOSE_REASONS[reason] } } });
  }

  // ------------------------------------------------------------------------------------------
  // Answers, in request order

  private enqueueSettled(message: ServerMessage): void {
    this.answers.push({ settled: true, final: false, message });
    this.flushAnswers();
  }

  private enqueueFinal(answer: Answer): void {
    if (this.finalQueued) return;
    this.finalQueued = true;
    this.answers.push(answer);
    this.flushAnswers();
  }

  private settle(answer: Answer, message: ServerMessage | undefined): void {
    if (this.phase === 'done') return;
    answer.settled = true;
    answer.message = message;
    this.flushAnswers();
  }

  private settleFinal(answer: Answer, message: ServerMessage): void {
    this.finalQueued = true;
    answer.final = true;
    this.settle(answer, message);
  }

  private flushAnswers(): void {
    while (this.phase !== 'done' && this.answers.peek()?.settled === true) {
      const answer = this.answers.shift() as Answer;
      if (answer.message !== undefined) this.outbound.send(answer.message);
      if (answer.final) this.endGracefully(answer.detach === true);
    }
    if (this.pauseReasons.has('in-flight') && this.answers.length <= this.settings.maxInFlight / 2) this.resumeReading('in-flight');
  }

  // ------------------------------------------------------------------------------------------
  // Ending

  /** Take no more requests; answer what is outstanding, within the grace period. */
  private enterFinishing(): void {
    if (this.phase !== 'open') return;
    this.phase = 'finishing';
    this.clearIdleTimer();
    this.graceTimer = setTimeout(() => this.onGraceExpired(), this.settings.finishGraceMs);
  }

  private onGraceExpired(): void {
    if (this.phase === 'done') return;
    const final = this.answers.find((answer) => answer.final && answer.settled);
    this.answers.clear();
    if (final === undefined) {
      this.fail(toGrpcStatus(keeperError('ConnectionLoss', undefined, 'outstanding requests were not answered in time')));
      return;
    }
    if (final.message !== undefined) this.outbound.send(final.message);
    this.endGracefully(final.detach === true);
  }

  /** Write everything queued, then end with status OK. */
  private endGracefully(detach: boolean): void {
    this.phase = 'done';
    this.stopTimers();
    this.answers.clear();
    if (detach) this.detachSession();
    this.outbound.whenFlushed(() => this.call.end());
    this.onDone(this);
  }

  /** End at once with an error status; what was not yet handed to grpc-js is dropped. */
  private fail(status: GrpcStatus, detach = true): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.stopTimers();
    this.outbound.discard();
    this.answers.clear();
    if (detach) this.detachSession();
    this.call.emit('error', status);
    this.onDone(this);
  }

  private onOverflow(): void {
    this.logger.warn({ peer: this.call.getPeer() }, 'session stream cut: the client is not reading');
    this.fail(resourceExhausted('the client is not reading its Session stream'));
  }

  private detachSession(): void {
    if (this.handle !== undefined && !this.sessionOver) {
      this.sessionOver = true;
      this.handle.detach();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Reading and the silence timer

  private pauseReading(reason: PauseReason): void {
    if (this.pauseReasons.size === 0) {
      this.call.pause();
      this.clearIdleTimer(); // messages waiting unread are not silence
    }
    this.pauseReasons.add(reason);
  }

  private resumeReading(reason: PauseReason): void {
    if (!this.pauseReasons.delete(reason) || this.pauseReasons.size > 0) return;
    this.touch();
    this.call.resume();
  }

  /**
   * A message arrived: the client is alive. Only the time is noted; the one timer re-checks it
   * when it fires, so a busy stream does not re-arm a timer per message.
   */
  private touch(): void {
    if (this.phase !== 'open' || this.handle === undefined || this.pauseReasons.size > 0) return;
    this.lastHeardMs = Date.now();
    if (this.idleTimer === undefined) this.armIdleTimer(this.handle.timeoutMs, 'no message for the session timeout');
  }

  private armIdleTimer(timeoutMs: number, why: string): void {
    this.clearIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const silentMs = Date.now() - this.lastHeardMs;
      if (this.phase === 'open' && silentMs < timeoutMs) this.armIdleTimer(timeoutMs - silentMs, why);
      else if (this.phase === 'awaiting-connect' || this.phase === 'open') this.onSilence(why);
    }, timeoutMs);
  }

  private onSilence(why: string): void {
    if (this.phase === 'awaiting-connect') {
      this.fail({ code: grpc.status.DEADLINE_EXCEEDED, details: why, metadata: new grpc.Metadata() }, false);
      return;
    }
    this.fail(toGrpcStatus(keeperError('ConnectionLoss', undefined, why)));
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private stopTimers(): void {
    this.clearIdleTimer();
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}

/** The `connect` message → what the facade needs to open or resume the session. */
export function connectOptionsFromProto(connect: Connect__Output, transportIds: AuthId[]): ConnectOptions {
  const message = validate.object(connect, 'connect');
  const sessionId = validate.safeInteger(message.sessionId, 'connect.sessionId');
  const timeoutMs = validate.int32(message.timeoutMs, 'connect.timeoutMs');
  const lastZxidSeen = validate.safeInteger(message.lastZxidSeen, 'connect.lastZxidSeen');
  const password = validate.bytes(message.password, 'connect.password');
  if (sessionId < 0) throw keeperError('BadArguments', undefined, 'connect.sessionId: must not be negative');
  if (timeoutMs <= 0) throw keeperError('BadArguments', undefined, 'connect.timeoutMs: must be positive');
  const options: ConnectOptions = { timeoutMs, lastZxidSeen, transportIds };
  if (sessionId !== 0) {
    options.sessionId = sessionId;
    options.password = password;
  }
  return options;
}

function invalidArgument(details: string): GrpcStatus {
  return { code: grpc.status.INVALID_ARGUMENT, details, metadata: new grpc.Metadata() };
}

function resourceExhausted(details: string): GrpcStatus {
  return { code: grpc.status.RESOURCE_EXHAUSTED, details, metadata: new grpc.Metadata() };
}
