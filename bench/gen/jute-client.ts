// A lean client of ZooKeeper's wire protocol (jute over TCP) for load generation: one session on
// one connection, every call written as it is made and many outstanding at once. The server
// answers a connection's requests in order, so outstanding calls form a FIFO queue and each reply
// must carry the xid at its head. Replies are checked for shape and otherwise thrown away.
//
// Only what a Driver needs: create (persistent, world:anyone), setData with version -1, getData
// without a watch, pings to keep the session, closeSession. No reconnection: a lost connection
// makes the driver broken and every call fails at once.

import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { PASSWORD_LENGTH, PROTOCOL_VERSION, Xid } from '../../src/api/jute/protocol.js';
import { JuteDecodeError, JuteReader, JuteWriter } from '../../src/api/jute/records.js';
import { errorByCode } from '../../src/core/errors.js';
import { CreateMode, OpCode, Perms } from '../../src/core/types.js';
import { DriverError, type Driver } from './driver.js';

export interface JuteDriverOptions {
  /** The session timeout asked for; the server may negotiate another. Default 30 000 ms. */
  sessionTimeoutMs?: number;
  /** Bound on TCP connect plus the session handshake. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Speak TLS (ZooKeeper's secureClientPort), trusting this CA bundle (PEM). */
  tlsCa?: Buffer;
}

export interface JuteDriver extends Driver {
  /** The session id the server assigned. */
  readonly sessionId: bigint;
  /** The session timeout the server negotiated, in ms. */
  readonly sessionTimeoutMs: number;
  /** getData without a watch, answering the node's data (empty for null data). */
  getData(path: string): Promise<Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Wire sizes

/** ReplyHeader: xid int, zxid long, err int. */
const REPLY_HEADER_BYTES = 16;
/** Stat: 6 longs and 5 ints. */
const STAT_BYTES = 68;
/** A sanity bound on an inbound frame; ZooKeeper's own limit (jute.maxbuffer) is far lower. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;
const ACL_SCHEME = 'world';
const ACL_ID = 'anyone';
/**
 * Bytes of a create request besides its path and data: RequestHeader (8), the two length prefixes
 * (8), the ACL vector (count 4, perms 4, two ustrings 4 + 5 and 4 + 6) and the flags (4).
 */
const CREATE_FIXED_BYTES = 8 + 8 + 4 + 4 + 4 + ACL_SCHEME.length + 4 + ACL_ID.length + 4;
/** setData: RequestHeader, two length prefixes, version. */
const SET_DATA_FIXED_BYTES = 8 + 8 + 4;
/** getData: RequestHeader, the path's length prefix, the watch flag. */
const GET_DATA_FIXED_BYTES = 8 + 4 + 1;

/** What a queued call expects in its reply, and what it resolves with. */
const Kind = {
  create: 0,
  setData: 1,
  /** getData whose data is dropped (Driver.read). */
  read: 2,
  /** getData whose data is the result. */
  getData: 3,
  closeSession: 4,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES = ['create', 'setData', 'getData', 'getData', 'closeSession'] as const;

const EMPTY = new Uint8Array(0);

type Settle = (value: unknown) => void;

// One executor shared by every call: it hands the promise's functions over through these two
// variables instead of a fresh closure per call.
let capturedResolve: Settle = noop;
let capturedReject: Settle = noop;
function capture(resolve: Settle, reject: Settle): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

function noop(): void {}

function parseEndpoint(endpoint: string): { host: string; port: number } {
  const colon = endpoint.lastIndexOf(':');
  if (colon <= 0) throw new DriverError('BadArguments', `endpoint ${endpoint} is not host:port`);
  let host = endpoint.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(endpoint.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new DriverError('BadArguments', `endpoint ${endpoint} has no valid port`);
  return { host, port };
}

class JuteConnection implements JuteDriver {
  sessionId = 0n;
  sessionTimeoutMs = 0;

  /** Settles once the handshake is answered (or fails). */
  readonly opened: Promise<void>;
  private openResolve: () => void = noop;
  private openReject: (error: DriverError) => void = noop;
  private isOpen = false;

  private readonly socket: Socket;
  /** Why the connection is unusable; null while it works. */
  private dead: DriverError | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  private connectTimer: NodeJS.Timeout | null;
  private tickTimer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private lastReceived = 0;

  private xid = 0;

  // Outstanding calls: a ring of parallel arrays, oldest at `head`.
  private capacity = 256;
  private mask = 255;
  private head = 0;
  private size = 0;
  private xids = new Int32Array(256);
  private kinds = new Uint8Array(256);
  private resolves: (Settle | undefined)[] = new Array<Settle | undefined>(256);
  private rejects: (Settle | undefined)[] = new Array<Settle | undefined>(256);

  // Requests made in this tick, written together when it ends.
  private batch: JuteWriter | null = null;

  // Inbound bytes that do not make a whole frame yet, and how many bytes the next frame needs.
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private wanted = 4;

  private readonly flushNow = (): void => this.flush();
  private readonly tick = (): void => this.onTick();

  constructor(host: string, port: number, requestedTimeoutMs: number, connectTimeoutMs: number, tlsCa: Buffer | undefined) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.openResolve = resolve;
      this.openReject = reject;
    });
    this.connectTimer = setTimeout(() => this.fail(`no session from ${host}:${port} within ${connectTimeoutMs} ms`), connectTimeoutMs);
    const socket = tlsCa === undefined ? connect({ host, port }) : connectTls({ host, port, ca: tlsCa });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once(tlsCa === undefined ? 'connect' : 'secureConnect', () => {
      const request = new JuteWriter(64)
        .int(PROTOCOL_VERSION)
        .long(0) // lastZxidSeen
        .int(requestedTimeoutMs)
        .long(0) // sessionId: a new session
        .buffer(new Uint8Array(PASSWORD_LENGTH))
        .bool(false); // readOnly
      socket.write(request.frame());
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => this.fail(`connection error: ${error.message}`));
    socket.on('close', () => this.fail('connection closed'));
  }

  get broken(): boolean {
    return this.dead !== null || this.closing;
  }

  // ---------------------------------------------------------------------------------------------
  // Driver

  async prepare(prefix: string): Promise<void> {
    let path = '';
    for (const part of prefix.split('/')) {
      if (part === '') continue;
      path += `/${part}`;
      try {
        await this.create(path, EMPTY);
      } catch (error) {
        if (!(error instanceof DriverError) || error.code !== 'NodeExists') throw error;
      }
    }
  }

  create(key: string, value: Uint8Array): Promise<void> {
    return this.call(Kind.create, key, value) as Promise<void>;
  }

  write(key: string, value: Uint8Array): Promise<void> {
    return this.call(Kind.setData, key, value) as Promise<void>;
  }

  read(key: string): Promise<void> {
    return this.call(Kind.read, key, null) as Promise<void>;
  }

  getData(path: string): Promise<Uint8Array> {
    return this.call(Kind.getData, path, null) as Promise<Uint8Array>;
  }

  close(): Promise<void> {
    if (this.closed === null) this.closed = this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    if (this.dead !== null) return;
    this.closing = true;
    const xid = this.nextXid();
    this.writer().int(8).int(xid).int(OpCode.closeSession);
    const answered = new Promise<unknown>(capture);
    this.enqueue(xid, Kind.closeSession, capturedResolve, capturedReject);
    // The reply comes after every outstanding call's; the socket closing settles it too.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([answered.then(noop, noop), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    this.fail('closed by the client');
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  private call(kind: Kind, path: string, data: Uint8Array | null): Promise<unknown> {
    if (this.dead !== null || this.closing) return Promise.reject(this.unusable());
    const xid = this.nextXid();
    const pathBytes = Buffer.byteLength(path, 'utf8');
    const writer = this.writer();
    switch (kind) {
      case Kind.create:
        writer
          .int(CREATE_FIXED_BYTES + pathBytes + data!.length)
          .int(xid)
          .int(OpCode.create)
          .string(path)
          .buffer(data)
          .int(1)
          .int(Perms.ALL)
          .string(ACL_SCHEME)
          .string(ACL_ID)
          .int(CreateMode.PERSISTENT);
        break;
      case Kind.setData:
        writer
          .int(SET_DATA_FIXED_BYTES + pathBytes + data!.length)
          .int(xid)
          .int(OpCode.setData)
          .string(path)
          .buffer(data)
          .int(-1);
        break;
      default:
        writer
          .int(GET_DATA_FIXED_BYTES + pathBytes)
          .int(xid)
          .int(OpCode.getData)
          .string(path)
          .bool(false);
        break;
    }
    const promise = new Promise<unknown>(capture);
    this.enqueue(xid, kind, capturedResolve, capturedReject);
    return promise;
  }

  private unusable(): DriverError {
    return this.dead ?? new DriverError('ConnectionLoss', 'the connection is closing');
  }

  private nextXid(): number {
    const xid = (this.xid + 1) | 0;
    this.xid = xid > 0 ? xid : 1;
    return this.xid;
  }

  /** The writer collecting this tick's frames; the first request of a tick schedules the flush. */
  private writer(): JuteWriter {
    let writer = this.batch;
    if (writer === null) {
      writer = this.batch = new JuteWriter(4096);
      queueMicrotask(this.flushNow);
    }
    return writer;
  }

  private flush(): void {
    const writer = this.batch;
    if (writer === null) return;
    this.batch = null;
    if (this.dead !== null) return;
    this.socket.write(writer.body());
    this.lastSent = Date.now();
  }

  private enqueue(xid: number, kind: Kind, resolve: Settle, reject: Settle): void {
    if (this.size === this.capacity) this.grow();
    const slot = (this.head + this.size) & this.mask;
    this.xids[slot] = xid;
    this.kinds[slot] = kind;
    this.resolves[slot] = resolve;
    this.rejects[slot] = reject;
    this.size++;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const xids = new Int32Array(capacity);
    const kinds = new Uint8Array(capacity);
    const resolves = new Array<Settle | undefined>(capacity);
    const rejects = new Array<Settle | undefined>(capacity);
    for (let index = 0; index < this.size; index++) {
      const slot = (this.head + index) & this.mask;
      xids[index] = this.xids[slot]!;
      kinds[index] = this.kinds[slot]!;
      resolves[index] = this.resolves[slot];
      rejects[index] = this.rejects[slot];
    }
    this.xids = xids;
    this.kinds = kinds;
    this.resolves = resolves;
    this.rejects = rejects;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.head = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Replies

  private onData(chunk: Buffer): void {
    this.lastReceived = Date.now();
    let bytes: Buffer;
    if (this.pendingBytes === 0) {
      bytes = chunk;
    } else {
      // Gather until the next frame is complete, then join once: linear in the frame's size.
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.wanted) return;
      bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const length = bytes.length;
    let offset = 0;
    while (length - offset >= 4) {
      const frameLength = bytes.readInt32BE(offset);
      if (frameLength < 0 || frameLength > MAX_FRAME_BYTES) return this.violation(`frame length ${frameLength}`);
      const end = offset + 4 + frameLength;
      if (end > length) break;
      if (this.isOpen) this.onReply(bytes, offset + 4, end);
      else this.onHandshake(bytes, offset + 4, end);
      if (this.dead !== null) return;
      offset = end;
    }
    if (offset < length) {
      const rest = offset === 0 ? bytes : bytes.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
      this.wanted = rest.length >= 4 ? 4 + rest.readInt32BE(0) : 4;
    }
  }

  private onHandshake(bytes: Buffer, start: number, end: number): void {
    let timeOut: number;
    let sessionId: bigint;
    try {
      const reader = new JuteReader(bytes, start, end);
      reader.int(); // protocolVersion
      timeOut = reader.int();
      reader.long();
      sessionId = bytes.readBigInt64BE(start + 8);
      reader.buffer(); // password
      if (reader.remaining > 0) reader.bool(); // readOnly, from 3.4 on
      if (reader.remaining !== 0) throw new JuteDecodeError(`${reader.remaining} bytes after the ConnectResponse`);
    } catch (error) {
      return this.violation(`malformed ConnectResponse: ${(error as Error).message}`);
    }
    if (timeOut <= 0) return this.fail('the server answered the handshake with an expired session', 'SessionExpired');
    this.isOpen = true;
    this.sessionId = sessionId;
    this.sessionTimeoutMs = timeOut;
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.lastSent = this.lastReceived = Date.now();
    this.tickTimer = setInterval(this.tick, Math.max(10, Math.floor(timeOut / 6)));
    this.tickTimer.unref();
    this.openResolve();
  }

  private onReply(bytes: Buffer, start: number, end: number): void {
    if (end - start < REPLY_HEADER_BYTES) return this.violation(`a ${end - start}-byte reply`);
    const xid = bytes.readInt32BE(start);
    if (xid < 0 && (xid === Xid.ping || xid === Xid.notification || xid === Xid.auth || xid === Xid.setWatches)) return;
    if (this.size === 0) return this.violation(`a reply with xid ${xid} and no call outstanding`);
    const slot = this.head;
    if (this.xids[slot] !== xid) return this.violation(`a reply with xid ${xid} where ${this.xids[slot]} was due`);
    const err = bytes.readInt32BE(start + 12);
    const kind = this.kinds[slot]!;
    let result: unknown;
    if (err === 0) {
      const body = start + REPLY_HEADER_BYTES;
      const bodyBytes = end - body;
      switch (kind) {
        case Kind.create:
          // The created path: a ustring.
          if (bodyBytes < 4 || 4 + bytes.readInt32BE(body) !== bodyBytes) return this.violation('a malformed create reply');
          break;
        case Kind.setData:
          if (bodyBytes !== STAT_BYTES) return this.violation('a malformed setData reply');
          break;
        case Kind.read:
        case Kind.getData: {
          // The data (a buffer, -1 for null), then the Stat.
          const dataLength = bodyBytes < 4 ? -2 : bytes.readInt32BE(body);
          if (dataLength < -1 || 4 + Math.max(dataLength, 0) + STAT_BYTES !== bodyBytes) return this.violation('a malformed getData reply');
          if (kind === Kind.getData) result = dataLength <= 0 ? new Uint8Array(0) : new JuteReader(bytes, body, end).buffer();
          break;
        }
        default:
          break;
      }
    }
    const resolve = this.resolves[slot]!;
    const reject = this.rejects[slot]!;
    this.resolves[slot] = undefined;
    this.rejects[slot] = undefined;
    this.head = (slot + 1) & this.mask;
    this.size--;
    if (err === 0) resolve(result);
    else reject(new DriverError(errorByCode(err)?.name ?? `Error${err}`, `${KIND_NAMES[kind]} failed: ${errorByCode(err)?.description ?? `error code ${err}`}`));
  }

  // ---------------------------------------------------------------------------------------------
  // Session and failure

  private onTick(): void {
    if (this.dead !== null) return;
    const now = Date.now();
    const timeout = this.sessionTimeoutMs;
    // As ZooKeeper's client: silence from the server for 2/3 of the session timeout is a lost
    // connection; a third of it without sending anything calls for a ping.
    if (now - this.lastReceived > (timeout * 2) / 3) return this.fail(`no reply from the server for ${now - this.lastReceived} ms`);
    if (now - this.lastSent >= timeout / 3) this.writer().int(8).int(Xid.ping).int(OpCode.ping);
  }

  private violation(what: string): void {
    this.fail(`protocol violation: ${what}`);
  }

  private fail(reason: string, code = 'ConnectionLoss'): void {
    if (this.dead !== null) return;
    const error = new DriverError(code, reason);
    this.dead = error;
    this.batch = null;
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.connectTimer = this.tickTimer = null;
    this.socket.destroy();
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.isOpen) this.openReject(error);
    // Everything outstanding fails with the one error.
    while (this.size > 0) {
      const slot = this.head;
      const reject = this.rejects[slot]!;
      this.resolves[slot] = undefined;
      this.rejects[slot] = undefined;
      this.head = (slot + 1) & this.mask;
      this.size--;
      reject(error);
    }
  }
}

/**
 * Opens a session at `endpoint` ('host:port') and resolves once the server has answered the
 * handshake. Fails with DriverError('SessionExpired') when the server answers with an expired
 * session, DriverError('ConnectionLoss') when it cannot be reached in time.
 */
export async function connectJute(endpoint: string, options: JuteDriverOptions = {}): Promise<JuteDriver> {
  const { host, port } = parseEndpoint(endpoint);
  const connection = new JuteConnection(host, port, options.sessionTimeoutMs ?? 30_000, options.connectTimeoutMs ?? 10_000, options.tlsCa);
  await connection.opened;
  return connection;
}
