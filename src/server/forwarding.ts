// What a learner sends its leader besides ZAB's own messages, and what comes back: writes to
// prepare (with the identities of the session that made them), session creation and closing,
// session heartbeats for the leader's expiry, and the answers to writes that made no txn.
// A forwarded write is binary (every write a follower's clients make crosses here, and the
// leader decodes them all: JSON was 4 % of a busy leader's CPU); the rest is JSON with binary
// fields as base64 (rare: sessions, touches, answers to writes that made no txn). The first byte
// tells them apart: REQUEST_TAG, or '{'.

import { Reader, Writer } from '../core/codec.js';
import { keeperError } from '../core/errors.js';
import type { AuthId } from '../core/acl.js';
import { isCreateMode, type ACL, type MultiOp, type MultiResult, type SessionId, type WriteRequest } from '../core/types.js';

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

const REQUEST_TAG = 1;
const OPS = { create: 1, delete: 2, setData: 3, check: 4, setACL: 5, multi: 6 } as const;

function writeOp(writer: Writer, request: WriteRequest): void {
  writer.u8(OPS[request.op]);
  switch (request.op) {
    case 'create':
      writer.string(request.path).bytes(request.data).acl(request.acl).u8(request.mode);
      if (request.ttl === undefined) writer.u8(0);
      else writer.u8(1).i64(request.ttl);
      return;
    case 'delete':
    case 'check':
      writer.string(request.path).i32(request.version);
      return;
    case 'setData':
      writer.string(request.path).bytes(request.data).i32(request.version);
      return;
    case 'setACL':
      writer.string(request.path).acl(request.acl).i32(request.version);
      return;
    case 'multi':
      writer.u32(request.ops.length);
      for (const op of request.ops) writeOp(writer, op);
      return;
  }
}

function readOp(reader: Reader, nested: boolean): WriteRequest {
  const code = reader.u8();
  switch (code) {
    case OPS.create: {
      const path = reader.string();
      const data = reader.bytesOrNull();
      const acl: ACL[] = reader.acl();
      const mode = reader.u8();
      if (!isCreateMode(mode)) throw keeperError('MarshallingError', undefined, `a forwarded create of mode ${mode}`);
      const hasTtl = reader.u8() === 1;
      return hasTtl ? { op: 'create', path, data, acl, mode, ttl: reader.i64() } : { op: 'create', path, data, acl, mode };
    }
    case OPS.delete:
      return { op: 'delete', path: reader.string(), version: reader.i32() };
    case OPS.check:
      return { op: 'check', path: reader.string(), version: reader.i32() };
    case OPS.setData:
      return { op: 'setData', path: reader.string(), data: reader.bytesOrNull(), version: reader.i32() };
    case OPS.setACL:
      return { op: 'setACL', path: reader.string(), acl: reader.acl(), version: reader.i32() };
    case OPS.multi: {
      if (nested) throw keeperError('MarshallingError', undefined, 'a multi inside a forwarded multi');
      // The smallest op is a tag, an empty path and a version.
      const count = reader.count(9);
      const ops: MultiOp[] = [];
      for (let index = 0; index < count; index++) {
        const op = readOp(reader, true);
        if (op.op === 'multi' || op.op === 'setACL') throw keeperError('MarshallingError', undefined, `a forwarded multi holds ${op.op}`);
        ops.push(op);
      }
      return { op: 'multi', ops };
    }
    default:
      throw keeperError('MarshallingError', undefined, `a forwarded write of unknown kind ${code}`);
  }
}

function encodeRequest(message: Extract<ForwardedMessage, { kind: 'request' }>): Uint8Array {
  const writer = new Writer(64 + message.identities.length * 32 + approximateSize(message.request));
  writer.u8(REQUEST_TAG).i64(message.sessionId).i32(message.cxid).u32(message.identities.length);
  for (const identity of message.identities) writer.string(identity.scheme).string(identity.id);
  writeOp(writer, message.request);
  return writer.finish();
}

function approximateSize(request: WriteRequest): number {
  if (request.op === 'multi') return request.ops.reduce((sum, op) => sum + approximateSize(op), 8);
  return 32 + request.path.length * 3 + ('data' in request && request.data !== null ? request.data.length : 0);
}

function decodeRequest(bytes: Uint8Array): ForwardedMessage {
  const reader = new Reader(bytes);
  reader.u8();
  const sessionId = reader.i64();
  const cxid = reader.i32();
  // Two empty strings are the smallest identity.
  const identityCount = reader.count(8);
  const identities: AuthId[] = [];
  for (let index = 0; index < identityCount; index++) identities.push({ scheme: reader.string(), id: reader.string() });
  const request = readOp(reader, false);
  if (reader.remaining !== 0) throw keeperError('MarshallingError', undefined, `${reader.remaining} bytes after a forwarded write`);
  return { kind: 'request', sessionId, cxid, identities, request };
}

export function encodeForwarded(message: ForwardedMessage | ForwardReply): Uint8Array {
  if ('kind' in message && message.kind === 'request') return encodeRequest(message);
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
  if (bytes[0] === REQUEST_TAG) return decodeRequest(bytes);
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
