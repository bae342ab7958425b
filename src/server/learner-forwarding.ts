// Both ends of a learner's forwarding (the messages and their codec are in forwarding.ts). A
// learner prepares no writes: it forwards each write, session open and session close to the
// leader, and answers it when its txn is applied here, or when the leader replies that it made
// none. The leader prepares what its learners forward as it prepares its own writes, and replies
// to one that made no txn (a refusal) once every earlier proposal is committed.

import type { Logger } from 'pino';
import { ERRORS, keeperError, type ErrorName, type KeeperError } from '../core/errors.js';
import { MultiFailure } from '../core/prep.js';
import type { Response, SessionId, Txn, TxnRecord, WriteRequest, Zxid } from '../core/types.js';
import type { ServerId } from '../zab/types.js';
import { requestKey, type ForwardedMessage, type ForwardReply } from './forwarding.js';
import type { Settle } from './ordered-replies.js';
import { asKeeperError, type Answer, type Current, type Origin, type WritePipeline } from './pipeline.js';
import type { Replicator } from './replicator.js';
import type { SessionTable } from './sessions.js';

type Awaiting = (result: Settle<Response | undefined>) => void;

/** Forwarded messages that wait for an answer, named by (session, cxid). */
type AnsweredMessage = Extract<ForwardedMessage, { cxid: number }>;

export interface LearnerForwarderOptions {
  current: Pick<Current, 'state'>;
  replicator: Pick<Replicator, 'forward'>;
  /** Makes this server's cxids unique in the ensemble. */
  serverId: number;
}

/** Learner: the writes and session changes forwarded to the leader, until they are answered. */
export class LearnerForwarder {
  /** Writes forwarded to the leader, by session and cxid, answered when their txn is applied. */
  private readonly forwardedWrites = new Map<string, Awaiting>();
  private cxidCounter = 0;
  private readonly current: Pick<Current, 'state'>;
  private readonly replicator: Pick<Replicator, 'forward'>;
  private readonly serverId: number;

  constructor(options: LearnerForwarderOptions) {
    this.current = options.current;
    this.replicator = options.replicator;
    this.serverId = options.serverId;
  }

  /** A client's write goes to the leader; its answer comes with the txn, or as a reply. */
  forwardWrite(request: WriteRequest, origin: Origin, settle: (result: Settle<Answer>) => void): void {
    const message: AnsweredMessage = { kind: 'request', sessionId: origin.sessionId, cxid: this.nextCxid(), identities: [...origin.identities], request };
    this.send(message, (result) => settle(result.ok ? { ok: true, value: { response: result.value!, zxid: this.current.state.lastZxid } } : { ok: false, error: result.error }));
  }

  forwardCreateSession(sessionId: SessionId, timeoutMs: number, password: Uint8Array): Promise<Response | undefined> {
    return this.forwardAndWait({ kind: 'createSession', sessionId, cxid: this.nextCxid(), timeoutMs, password });
  }

  forwardCloseSession(sessionId: SessionId): Promise<Response | undefined> {
    return this.forwardAndWait({ kind: 'closeSession', sessionId, cxid: this.nextCxid() });
  }

  private forwardAndWait(message: AnsweredMessage): Promise<Response | undefined> {
    return new Promise((resolve, reject) => this.send(message, (result) => (result.ok ? resolve(result.value) : reject(result.error))));
  }

  private send(message: AnsweredMessage, answer: Awaiting): void {
    const key = requestKey(message.sessionId, message.cxid);
    this.forwardedWrites.set(key, answer);
    if (this.replicator.forward(message)) return;
    this.forwardedWrites.delete(key);
    answer({ ok: false, error: keeperError('ConnectionLoss', undefined, 'this server has no leader now') });
  }

  /** Unique per server (the server id in the top bits), so (session, cxid) names one request. */
  private nextCxid(): number {
    this.cxidCounter = (this.cxidCounter + 1) & 0x7f_ffff;
    return (this.serverId << 23) | this.cxidCounter;
  }

  /** A txn was applied: a write this server forwarded is answered with it. */
  onApplied(record: TxnRecord, response: Response | undefined): void {
    // Only a learner forwards writes; a leader or standalone server skips the key building.
    if (this.forwardedWrites.size === 0) return;
    const key = requestKey(record.header.sessionId, record.header.cxid);
    const forwarded = this.forwardedWrites.get(key);
    if (forwarded === undefined) return;
    this.forwardedWrites.delete(key);
    forwarded({ ok: true, value: response });
  }

  /** The leader answered a forwarded write that made no txn. */
  onForwardReply(reply: ForwardReply): void {
    const key = requestKey(reply.sessionId, reply.cxid);
    const pending = this.forwardedWrites.get(key);
    if (pending === undefined) return;
    this.forwardedWrites.delete(key);
    if ('multiResults' in reply) pending({ ok: true, value: { op: 'multi', results: reply.multiResults } });
    else pending({ ok: false, error: keeperErrorFromReply(reply.error) });
  }

  /** The leader is gone: what was forwarded has an unknown outcome. */
  failAll(error: KeeperError): void {
    for (const settle of this.forwardedWrites.values()) settle({ ok: false, error });
    this.forwardedWrites.clear();
  }
}

export interface ForwardedRequestHandlerOptions {
  current: Current;
  replicator: Pick<Replicator, 'nextZxid' | 'reply'>;
  sessions: Pick<SessionTable, 'negotiateTimeout' | 'onTouches' | 'startExpiring' | 'stopExpiring'>;
  pipeline: Pick<WritePipeline, 'prepareWrite' | 'propose'>;
  logger: Logger;
}

/** Leader: proposes what its learners forward, or replies with the refusal. */
export class ForwardedRequestHandler {
  private readonly current: Current;
  private readonly replicator: ForwardedRequestHandlerOptions['replicator'];
  private readonly sessions: ForwardedRequestHandlerOptions['sessions'];
  private readonly pipeline: ForwardedRequestHandlerOptions['pipeline'];
  private readonly logger: Logger;

  constructor(options: ForwardedRequestHandlerOptions) {
    this.current = options.current;
    this.replicator = options.replicator;
    this.sessions = options.sessions;
    this.pipeline = options.pipeline;
    this.logger = options.logger;
  }

  onForwarded(from: ServerId, message: ForwardedMessage): void {
    switch (message.kind) {
      case 'touch':
        this.sessions.onTouches(message.sessions);
        return;
      case 'createSession':
        this.proposeForwarded(from, message, () => {
          const timeoutMs = this.sessions.negotiateTimeout(message.timeoutMs);
          this.sessions.startExpiring(message.sessionId, timeoutMs);
          return { type: 'createSession', timeoutMs, password: message.password };
        });
        return;
      case 'closeSession':
        if (!this.current.state.sessions.has(message.sessionId) || this.current.prep.isClosing(message.sessionId)) {
          this.refuse(from, message, keeperError('SessionExpired'));
          return;
        }
        this.proposeForwarded(from, message, (zxid) => {
          this.sessions.stopExpiring(message.sessionId);
          return this.current.prep.prepareCloseSession(message.sessionId, zxid);
        });
        return;
      case 'request':
        this.proposeForwarded(from, message, (zxid) => this.pipeline.prepareWrite(message.request, message, zxid));
        return;
    }
  }

  /** Prepares a learner's write; a refusal goes back as a reply after earlier commits. */
  private proposeForwarded(from: ServerId, message: AnsweredMessage, prepare: (zxid: Zxid) => Txn): void {
    const zxid = this.replicator.nextZxid();
    if (zxid === null) {
      this.refuse(from, message, keeperError('ConnectionLoss'));
      return;
    }
    let txn: Txn;
    try {
      txn = prepare(zxid);
    } catch (error) {
      if (error instanceof MultiFailure) this.replicator.reply(from, { sessionId: message.sessionId, cxid: message.cxid, multiResults: error.results });
      else this.refuse(from, message, asKeeperError(error, this.logger));
      return;
    }
    this.pipeline.propose(message.sessionId, message.cxid, zxid, txn).catch(() => undefined);
  }

  private refuse(from: ServerId, message: AnsweredMessage, error: KeeperError): void {
    const reason = error.path === undefined ? { code: error.code, name: error.codeName, message: error.message } : { code: error.code, name: error.codeName, message: error.message, path: error.path };
    this.replicator.reply(from, { sessionId: message.sessionId, cxid: message.cxid, error: reason });
  }
}

function keeperErrorFromReply(error: { name: string; message: string; path?: string }): KeeperError {
  const name = (error.name in ERRORS ? error.name : 'SystemError') as ErrorName;
  return keeperError(name, error.path, error.message);
}
