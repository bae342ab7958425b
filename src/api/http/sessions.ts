// ZooKeeper sessions for stateless HTTP requests. `POST /v1/sessions` opens one through the
// facade and keeps its SessionHandle here, keyed by session id; a request carrying the session's
// token (id + password) runs on that handle, which keeps the session alive and makes it the owner
// of the ephemerals it creates. A token for a session this server does not hold (opened over
// another transport, or before a restart) resumes it by id and password, as any ZooKeeper client
// may. The registry is bounded; sessions leave it when they end.

import { timingSafeEqual } from 'node:crypto';
import type { AuthId } from '../../core/acl.js';
import { keeperError } from '../../core/errors.js';
import type { SessionId } from '../../core/types.js';
import type { ServerFacade, SessionHandle, SessionSink } from '../../server/facade.js';

interface Entry {
  handle: SessionHandle;
  /** Digest identities already added to the session, so each is added once. */
  credentials: Set<string>;
}

export interface SessionCredentials {
  /** `user:password` bytes for an auth request, and the digest id they give. */
  raw: Uint8Array;
  id: AuthId;
}

export function sessionToken(handle: Pick<SessionHandle, 'sessionId' | 'password'>): string {
  return `${handle.sessionId.toString(16)}.${Buffer.from(handle.password).toString('base64url')}`;
}

export function parseSessionToken(token: string): { sessionId: SessionId; password: Uint8Array } {
  const match = /^([0-9a-f]{1,14})\.([A-Za-z0-9_-]+)$/.exec(token);
  if (match === null) throw keeperError('SessionExpired', undefined, 'the Cairn-Session token is malformed');
  const sessionId = Number.parseInt(match[1] as string, 16);
  if (!Number.isSafeInteger(sessionId) || sessionId <= 0) throw keeperError('SessionExpired', undefined, 'the Cairn-Session token names no session');
  return { sessionId, password: new Uint8Array(Buffer.from(match[2] as string, 'base64url')) };
}

export class HttpSessions {
  private readonly entries = new Map<SessionId, Entry>();
  private readonly resuming = new Map<SessionId, Promise<Entry>>();

  constructor(
    private readonly facade: ServerFacade,
    private readonly limit: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async open(timeoutMs: number, identities: AuthId[]): Promise<SessionHandle> {
    if (this.entries.size + this.resuming.size >= this.limit) {
      throw keeperError('Throttled', undefined, `this server holds ${this.limit} HTTP sessions already; close some or use the WebSocket channel`);
    }
    const entry = await this.connect({ timeoutMs, transportIds: identities });
    return entry.handle;
  }

  /** The session a token names, resumed if this server does not hold it; with `credentials` added. */
  async resolve(token: string, identities: AuthId[], credentials?: SessionCredentials): Promise<SessionHandle> {
    const { sessionId, password } = parseSessionToken(token);
    let entry = this.entries.get(sessionId);
    if (entry !== undefined) {
      if (!samePassword(entry.handle.password, password)) throw keeperError('SessionExpired', undefined, `session 0x${sessionId.toString(16)}: wrong password`);
    } else {
      let pending = this.resuming.get(sessionId);
      if (pending === undefined) {
        // Connect first, so that a wrong id or password is SessionExpired even when the registry
        // is full; a resume past the bound is let go at once.
        pending = this.connect({ sessionId, password, timeoutMs: 1, transportIds: identities })
          .then((resumed) => {
            if (this.entries.size > this.limit) {
              this.entries.delete(sessionId);
              resumed.handle.detach();
              throw keeperError('Throttled', undefined, `this server holds ${this.limit} HTTP sessions already`);
            }
            return resumed;
          })
          .finally(() => this.resuming.delete(sessionId));
        this.resuming.set(sessionId, pending);
      }
      entry = await pending;
      if (!samePassword(entry.handle.password, password)) throw keeperError('SessionExpired', undefined, `session 0x${sessionId.toString(16)}: wrong password`);
    }
    if (credentials !== undefined && !entry.credentials.has(credentials.id.id)) {
      await entry.handle.submit({ op: 'auth', scheme: 'digest', credentials: credentials.raw });
      entry.credentials.add(credentials.id.id);
    }
    return entry.handle;
  }

  async close(token: string, identities: AuthId[]): Promise<void> {
    const handle = await this.resolve(token, identities);
    await handle.close();
    this.entries.delete(handle.sessionId);
  }

  /** The server is stopping: let go of every handle; the sessions live on until they expire. */
  detachAll(): void {
    for (const entry of this.entries.values()) entry.handle.detach();
    this.entries.clear();
  }

  private async connect(options: Parameters<ServerFacade['connect']>[0]): Promise<Entry> {
    let sessionId: SessionId | undefined;
    const sink: SessionSink = {
      // HTTP requests set no watches (reads go with watch=false), so no event can arrive.
      onEvent: () => undefined,
      onSessionClosed: () => {
        if (sessionId !== undefined && this.entries.get(sessionId)?.handle === handle) this.entries.delete(sessionId);
      },
    };
    const handle = await this.facade.connect(options, sink);
    sessionId = handle.sessionId;
    const entry: Entry = { handle, credentials: new Set(options.transportIds.filter((id) => id.scheme === 'digest').map((id) => id.id)) };
    this.entries.set(sessionId, entry);
    return entry;
  }
}

function samePassword(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}
