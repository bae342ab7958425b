// The binary form of txn records (what the log stores and replication ships) plus the Writer/Reader
// pair the snapshot serializer shares. Pure: no I/O, no clock, no randomness.
//
// All integers are big-endian. A 64-bit integer is written as a signed high word and an unsigned
// low word, so every JS safe integer (negative ones included) round-trips exactly and the bytes are
// the value's two's complement; decoding rejects anything outside the safe range rather than
// rounding it.
//
// TxnRecord layout (format version 1):
//   u8  version
//   i64 sessionId, i32 cxid, i64 zxid, i64 time
//   txn: u8 tag, then the fields of that variant (see writeTxn)
// A multi holds u32 count and that many sub-txns, each tag + fields; multis do not nest.
// A closeSession is the tag alone when the session had no ephemerals, else the tag, u32 count and
// the paths; it is never inside a multi, so it always ends its record.

import { KeeperError, assert } from './errors.js';
import { isCreateMode } from './types.js';
import type { ACL, Data, MultiSubTxn, Txn, TxnHeader, TxnRecord } from './types.js';

export const TXN_FORMAT_VERSION = 1;

const TWO_POW_32 = 0x1_0000_0000;
/** Bytes-or-null length that marks null (distinct from an empty array, length 0). */
const NULL_LENGTH = -1;
/** Worst case UTF-8 bytes per UTF-16 code unit; lets string writes reserve space without a scan. */
const UTF8_BYTES_PER_UNIT_MAX = 3;

const TxnTag = {
  createSession: 1,
  closeSession: 2,
  create: 3,
  delete: 4,
  setData: 5,
  setACL: 6,
  check: 7,
  error: 8,
  multi: 9,
  deleteContainer: 10,
} as const satisfies Record<Txn['type'], number>;

function marshallingError(detail: string): KeeperError {
  return new KeeperError('MarshallingError', `cannot decode: ${detail}`);
}

// ---------------------------------------------------------------------------------------------
// 64-bit integers

/** Writes a safe integer as big-endian 64-bit two's complement; returns the offset after it. */
export function writeInt64(target: Buffer, value: number, offset: number): number {
  // Guarded so the hot path does not build the message.
  if (!Number.isSafeInteger(value)) assert(false, `64-bit field ${value} is a safe integer`);
  const high = Math.floor(value / TWO_POW_32);
  target.writeInt32BE(high, offset);
  target.writeUInt32BE(value - high * TWO_POW_32, offset + 4);
  return offset + 8;
}

/** Reads what writeInt64 wrote; a value outside the safe range is a MarshallingError, never rounded. */
export function readInt64(source: Uint8Array, offset: number): number {
  if (offset < 0 || offset + 8 > source.length) throw marshallingError(`need 8 bytes at offset ${offset}`);
  const high = ((source[offset] << 24) | (source[offset + 1] << 16) | (source[offset + 2] << 8) | source[offset + 3]) | 0;
  const low = ((source[offset + 4] << 24) | (source[offset + 5] << 16) | (source[offset + 6] << 8) | source[offset + 7]) >>> 0;
  const value = high * TWO_POW_32 + low;
  if (!Number.isSafeInteger(value)) throw marshallingError(`64-bit value (high word ${high}) is not a safe integer`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Writer / Reader

/** Appends fields to a growable buffer; size it right up front and it never reallocates. */
export class Writer {
  private buffer: Buffer;
  private position = 0;

  constructor(initialCapacityBytes = 256) {
    assert(Number.isSafeInteger(initialCapacityBytes) && initialCapacityBytes >= 0, 'writer capacity is a non-negative integer');
    this.buffer = Buffer.allocUnsafe(initialCapacityBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.position;
  }

  u8(value: number): this {
    if (!Number.isInteger(value)) assert(false, `u8 field ${value} is an integer`);
    this.reserve(1);
    this.position = this.buffer.writeUInt8(value, this.position);
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value)) assert(false, `u32 field ${value} is an integer`);
    this.reserve(4);
    this.position = this.buffer.writeUInt32BE(value, this.position);
    return this;
  }

  i32(value: number): this {
    if (!Number.isInteger(value)) assert(false, `i32 field ${value} is an integer`);
    this.reserve(4);
    this.position = this.buffer.writeInt32BE(value, this.position);
    return this;
  }

  /** A safe integer as an exact 64-bit two's complement value. */
  i64(value: number): this {
    this.reserve(8);
    this.position = writeInt64(this.buffer, value, this.position);
    return this;
  }

  /** Length-prefixed bytes; null is kept distinct from empty. */
  bytes(value: Data): this {
    if (value === null) return this.i32(NULL_LENGTH);
    assert(value instanceof Uint8Array, 'a bytes field holds a Uint8Array');
    this.i32(value.length);
    this.reserve(value.length);
    this.buffer.set(value, this.position);
    this.position += value.length;
    return this;
  }

  /** u32 byte length + UTF-8. */
  string(value: string): this {
    this.reserve(4 + value.length * UTF8_BYTES_PER_UNIT_MAX);
    const written = this.buffer.write(value, this.position + 4, 'utf8');
    this.buffer.writeUInt32BE(written, this.position);
    this.position += 4 + written;
    return this;
  }

  acl(list: readonly ACL[]): this {
    this.u32(list.length);
    for (const entry of list) this.i32(entry.perms).string(entry.id.scheme).string(entry.id.id);
    return this;
  }

  /** The bytes written, as a view of the internal buffer (valid until the next write or reset). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.position);
  }

  /** Starts over, keeping the allocated buffer. */
  reset(): void {
    this.position = 0;
  }

  private reserve(byteCount: number): void {
    const needed = this.position + byteCount;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads fields back, checking every length against the buffer; garbage gives MarshallingError. */
export class Reader {
  private readonly view: DataView;
  private position = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.position;
  }

  get offset(): number {
    return this.position;
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.position++);
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.position);
    this.position += 4;
    return value;
  }

  i32(): number {
    this.need(4);
    const value = this.view.getInt32(this.position);
    this.position += 4;
    return value;
  }

  i64(): number {
    this.need(8);
    const value = readInt64(this.bytes, this.position);
    this.position += 8;
    return value;
  }

  /** A copy, so that decoded data does not pin the (possibly large) source buffer. */
  bytesOrNull(): Data {
    const length = this.i32();
    if (length === NULL_LENGTH) return null;
    if (length < 0) throw marshallingError(`negative byte length ${length}`);
    this.need(length);
    // new Uint8Array(view) copies; Buffer#slice would not.
    const copy = new Uint8Array(this.bytes.subarray(this.position, this.position + length));
    this.position += length;
    return copy;
  }

  bytesNonNull(): Uint8Array {
    const value = this.bytesOrNull();
    if (value === null) throw marshallingError('null where bytes are required');
    return value;
  }

  string(): string {
    const length = this.u32();
    this.need(length);
    let value: string;
    try {
      value = utf8.decode(this.bytes.subarray(this.position, this.position + length));
    } catch {
      throw marshallingError('string is not valid UTF-8');
    }
    this.position += length;
    return value;
  }

  acl(): ACL[] {
    // perms + two empty strings is the smallest entry.
    const count = this.count(12);
    const list: ACL[] = new Array<ACL>(count);
    for (let index = 0; index < count; index++) {
      const perms = this.i32();
      const scheme = this.string();
      list[index] = { perms, id: { scheme, id: this.string() } };
    }
    return list;
  }

  /** A u32 element count, refused when the rest of the buffer cannot hold that many elements. */
  count(minElementBytes: number): number {
    assert(minElementBytes >= 1, 'elements take at least one byte');
    const count = this.u32();
    if (count * minElementBytes > this.remaining) throw marshallingError(`count ${count} exceeds the ${this.remaining} bytes left`);
    return count;
  }

  /** Refuses trailing bytes: a record must be consumed exactly. */
  end(): void {
    if (this.remaining !== 0) throw marshallingError(`${this.remaining} trailing bytes`);
  }

  private need(byteCount: number): void {
    if (byteCount > this.remaining) throw marshallingError(`need ${byteCount} bytes at offset ${this.position}, ${this.remaining} left`);
  }
}

// ---------------------------------------------------------------------------------------------
// TxnRecord

/** An upper bound of the encoded size, so encode allocates once. */
function sizeBound(txn: Txn): number {
  const tag = 1;
  switch (txn.type) {
    case 'createSession':
      return tag + 4 + 4 + txn.password.length;
    case 'closeSession': {
      let total = tag + 4;
      for (const path of txn.paths ?? []) total += stringBound(path);
      return total;
    }
    case 'create':
      return tag + stringBound(txn.path) + dataBound(txn.data) + aclBound(txn.acl) + 8 + 4 + 1 + 8;
    case 'delete':
    case 'deleteContainer':
      return tag + stringBound(txn.path);
    case 'setData':
      return tag + stringBound(txn.path) + dataBound(txn.data) + 4;
    case 'setACL':
      return tag + stringBound(txn.path) + aclBound(txn.acl) + 4;
    case 'check':
      return tag + stringBound(txn.path) + 4;
    case 'error':
      return tag + 4;
    case 'multi': {
      let total = tag + 4;
      for (const sub of txn.txns) total += sizeBound(sub);
      return total;
    }
  }
}

function stringBound(value: string): number {
  return 4 + value.length * UTF8_BYTES_PER_UNIT_MAX;
}

function dataBound(value: Data): number {
  return 4 + (value === null ? 0 : value.length);
}

function aclBound(list: readonly ACL[]): number {
  let total = 4;
  for (const entry of list) total += 4 + stringBound(entry.id.scheme) + stringBound(entry.id.id);
  return total;
}

const HEADER_BYTES = 1 + 8 + 4 + 8 + 8;

export function encodeTxnRecord(record: TxnRecord): Uint8Array {
  const writer = new Writer(HEADER_BYTES + sizeBound(record.txn));
  writer.u8(TXN_FORMAT_VERSION);
  writeHeader(writer, record.header);
  writeTxn(writer, record.txn, false);
  return writer.finish();
}

export function decodeTxnRecord(bytes: Uint8Array): TxnRecord {
  const reader = new Reader(bytes);
  const version = reader.u8();
  if (version !== TXN_FORMAT_VERSION) throw marshallingError(`unknown txn format version ${version}`);
  const header = readHeader(reader);
  const txn = readTxn(reader, false);
  reader.end();
  return { header, txn };
}

function writeHeader(writer: Writer, header: TxnHeader): void {
  writer.i64(header.sessionId).i32(header.cxid).i64(header.zxid).i64(header.time);
}

function readHeader(reader: Reader): TxnHeader {
  const sessionId = reader.i64();
  const cxid = reader.i32();
  const zxid = reader.i64();
  return { sessionId, cxid, zxid, time: reader.i64() };
}

function writeTxn(writer: Writer, txn: Txn, insideMulti: boolean): void {
  writer.u8(TxnTag[txn.type]);
  switch (txn.type) {
    case 'createSession':
      writer.i32(txn.timeoutMs).bytes(txn.password);
      return;
    case 'closeSession': {
      const paths = txn.paths ?? [];
      if (paths.length === 0) return;
      writer.u32(paths.length);
      for (const path of paths) writer.string(path);
      return;
    }
    case 'create':
      if (!isCreateMode(txn.mode)) assert(false, `create mode ${txn.mode} is known`);
      writer.string(txn.path).bytes(txn.data).acl(txn.acl).i64(txn.ephemeralOwner).i32(txn.parentCVersion).u8(txn.mode).i64(txn.ttl);
      return;
    case 'delete':
    case 'deleteContainer':
      writer.string(txn.path);
      return;
    case 'setData':
      writer.string(txn.path).bytes(txn.data).i32(txn.version);
      return;
    case 'setACL':
      writer.string(txn.path).acl(txn.acl).i32(txn.version);
      return;
    case 'check':
      writer.string(txn.path).i32(txn.version);
      return;
    case 'error':
      writer.i32(txn.code);
      return;
    case 'multi':
      assert(!insideMulti, 'multi txns do not nest');
      writer.u32(txn.txns.length);
      for (const sub of txn.txns) writeTxn(writer, sub, true);
      return;
  }
}

function readTxn(reader: Reader, insideMulti: boolean): Txn {
  const tag = reader.u8();
  switch (tag) {
    case TxnTag.createSession: {
      const timeoutMs = reader.i32();
      return { type: 'createSession', timeoutMs, password: reader.bytesNonNull() };
    }
    case TxnTag.closeSession: {
      // Inside a multi it is refused by readMulti; at the top level it ends the record.
      if (insideMulti || reader.remaining === 0) return { type: 'closeSession' };
      const count = reader.count(4);
      if (count === 0) throw marshallingError('a closeSession lists no paths yet has a path count');
      const paths: string[] = new Array<string>(count);
      for (let index = 0; index < count; index++) paths[index] = reader.string();
      return { type: 'closeSession', paths };
    }
    case TxnTag.create:
      return readCreate(reader);
    case TxnTag.delete:
      return { type: 'delete', path: reader.string() };
    case TxnTag.deleteContainer:
      return { type: 'deleteContainer', path: reader.string() };
    case TxnTag.setData: {
      const path = reader.string();
      const data = reader.bytesOrNull();
      return { type: 'setData', path, data, version: reader.i32() };
    }
    case TxnTag.setACL: {
      const path = reader.string();
      const acl = reader.acl();
      return { type: 'setACL', path, acl, version: reader.i32() };
    }
    case TxnTag.check: {
      const path = reader.string();
      return { type: 'check', path, version: reader.i32() };
    }
    case TxnTag.error:
      return { type: 'error', code: reader.i32() };
    case TxnTag.multi:
      if (insideMulti) throw marshallingError('nested multi');
      return readMulti(reader);
    default:
      throw marshallingError(`unknown txn tag ${tag}`);
  }
}

function readCreate(reader: Reader): Txn {
  const path = reader.string();
  const data = reader.bytesOrNull();
  const acl = reader.acl();
  const ephemeralOwner = reader.i64();
  const parentCVersion = reader.i32();
  const mode = reader.u8();
  if (!isCreateMode(mode)) throw marshallingError(`unknown create mode ${mode}`);
  return { type: 'create', path, data, acl, ephemeralOwner, parentCVersion, mode, ttl: reader.i64() };
}

const MULTI_SUB_TAGS: ReadonlySet<number> = new Set([TxnTag.create, TxnTag.delete, TxnTag.setData, TxnTag.check, TxnTag.error]);

function readMulti(reader: Reader): Txn {
  // A tag byte is the smallest sub-txn.
  const count = reader.count(1);
  const txns: MultiSubTxn[] = new Array<MultiSubTxn>(count);
  for (let index = 0; index < count; index++) {
    const sub = readTxn(reader, true);
    if (!MULTI_SUB_TAGS.has(TxnTag[sub.type])) throw marshallingError(`a ${sub.type} txn cannot be part of a multi`);
    txns[index] = sub as MultiSubTxn;
  }
  return { type: 'multi', txns };
}
