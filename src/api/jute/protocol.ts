// ZooKeeper's client protocol records (zookeeper.jute, org.apache.zookeeper.proto) and how they
// map onto Cairn's shared requests and responses. Decoding turns one request frame into a Call
// (the core Request plus what its reply encoding needs); encoding turns a Response or an error
// code into one reply frame. Pure: no sockets, no server.

import { keeperError } from '../../core/errors.js';
import { validatePath } from '../../core/path.js';
import {
  AddWatchMode,
  CreateMode,
  isCreateMode,
  isTtl,
  OpCode,
  WatcherType,
  type CreateRequest,
  type MultiOp,
  type MultiReadOp,
  type MultiReadResult,
  type MultiResult,
  type Request,
  type Response,
  type WatchEvent,
  type Zxid,
} from '../../core/types.js';
import { JuteDecodeError, JuteReader, JuteWriter, readAclList, writeAcl, writeStat } from './records.js';

/** Reserved xids (ClientCnxn): a notification, a ping, an auth packet, a setWatches packet. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

export const PROTOCOL_VERSION = 0;

/** Session passwords are this long in ZooKeeper; an expired session is answered with zeros. */
export const PASSWORD_LENGTH = 16;

// ---------------------------------------------------------------------------------------------
// Handshake

export interface ConnectRequestRecord {
  protocolVersion: number;
  lastZxidSeen: Zxid;
  timeOutMs: number;
  /** null when the client sent a session id that cannot be one of ours (beyond 2^53). */
  sessionId: number | null;
  password: Uint8Array;
  readOnly: boolean;
  /**
   * Whether the client sent the trailing readOnly flag. Clients older than 3.4 do not, and
   * ZooKeeper then leaves it out of its answer too.
   */
  sentReadOnly: boolean;
}

export function decodeConnectRequest(reader: JuteReader): ConnectRequestRecord {
  const protocolVersion = reader.int();
  const lastZxidSeen = reader.long();
  const timeOutMs = reader.int();
  const sessionId = reader.exactLong();
  const password = reader.buffer() ?? new Uint8Array(0);
  const sentReadOnly = reader.remaining > 0;
  const readOnly = sentReadOnly ? reader.bool() : false;
  return { protocolVersion, lastZxidSeen, timeOutMs, sessionId, password, readOnly, sentReadOnly };
}

export interface ConnectResponseRecord {
  timeOutMs: number;
  sessionId: number;
  password: Uint8Array;
  /** Written only when the client sent its own readOnly flag. */
  readOnly: boolean | undefined;
}

export function encodeConnectResponse(response: ConnectResponseRecord): Buffer {
  const writer = new JuteWriter(64).int(PROTOCOL_VERSION).int(response.timeOutMs).long(response.sessionId).buffer(response.password);
  if (response.readOnly !== undefined) writer.bool(response.readOnly);
  return writer.frame();
}

/** What ZooKeeper answers a client whose session is gone: timeout 0, session 0, a zero password. */
export function expiredConnectResponse(sentReadOnly: boolean): Buffer {
  return encodeConnectResponse({ timeOutMs: 0, sessionId: 0, password: new Uint8Array(PASSWORD_LENGTH), readOnly: sentReadOnly ? false : undefined });
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface RequestHeader {
  xid: number;
  type: number;
}

export function decodeRequestHeader(reader: JuteReader): RequestHeader {
  return { xid: reader.int(), type: reader.int() };
}

/** A decoded request: what to submit and how its answer is laid out on the wire. */
export interface Call {
  opcode: number;
  request: Request;
  /** For multi and multiRead: each op's opcode, which picks its result record. */
  opcodes?: number[];
}

/**
 * Opcodes ZooKeeper defines that Cairn does not serve, and the error each gets: a standalone
 * ZooKeeper 3.8 refuses reconfig with ReconfigDisabled and a client's deleteContainer with
 * BadArguments; SASL, which Cairn lacks, gets Unimplemented (ZooKeeper without SASL configured
 * answers an empty token instead, which a client could mistake for success).
 */
export const UNSUPPORTED_OPCODES: ReadonlyMap<number, number> = new Map([
  [OpCode.reconfig, -123],
  [OpCode.deleteContainer, -8],
  [OpCode.sasl, -6],
  [OpCode.createSession, -6],
]);

/**
 * Reads run by ZooKeeper's final processor look the path up without validating it, so an
 * invalid path is simply not there: NoNode, where writes answer BadArguments.
 */
export function isReadOfInvalidPath(request: Request): boolean {
  switch (request.op) {
    case 'exists':
    case 'getData':
    case 'getChildren':
    case 'getACL':
    case 'getAllChildrenNumber':
      return !isValidPath(request.path);
    default:
      return false;
  }
}

function isValidPath(candidate: string): boolean {
  try {
    validatePath(candidate);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes the body of a session request (not ping, auth or closeSession, which the connection
 * handles itself). Throws JuteDecodeError for malformed bytes and KeeperError for well-formed
 * requests ZooKeeper refuses before running them (bad create flags, bad watch modes).
 */
export function decodeCall(opcode: number, reader: JuteReader): Call {
  switch (opcode) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL:
      return { opcode, request: decodeCreate(opcode, reader) };
    case OpCode.delete:
      return { opcode, request: { op: 'delete', path: path(reader), version: reader.int() } };
    case OpCode.exists:
      return { opcode, request: { op: 'exists', path: path(reader), watch: reader.bool() } };
    case OpCode.getData:
      return { opcode, request: { op: 'getData', path: path(reader), watch: reader.bool() } };
    case OpCode.setData:
      return { opcode, request: { op: 'setData', path: path(reader), data: reader.buffer(), version: reader.int() } };
    case OpCode.getACL:
      return { opcode, request: { op: 'getACL', path: path(reader) } };
    case OpCode.setACL:
      return { opcode, request: { op: 'setACL', path: path(reader), acl: readAclList(reader), version: reader.int() } };
    case OpCode.getChildren:
    case OpCode.getChildren2:
      return { opcode, request: { op: 'getChildren', path: path(reader), watch: reader.bool() } };
    case OpCode.sync:
      return { opcode, request: { op: 'sync', path: path(reader) } };
    case OpCode.check:
      return { opcode, request: { op: 'check', path: path(reader), version: reader.int() } };
    case OpCode.multi:
      return decodeMulti(reader);
    case OpCode.multiRead:
      return decodeMultiRead(reader);
    case OpCode.checkWatches:
    case OpCode.removeWatches: {
      const watchedPath = path(reader);
      const type = watcherType(reader.int());
      const op = opcode === OpCode.checkWatches ? 'checkWatches' : 'removeWatches';
      return { opcode, request: { op, path: watchedPath, type } };
    }
    case OpCode.getEphemerals:
      return { opcode, request: { op: 'getEphemerals', prefixPath: path(reader) } };
    case OpCode.getAllChildrenNumber:
      return { opcode, request: { op: 'getAllChildrenNumber', path: path(reader) } };
    case OpCode.setWatches:
    case OpCode.setWatches2:
      return { opcode, request: decodeSetWatches(opcode, reader) };
    case OpCode.addWatch: {
      const watchedPath = path(reader);
      const mode = reader.int();
      // ZooKeeper fails to read an unknown mode and answers MarshallingError.
      if (mode !== AddWatchMode.PERSISTENT && mode !== AddWatchMode.PERSISTENT_RECURSIVE) throw new JuteDecodeError(`unknown addWatch mode ${mode}`);
      return { opcode, request: { op: 'addWatch', path: watchedPath, mode } };
    }
    case OpCode.whoAmI:
      return { opcode, request: { op: 'whoAmI' } };
    case OpCode.auth:
      return { opcode, request: decodeAuth(reader) };
    default:
      throw new JuteDecodeError(`opcode ${opcode} has no request record`);
  }
}

function path(reader: JuteReader): string {
  return reader.requiredString('path');
}

function createMode(flags: number, createdPath: string): CreateMode {
  // CreateMode.fromFlag refuses unknown flags with BadArguments.
  if (!isCreateMode(flags)) throw keeperError('BadArguments', createdPath, `unknown create flags ${flags}`);
  return flags;
}

function decodeCreate(opcode: number, reader: JuteReader): CreateRequest {
  const createdPath = path(reader);
  const data = reader.buffer();
  const acl = readAclList(reader);
  const flags = reader.int();
  if (opcode === OpCode.createTTL) {
    const ttl = reader.long();
    const mode = createMode(flags, createdPath);
    // ZooKeeper 3.8 refuses a non-TTL mode with a TTL of 0 or more and dies applying one with a
    // negative TTL; Cairn refuses both.
    if (!isTtl(mode)) throw keeperError('BadArguments', createdPath, `createTTL needs a TTL create mode, not ${flags}`);
    return { op: 'create', path: createdPath, data, acl, mode, ttl };
  }
  const mode = createMode(flags, createdPath);
  if (opcode === OpCode.createContainer && mode !== CreateMode.CONTAINER) {
    throw keeperError('BadArguments', createdPath, `createContainer needs the container create mode, not ${flags}`);
  }
  return { op: 'create', path: createdPath, data, acl, mode };
}

function watcherType(value: number): WatcherType {
  const known: readonly number[] = Object.values(WatcherType);
  if (!known.includes(value)) throw new JuteDecodeError(`unknown watcher type ${value}`);
  return value as WatcherType;
}

function decodeSetWatches(opcode: number, reader: JuteReader): Request {
  const relativeZxid = reader.long();
  const dataWatches = reader.stringVector('watched path');
  const existWatches = reader.stringVector('watched path');
  const childWatches = reader.stringVector('watched path');
  const persistent = opcode === OpCode.setWatches2;
  const persistentWatches = persistent ? reader.stringVector('watched path') : [];
  const persistentRecursiveWatches = persistent ? reader.stringVector('watched path') : [];
  return { op: 'setWatches', relativeZxid, dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches };
}

function decodeAuth(reader: JuteReader): Request {
  reader.int(); // AuthPacket.type: unused by ZooKeeper too
  const scheme = reader.requiredString('auth scheme');
  const credentials = reader.buffer() ?? new Uint8Array(0);
  return { op: 'auth', scheme, credentials };
}

/** Reads MultiOperationRecord: (MultiHeader, op record)* then a MultiHeader with done set. */
function readMultiOps(reader: JuteReader, readOp: (type: number) => MultiOp | MultiReadOp): { ops: (MultiOp | MultiReadOp)[]; opcodes: number[] } {
  const ops: (MultiOp | MultiReadOp)[] = [];
  const opcodes: number[] = [];
  for (;;) {
    const type = reader.int();
    const done = reader.bool();
    reader.int(); // MultiHeader.err: -1 in requests
    if (done) return { ops, opcodes };
    opcodes.push(type);
    ops.push(readOp(type));
  }
}

function decodeMulti(reader: JuteReader): Call {
  const { ops, opcodes } = readMultiOps(reader, (type) => {
    switch (type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return decodeCreate(type, reader);
      case OpCode.delete:
        return { op: 'delete', path: path(reader), version: reader.int() };
      case OpCode.setData:
        return { op: 'setData', path: path(reader), data: reader.buffer(), version: reader.int() };
      case OpCode.check:
        return { op: 'check', path: path(reader), version: reader.int() };
      default:
        // ZooKeeper refuses to mix reads into a transaction while deserializing it.
        throw new JuteDecodeError(`opcode ${type} cannot be part of a multi`);
    }
  });
  return { opcode: OpCode.multi, request: { op: 'multi', ops: ops as MultiOp[] }, opcodes };
}

function decodeMultiRead(reader: JuteReader): Call {
  const { ops, opcodes } = readMultiOps(reader, (type) => {
    switch (type) {
      case OpCode.getData:
        return { op: 'getData', path: path(reader), watch: reader.bool() };
      case OpCode.getChildren:
        return { op: 'getChildren', path: path(reader), watch: reader.bool() };
      default:
        throw new JuteDecodeError(`opcode ${type} cannot be part of a multiRead`);
    }
  });
  return { opcode: OpCode.multiRead, request: { op: 'multiRead', ops: ops as MultiReadOp[] }, opcodes };
}

// ---------------------------------------------------------------------------------------------
// Replies

function replyHeader(xid: number, zxid: Zxid, err: number): JuteWriter {
  return new JuteWriter(128).int(xid).long(zxid).int(err);
}

/** A reply with only a header: errors, and the ops whose answer has no body. */
export function encodeHeaderOnly(xid: number, zxid: Zxid, err: number): Buffer {
  return replyHeader(xid, zxid, err).frame();
}

/** A watch notification: xid -1, zxid -1, then WatcherEvent. */
export function encodeNotification(event: WatchEvent): Buffer {
  return replyHeader(Xid.notification, -1, 0).int(event.type).int(event.state).string(event.path).frame();
}

/** The reply frame for a successful call. */
export function encodeReply(xid: number, zxid: Zxid, call: Call, response: Response): Buffer {
  // exists on a missing node is NoNode on the wire; the client turns it into a null Stat.
  if (response.op === 'exists' && response.stat === null) return encodeHeaderOnly(xid, zxid, NO_NODE);
  const writer = replyHeader(xid, zxid, 0);
  writeBody(writer, call, response);
  return writer.frame();
}

const NO_NODE = -101;

function writeBody(writer: JuteWriter, call: Call, response: Response): void {
  switch (response.op) {
    case 'create':
      writer.string(response.path);
      if (call.opcode !== OpCode.create) writeStat(writer, response.stat);
      return;
    case 'setData':
    case 'setACL':
      writeStat(writer, response.stat);
      return;
    case 'exists':
      writeStat(writer, response.stat!);
      return;
    case 'getData':
      writer.buffer(response.data);
      writeStat(writer, response.stat);
      return;
    case 'getChildren':
      writer.stringVector(response.children);
      if (call.opcode === OpCode.getChildren2) writeStat(writer, response.stat);
      return;
    case 'getACL':
      writer.vector(response.acl, writeAcl);
      writeStat(writer, response.stat);
      return;
    case 'getAllChildrenNumber':
      writer.int(response.totalNumber);
      return;
    case 'getEphemerals':
      writer.stringVector(response.paths);
      return;
    case 'sync':
      writer.string(response.path);
      return;
    case 'whoAmI':
      writer.vector(response.clientInfo, (inner, info) => inner.string(info.authScheme).string(info.user));
      return;
    case 'multi':
      writeMultiResults(writer, call.opcodes ?? [], response.results);
      return;
    case 'multiRead':
      writeMultiReadResults(writer, response.results);
      return;
    case 'addWatch':
      // FinalRequestProcessor answers addWatch with an ErrorResponse record holding 0.
      writer.int(0);
      return;
    case 'delete':
    case 'check':
    case 'removeWatches':
    case 'checkWatches':
    case 'setWatches':
    case 'auth':
      return;
  }
}

/** ZooKeeper's providers name a digest identity by its user, never by its hash. */
function multiHeader(writer: JuteWriter, type: number, done: boolean, err: number): void {
  writer.int(type).bool(done).int(err);
}

function writeMultiResults(writer: JuteWriter, opcodes: readonly number[], results: readonly MultiResult[]): void {
  results.forEach((result, index) => {
    switch (result.op) {
      case 'create': {
        // CreateResult(path) for a plain create, CreateResult(path, stat) (type create2) otherwise.
        const plain = opcodes[index] === OpCode.create;
        multiHeader(writer, plain ? OpCode.create : OpCode.create2, false, 0);
        writer.string(result.path);
        if (!plain) writeStat(writer, result.stat);
        return;
      }
      case 'delete':
        multiHeader(writer, OpCode.delete, false, 0);
        return;
      case 'setData':
        multiHeader(writer, OpCode.setData, false, 0);
        writeStat(writer, result.stat);
        return;
      case 'check':
        multiHeader(writer, OpCode.check, false, 0);
        return;
      case 'error':
        multiHeader(writer, OpCode.error, false, result.code);
        writer.int(result.code);
        return;
    }
  });
  multiHeader(writer, -1, true, -1);
}

function writeMultiReadResults(writer: JuteWriter, results: readonly MultiReadResult[]): void {
  for (const result of results) {
    switch (result.op) {
      case 'getData':
        multiHeader(writer, OpCode.getData, false, 0);
        writer.buffer(result.data);
        writeStat(writer, result.stat);
        break;
      case 'getChildren':
        multiHeader(writer, OpCode.getChildren, false, 0);
        writer.stringVector(result.children);
        break;
      case 'error':
        multiHeader(writer, OpCode.error, false, result.code);
        writer.int(result.code);
        break;
    }
  }
  multiHeader(writer, -1, true, -1);
}
