// Jute's binary encoding, as ZooKeeper's BinaryInputArchive / BinaryOutputArchive write it:
// big-endian int (4 bytes) and long (8 bytes), boolean as one byte, buffer and ustring as a
// 4-byte length (-1 = null) followed by the bytes (UTF-8 for ustring), vector as a 4-byte count
// (-1 = null) followed by the elements. Records are their fields in declaration order.
// Plus the data records every reply carries: Stat, Id, ACL.

import type { ACL, Stat } from '../../core/types.js';

/** The bytes do not form the record they should: ZooKeeper answers MarshallingError or closes. */
export class JuteDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JuteDecodeError';
  }
}

const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

export class JuteReader {
  private offset: number;

  constructor(
    private readonly bytes: Buffer,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private take(count: number, what: string): number {
    if (count > this.remaining) throw new JuteDecodeError(`${what} needs ${count} bytes, ${this.remaining} left`);
    const at = this.offset;
    this.offset += count;
    return at;
  }

  int(): number {
    return this.bytes.readInt32BE(this.take(4, 'int'));
  }

  /** A long as a JS number; values beyond 2^53 lose precision (only compared, never echoed). */
  long(): number {
    return Number(this.bytes.readBigInt64BE(this.take(8, 'long')));
  }

  /** A long that must be exact (session ids): null when it does not fit a safe integer. */
  exactLong(): number | null {
    const value = this.bytes.readBigInt64BE(this.take(8, 'long'));
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : null;
  }

  bool(): boolean {
    return this.bytes[this.take(1, 'boolean')] !== 0;
  }

  buffer(): Uint8Array | null {
    const length = this.int();
    if (length === -1) return null;
    if (length < 0) throw new JuteDecodeError(`negative buffer length ${length}`);
    const at = this.take(length, 'buffer');
    return new Uint8Array(this.bytes.subarray(at, at + length));
  }

  string(): string | null {
    const length = this.int();
    if (length === -1) return null;
    if (length < 0) throw new JuteDecodeError(`negative string length ${length}`);
    const at = this.take(length, 'ustring');
    try {
      return UTF8_STRICT.decode(this.bytes.subarray(at, at + length));
    } catch {
      throw new JuteDecodeError('ustring is not valid UTF-8');
    }
  }

  /** A ustring that must be present (paths, schemes). */
  requiredString(what: string): string {
    const value = this.string();
    if (value === null) throw new JuteDecodeError(`${what} is null`);
    return value;
  }

  vector<T>(readElement: (reader: JuteReader) => T): T[] | null {
    const count = this.int();
    if (count === -1) return null;
    // Every element takes at least one byte, so a count beyond the bytes left is a lie.
    if (count < 0 || count > this.remaining) throw new JuteDecodeError(`vector count ${count} with ${this.remaining} bytes left`);
    const items: T[] = [];
    for (let index = 0; index < count; index++) items.push(readElement(this));
    return items;
  }

  stringVector(what: string): string[] {
    return (this.vector((reader) => reader.requiredString(what)) ?? []) as string[];
  }
}

export class JuteWriter {
  private bytes: Buffer;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.bytes = Buffer.allocUnsafe(initialCapacity);
  }

  private reserve(count: number): number {
    if (this.length + count > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + count));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    const at = this.length;
    this.length += count;
    return at;
  }

  int(value: number): this {
    // The offset first: reserve() may replace this.bytes.
    const at = this.reserve(4);
    this.bytes.writeInt32BE(value | 0, at);
    return this;
  }

  long(value: number): this {
    const at = this.reserve(8);
    this.bytes.writeBigInt64BE(BigInt(Math.trunc(value)), at);
    return this;
  }

  bool(value: boolean): this {
    const at = this.reserve(1);
    this.bytes[at] = value ? 1 : 0;
    return this;
  }

  buffer(value: Uint8Array | null): this {
    if (value === null) return this.int(-1);
    this.int(value.length);
    const at = this.reserve(value.length);
    this.bytes.set(value, at);
    return this;
  }

  string(value: string | null): this {
    if (value === null) return this.int(-1);
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.int(byteLength);
    const at = this.reserve(byteLength);
    this.bytes.write(value, at, byteLength, 'utf8');
    return this;
  }

  vector<T>(items: readonly T[] | null, writeElement: (writer: JuteWriter, item: T) => void): this {
    if (items === null) return this.int(-1);
    this.int(items.length);
    for (const item of items) writeElement(this, item);
    return this;
  }

  stringVector(items: readonly string[]): this {
    return this.vector(items, (writer, item) => writer.string(item));
  }

  /** The record with its 4-byte length prefix: one frame on the wire. */
  frame(): Buffer {
    const framed = Buffer.allocUnsafe(this.length + 4);
    framed.writeInt32BE(this.length, 0);
    this.bytes.copy(framed, 4, 0, this.length);
    return framed;
  }

  /** The record without a length prefix. */
  body(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.length));
  }
}

export function writeStat(writer: JuteWriter, stat: Stat): void {
  writer
    .long(stat.czxid)
    .long(stat.mzxid)
    .long(stat.ctime)
    .long(stat.mtime)
    .int(stat.version)
    .int(stat.cversion)
    .int(stat.aversion)
    .long(stat.ephemeralOwner)
    .int(stat.dataLength)
    .int(stat.numChildren)
    .long(stat.pzxid);
}

export function readStat(reader: JuteReader): Stat {
  return {
    czxid: reader.long(),
    mzxid: reader.long(),
    ctime: reader.long(),
    mtime: reader.long(),
    version: reader.int(),
    cversion: reader.int(),
    aversion: reader.int(),
    ephemeralOwner: reader.long(),
    dataLength: reader.int(),
    numChildren: reader.int(),
    pzxid: reader.long(),
  };
}

export function writeAcl(writer: JuteWriter, entry: ACL): void {
  writer.int(entry.perms).string(entry.id.scheme).string(entry.id.id);
}

export function readAcl(reader: JuteReader): ACL {
  const perms = reader.int();
  const scheme = reader.requiredString('ACL scheme');
  // kazoo writes an empty string as a null one (length -1), so Id('auth', '') arrives with a null
  // id; ZooKeeper reads it as null and its fix-up never looks at an auth entry's id. Null is ''
  // here, which the fix-up expands (auth) or refuses with InvalidACL (any other scheme).
  const id = reader.string() ?? '';
  return { perms, id: { scheme, id } };
}

export function readAclList(reader: JuteReader): ACL[] {
  // A null ACL list reaches the server's fix-up as empty, which refuses it with InvalidACL.
  return reader.vector(readAcl) ?? [];
}
