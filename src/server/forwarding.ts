// What a learner sends its leader besides ZAB's own messages, and what comes back: writes to
// prepare (with the identities of the session that made them), session creation and closing,
// session heartbeats for the leader's expiry, and the answers to writes that made no txn.
// JSON with binary fields as base64: forwarding is per request and never on the leader's own
// hot path (its own clients' writes are prepared locally).

import { keeperError } from '../core/errors.js';
import type { AuthId } from '../core/acl.js';
import type { MultiResult, SessionId, WriteRequest } from '../core/types.js';

export type ForwardedMessage =
  | { kind: 'request'; sessionId: SessionId; cxid: number; identities: AuthId[]; request: WriteRequest }
  | { kind: 'createSession'; sessionId: SessionId; cxid: number; timeoutMs: number; password: Uint8Array }
  | { kind: 'closeSession'; sessionId: SessionId; cxid: number }
  /** Sessions whose clients were heard from since the last touch, with their timeouts. */
  | { kind: 'touch'; sessions: [SessionId, number][] };

export type ForwardReply =
  | { sessionId: SessionId; cxid: number; error: { code: number; name: string; message: string; path?: string } }
  | { sessionId: SessionId; cxid: number; multiResults: MultiResult[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Binary fields as base64; reads the raw field, since a Buffer's toJSON runs before a replacer sees it. */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$bytes' in value && Object.keys(value).length === 1) {
    return new Uint8Array(Buffer.from(String((value as { $bytes: string }).$bytes), 'base64'));
  }
  return value;
}

export function encodeForwarded(message: ForwardedMessage | ForwardReply): Uint8Array {
  return encoder.encode(JSON.stringify(message, replacer));
}

function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes), reviver);
  } catch (error) {
    throw keeperError('MarshallingError', undefined, `a forwarded message is not valid JSON: ${(error as Error).message}`);
  }
}

export function decodeForwarded(bytes: Uint8Array): ForwardedMessage {
  const value = decodeJson(bytes) as ForwardedMessage;
  if (value === null || typeof value !== 'object' || !['request', 'createSession', 'closeSession', 'touch'].includes(value.kind)) {
    throw keeperError('MarshallingError', undefined, 'a forwarded message of unknown kind');
  }
  return value;
}

export function decodeForwardReply(bytes: Uint8Array): ForwardReply {
  const value = decodeJson(bytes) as ForwardReply;
  if (value === null || typeof value !== 'object' || typeof value.sessionId !== 'number' || typeof value.cxid !== 'number') {
    throw keeperError('MarshallingError', undefined, 'a malformed forwarded reply');
  }
  return value;
}

export function requestKey(sessionId: SessionId, cxid: number): string {
  return `${sessionId}:${cxid}`;
}
