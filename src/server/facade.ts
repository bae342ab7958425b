// What a facade (gRPC, REST, WebSocket, jute) sees of a server. Facades translate their wire input
// into core Requests, call these, and translate Responses / KeeperErrors back. They never touch
// the tree, the log or the session table directly.

import type { ACL, Request, Response, SessionId, WatchEvent, Zxid } from '../core/types.js';
import type { AuthId } from '../core/acl.js';

/** Where the server pushes what a session channel carries besides responses. */
export interface SessionSink {
  /** A watch notification; delivered before any later response that shows the change. */
  onEvent(event: WatchEvent): void;
  /**
   * The channel ended: the session expired, was closed by the client, the server shut down, or
   * the session was resumed on another channel ('moved': this channel is done, the session lives),
   * or this server lost its leader ('unavailable': resume the session on another server).
   */
  onSessionClosed(reason: 'expired' | 'closed' | 'shutdown' | 'moved' | 'unavailable'): void;
}

export interface ConnectOptions {
  /** 0 (or absent) opens a new session; otherwise resume this one. */
  sessionId?: SessionId;
  password?: Uint8Array;
  /** Requested timeout; the server negotiates it into [minSessionTimeout, maxSessionTimeout]. */
  timeoutMs: number;
  /** The highest zxid the client has seen; a server behind it refuses the client. */
  lastZxidSeen?: Zxid;
  /** Identities the transport established (e.g. `ip:127.0.0.1`). */
  transportIds: AuthId[];
}

export interface SessionHandle {
  readonly sessionId: SessionId;
  readonly password: Uint8Array;
  readonly timeoutMs: number;
  /**
   * Submit one request. Answers resolve in submission order per session (FIFO), with a Response
   * or reject with a KeeperError. `zxid` is the server's last zxid when answering.
   *
   * `onAnswer`, when given, is called synchronously as the answer is released — in one order with
   * `SessionSink.onEvent` calls, as ZooKeeper sends them (a write's response before the event of a
   * later write) — and exactly once, even when the request is refused at once. A facade that
   * writes from it keeps that order; one that writes from the promise writes a step later.
   */
  submit(request: Request, onAnswer?: (answer: AnswerOutcome) => void): Promise<{ response: Response; zxid: Zxid }>;
  /** A heartbeat: keeps the session alive. Returns the server's last zxid. */
  ping(): Zxid;
  /** Close the session (a closeSession txn); ephemerals go, watches fire. */
  close(): Promise<void>;
  /** The transport went away; the session stays until it expires or is resumed elsewhere. */
  detach(): void;
}

export type AnswerOutcome = { ok: true; value: { response: Response; zxid: Zxid } } | { ok: false; error: unknown };

/**
 * Who may hear of a change, as a persistent watch is told it: `node` is the ACL of the changed node
 * (null when it is gone), `parent` that of its parent (null for the root, or when it is gone). A
 * watcher of the node hears of a create or data change if it may read the node, of a delete if it
 * may read the parent; a watcher of the parent hears of its child list changing if it may read the parent.
 */
export interface EventReaders {
  node: readonly ACL[] | null;
  parent: readonly ACL[] | null;
}

/** An unsubscribe function for a stateless watch stream. */
export type Unsubscribe = () => void;

export interface ServerFacade {
  /** Open or resume a session. Rejects with SessionExpired for a wrong password or unknown id. */
  connect(options: ConnectOptions, sink: SessionSink): Promise<SessionHandle>;
  /** A session-less request (unary gRPC, REST): runs with the given identities, no watches. */
  submitStateless(request: Request, identities: AuthId[]): Promise<{ response: Response; zxid: Zxid }>;
  /**
   * Subscribe to changes of a path (and its subtree when recursive) without a session: a
   * persistent watch whose events go to `onEvent` until unsubscribed.
   */
  watchStateless(path: string, recursive: boolean, identities: AuthId[], onEvent: (event: WatchEvent) => void): Unsubscribe;
  /**
   * Every NodeCreated, NodeDeleted and NodeDataChanged of the whole tree, each with the ACLs that
   * decide who may hear of it, so a recorder can later replay to each watcher what it may read.
   */
  watchAllChanges(onEvent: (event: WatchEvent, readers: EventReaders) => void): Unsubscribe;
  /** The last applied zxid. */
  lastZxid(): Zxid;
}
