// Decodes server frames into comparable values for the byte-level tests: every field of every
// record, with the values two servers legitimately differ in (zxids, times, session ids and
// passwords) masked. Decoding must consume each frame exactly, so a missing or extra field in
// either server's encoding fails the comparison.

import { JuteReader } from '../../src/api/jute/records.js';

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

const MASKED = '<masked>';

function zxid(value: number): Value {
  // -1 marks notifications and refusals; 0 is what auth replies carry. Both are part of the format.
  return value === -1 || value === 0 ? value : MASKED;
}

function stat(reader: JuteReader): Value {
  const czxid = reader.long();
  const mzxid = reader.long();
  reader.long(); // ctime
  reader.long(); // mtime
  const version = reader.int();
  const cversion = reader.int();
  const aversion = reader.int();
  const owner = reader.long();
  const dataLength = reader.int();
  const numChildren = reader.int();
  const pzxid = reader.long();
  return {
    czxid: zxid(czxid),
    mzxid: zxid(mzxid),
    version,
    cversion,
    aversion,
    ephemeralOwner: owner === 0 ? 0 : MASKED,
    dataLength,
    numChildren,
    pzxid: zxid(pzxid),
  };
}

function buffer(reader: JuteReader): Value {
  const bytes = reader.buffer();
  return bytes === null ? null : Buffer.from(bytes).toString('hex');
}

/**
 * Children and ephemeral paths: ZooKeeper lists them in its hash set's order and documents no
 * order at all, so both sides are compared sorted.
 */
function strings(reader: JuteReader): Value {
  const items = reader.vector((inner) => inner.string());
  return items === null ? null : [...items].sort();
}

function acl(reader: JuteReader): Value {
  return reader.vector((inner) => ({ perms: inner.int(), scheme: inner.string(), id: inner.string() }));
}

/** Request opcodes whose reply bodies this decoder knows (zookeeper.jute). */
function body(opcode: number, reader: JuteReader): Value {
  switch (opcode) {
    case 1:
      return { path: reader.string() };
    case 15:
    case 19:
    case 21:
      return { path: reader.string(), stat: stat(reader) };
    case 3:
    case 5:
    case 7:
      return { stat: stat(reader) };
    case 4:
      return { data: buffer(reader), stat: stat(reader) };
    case 6:
      return { acl: acl(reader), stat: stat(reader) };
    case 8:
      return { children: strings(reader) };
    case 12:
      return { children: strings(reader), stat: stat(reader) };
    case 9:
      return { path: reader.string() };
    case 14:
    case 22:
      return { results: multiResults(reader) };
    case 103:
      return { ephemerals: strings(reader) };
    case 104:
      return { totalNumber: reader.int() };
    case 106:
      return { err: reader.int() };
    case 102:
      return { token: buffer(reader) };
    case 107: {
      // The order of a session's identities is not part of the contract (ZooKeeper itself varies).
      const infos = reader.vector((inner) => `${inner.string()}:${inner.string()}`) ?? [];
      return { clientInfo: [...infos].sort() };
    }
    default:
      return null;
  }
}

function multiResults(reader: JuteReader): Value {
  const results: Value[] = [];
  for (;;) {
    const type = reader.int();
    const done = reader.bool();
    const err = reader.int();
    if (done) {
      results.push({ end: [type, err] });
      return results;
    }
    switch (type) {
      case -1:
        results.push({ type, err, errorResponse: reader.int() });
        break;
      case 1:
        results.push({ type, err, path: reader.string() });
        break;
      case 15:
        results.push({ type, err, path: reader.string(), stat: stat(reader) });
        break;
      case 5:
        results.push({ type, err, stat: stat(reader) });
        break;
      case 4:
        results.push({ type, err, data: buffer(reader), stat: stat(reader) });
        break;
      case 8:
        results.push({ type, err, children: strings(reader) });
        break;
      default:
        results.push({ type, err });
    }
  }
}

export interface DecodedReply {
  xid: number;
  zxid: Value;
  err: number;
  body?: Value;
  event?: Value;
  /** Bytes left over after the record: must be 0. */
  trailing: number;
  length: number;
}

/**
 * A reply frame (with its length prefix). `opcodeOf` names the request an xid answered; replies
 * with an error carry no body, as in ZooKeeper.
 */
export function decodeReply(frame: Buffer, opcodeOf: (xid: number) => number | undefined): DecodedReply {
  const reader = new JuteReader(frame, 4);
  const xid = reader.int();
  const replyZxid = reader.long();
  const err = reader.int();
  const decoded: DecodedReply = { xid, zxid: zxid(replyZxid), err, trailing: 0, length: frame.length };
  if (xid === -1) {
    decoded.event = { type: reader.int(), state: reader.int(), path: reader.string() };
  } else if (err === 0 && reader.remaining > 0) {
    const opcode = opcodeOf(xid);
    if (opcode !== undefined) decoded.body = body(opcode, reader);
  }
  decoded.trailing = reader.remaining;
  return decoded;
}

export interface DecodedConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: Value;
  passwordLength: number;
  readOnly?: boolean;
  trailing: number;
}

export function decodeConnectResponse(frame: Buffer): DecodedConnectResponse {
  const reader = new JuteReader(frame, 4);
  const protocolVersion = reader.int();
  const timeOut = reader.int();
  const sessionId = reader.long();
  const password = reader.buffer();
  const decoded: DecodedConnectResponse = {
    protocolVersion,
    timeOut,
    sessionId: sessionId === 0 ? 0 : MASKED,
    passwordLength: password?.length ?? -1,
    trailing: 0,
  };
  if (reader.remaining > 0) decoded.readOnly = reader.bool();
  decoded.trailing = reader.remaining;
  return decoded;
}

/** The xid and opcode of a request frame (null for a ConnectRequest-sized or short frame). */
export function requestHeader(frame: Buffer): { xid: number; type: number } | null {
  if (frame.length < 12) return null;
  return { xid: frame.readInt32BE(4), type: frame.readInt32BE(8) };
}
