// GET /v1/watch/{path}: a stateless persistent watch streamed as Server-Sent Events.
//
// Events of one transaction are written together and only the last of them carries `id:`
// (its zxid), so a client that reconnects with Last-Event-ID never resumes in the middle of a
// transaction. What one client does not read stays in its own bounded buffer; past the bound it
// gets an "overflow" event and is cut, and nobody else waits for it.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { keeperError } from '../../core/errors.js';
import { checkACL } from '../../core/acl.js';
import { Perms, type ACL, type WatchEvent, type Zxid } from '../../core/types.js';
import type { ServerFacade, Unsubscribe } from '../../server/facade.js';
import { znodePath } from './context.js';
import { eventTypeName } from './event-names.js';
import { requestIdentities } from './identity.js';
import type { WatchHistory } from './watch-history.js';

export interface SseLimits {
  /** Bytes written but not yet taken by the client before it is cut. */
  maxBufferedBytes: number;
  /** How often an idle stream gets a comment line, so proxies and dead peers are noticed. */
  heartbeatIntervalMs: number;
  /** How long the client of an ended stream may take none of what is left before its socket is destroyed. */
  closeGraceMs: number;
}

export interface SseStats {
  open: number;
  cut: number;
}

export class SseStreams {
  private readonly streams = new Set<SseStream>();
  private readonly heartbeat: NodeJS.Timeout;
  cutCount = 0;

  constructor(
    private readonly facade: ServerFacade,
    private readonly history: WatchHistory,
    readonly limits: SseLimits,
    private readonly logger: Pick<Logger, 'debug' | 'warn'>,
    private readonly superDigest: string | undefined,
  ) {
    // One timer for every stream rather than one per stream: thousands of watchers are the point.
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.write(': keepalive\n\n');
    }, limits.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  get open(): number {
    return this.streams.size;
  }

  handle(http: FastifyRequest, reply: FastifyReply): void {
    const path = znodePath(http);
    const recursive = (http.query as { recursive?: boolean }).recursive === true;
    const identities = requestIdentities(http.socket, http.headers.authorization);
    const lastEventHeader = http.headers['last-event-id'];
    const lastEventId = typeof lastEventHeader === 'string' && lastEventHeader !== '' ? Number(lastEventHeader) : undefined;
    if (lastEventId !== undefined && !Number.isSafeInteger(lastEventId)) throw keeperError('BadArguments', undefined, 'Last-Event-ID must be a zxid');

    const stream = new SseStream(reply.raw, this, this.logger);
    // Subscribing checks the path and the READ permission; a refusal is still an HTTP error.
    const unsubscribe = this.facade.watchStateless(path, recursive, identities, (event) => stream.onEvent(event));
    const zxid = this.facade.lastZxid();
    reply.hijack();
    stream.start(unsubscribe, zxid);
    this.streams.add(stream);
    http.raw.on('close', () => {
      stream.stop();
      this.streams.delete(stream);
    });
    // Replayed synchronously with the subscription: no live event can come in between.
    if (lastEventId !== undefined) {
      const mayRead = (acl: readonly ACL[] | null) => acl === null || checkACL(acl, Perms.READ, identities, this.superDigest);
      const missed = this.history.replay(lastEventId, path, recursive, zxid, mayRead);
      if (missed === null) stream.writeControl('resync', { zxid, reason: `the server no longer holds the changes after zxid ${lastEventId}; read the state again` }, zxid);
      else for (const event of missed) stream.onEvent(event);
    } else {
      stream.writeControl('ready', { zxid, path, recursive }, zxid);
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const stream of this.streams) stream.end('shutdown', 'the server is shutting down');
    this.streams.clear();
  }

  onCut(stream: SseStream): void {
    this.cutCount++;
    this.streams.delete(stream);
  }
}

class SseStream {
  private unsubscribe: Unsubscribe | undefined;
  private pending: WatchEvent[] = [];
  private flushScheduled = false;
  private done = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly owner: SseStreams,
    private readonly logger: Pick<Logger, 'debug' | 'warn'>,
  ) {}

  start(unsubscribe: Unsubscribe, zxid: Zxid): void {
    this.unsubscribe = unsubscribe;
    this.response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'Cairn-Zxid': String(zxid),
    });
    this.response.flushHeaders();
    this.write('retry: 1000\n\n');
  }

  onEvent(event: WatchEvent): void {
    if (this.done) return;
    this.pending.push(event);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Every event of a transaction is delivered within one synchronous apply: flushing in a
      // microtask writes whole transactions and knows which event ends each.
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const events = this.pending;
    this.pending = [];
    if (this.done) return;
    let text = '';
    for (let index = 0; index < events.length; index++) {
      const event = events[index] as WatchEvent;
      const endsTransaction = index + 1 === events.length || (events[index + 1] as WatchEvent).zxid !== event.zxid;
      const name = eventTypeName(event.type);
      text += `event: ${name}\n${endsTransaction ? `id: ${event.zxid}\n` : ''}data: ${JSON.stringify({ type: name, path: event.path, zxid: event.zxid })}\n\n`;
    }
    this.write(text);
  }

  writeControl(name: string, data: Record<string, unknown>, id?: Zxid): void {
    this.write(`event: ${name}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
  }

  write(text: string): void {
    if (this.done) return;
    this.response.write(text);
    if (this.response.writableLength > this.owner.limits.maxBufferedBytes) {
      this.logger.warn({ bufferedBytes: this.response.writableLength }, 'SSE client cut: it does not read its stream');
      this.owner.onCut(this);
      this.end('overflow', `the client fell more than ${this.owner.limits.maxBufferedBytes} bytes behind; reconnect with Last-Event-ID`);
    }
  }

  /** Ends the stream with a last event saying why; a client that never reads it is destroyed. */
  end(name: string, reason: string): void {
    if (this.done) return;
    this.response.write(`event: ${name}\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.stop();
    this.response.end();
    const socket = this.response.socket;
    if (socket !== null) destroyWhenStalled(socket, this.owner.limits.closeGraceMs);
  }

  stop(): void {
    if (this.done) return;
    this.done = true;
    this.pending = [];
    this.unsubscribe?.();
    this.logger.debug('SSE stream ended');
  }
}

/**
 * Destroys the socket of an ended stream once its client has taken none of what is left for a
 * whole `graceMs`. Judged by progress rather than after a fixed delay: a cut client that reads
 * again gets its last event however long its socket buffers take to drain (megabytes, on a busy
 * machine longer than a fixed delay), while one that does not read at all is gone after `graceMs`.
 * Once everything has gone out it is an ordinary keep-alive connection.
 */
function destroyWhenStalled(socket: Socket, graceMs: number): void {
  let left = socket.writableLength;
  const check = (): void => {
    if (socket.destroyed || socket.writableLength === 0) return;
    if (socket.writableLength < left) {
      left = socket.writableLength;
      setTimeout(check, graceMs).unref();
    } else {
      socket.destroy();
    }
  };
  setTimeout(check, graceMs).unref();
}
