import { describe, expect, it } from 'vitest';
import { Reader, TXN_FORMAT_VERSION, Writer, decodeTxnRecord, encodeTxnRecord, readInt64, writeInt64 } from '../../src/core/codec.js';
import { KeeperError } from '../../src/core/errors.js';
import { CreateMode, OPEN_ACL_UNSAFE, Perms, makeZxid } from '../../src/core/types.js';
import type { ACL, Txn, TxnHeader, TxnRecord } from '../../src/core/types.js';

const header: TxnHeader = { sessionId: 0x1234_5678_9abc, cxid: 42, zxid: makeZxid(7, 99), time: 1_700_000_000_123 };
const acl: ACL[] = [
  { perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } },
  { perms: Perms.READ | Perms.WRITE, id: { scheme: 'digest', id: 'user:hash=' } },
];

const txns: Txn[] = [
  { type: 'createSession', timeoutMs: 30_000, password: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]) },
  { type: 'createSession', timeoutMs: 0, password: new Uint8Array(0) },
  { type: 'closeSession' },
  { type: 'create', path: '/a/b', data: new Uint8Array([0, 255, 7]), acl, ephemeralOwner: 0, parentCVersion: 3, mode: CreateMode.PERSISTENT, ttl: 0 },
  { type: 'create', path: '/e', data: null, acl: [...OPEN_ACL_UNSAFE], ephemeralOwner: 0x1f_ffff_ffff_ffff, parentCVersion: -1, mode: CreateMode.EPHEMERAL_SEQUENTIAL, ttl: 0 },
  { type: 'create', path: '/ttl', data: new Uint8Array(0), acl: [], ephemeralOwner: 0, parentCVersion: 0, mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 86_400_000 },
  { type: 'delete', path: '/a/b' },
  { type: 'setData', path: '/a', data: new Uint8Array(1000).fill(9), version: 17 },
  { type: 'setData', path: '/a', data: null, version: 0 },
  { type: 'setData', path: '/a', data: new Uint8Array(0), version: 0 },
  { type: 'setACL', path: '/a', acl, version: 2 },
  { type: 'check', path: '/a', version: -1 },
  { type: 'error', code: -101 },
  {
    type: 'multi',
    txns: [
      { type: 'create', path: '/m/1', data: null, acl, ephemeralOwner: 5, parentCVersion: 1, mode: CreateMode.EPHEMERAL, ttl: 0 },
      { type: 'delete', path: '/m/0' },
      { type: 'setData', path: '/m', data: new Uint8Array([1]), version: 4 },
      { type: 'check', path: '/m', version: 4 },
      { type: 'error', code: 0 },
    ],
  },
  { type: 'multi', txns: [] },
  { type: 'deleteContainer', path: '/container' },
  { type: 'delete', path: '/ünïcödé/路径/😀' },
];

function expectMarshallingError(action: () => unknown): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(KeeperError);
  expect((thrown as KeeperError).codeName).toBe('MarshallingError');
}

/** Deterministic bytes for fuzzing (xorshift32). */
function pseudoRandomBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed | 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

describe('txn record codec', () => {
  it.each(txns.map((txn) => [txn.type, txn] as const))('round-trips %s', (_type, txn) => {
    const record: TxnRecord = { header, txn };
    const bytes = encodeTxnRecord(record);
    expect(bytes[0]).toBe(TXN_FORMAT_VERSION);
    expect(decodeTxnRecord(bytes)).toEqual(record);
  });

  it('keeps null data apart from empty data', () => {
    const asNull = decodeTxnRecord(encodeTxnRecord({ header, txn: { type: 'setData', path: '/a', data: null, version: 0 } }));
    const asEmpty = decodeTxnRecord(encodeTxnRecord({ header, txn: { type: 'setData', path: '/a', data: new Uint8Array(0), version: 0 } }));
    expect(asNull.txn).toMatchObject({ data: null });
    expect((asEmpty.txn as { data: Uint8Array }).data).toBeInstanceOf(Uint8Array);
    expect((asEmpty.txn as { data: Uint8Array }).data.length).toBe(0);
  });

  it('round-trips the extremes of safe integers exactly', () => {
    for (const value of [0, 1, -1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, makeZxid(2 ** 21 - 1, 2 ** 32 - 1)]) {
      const record: TxnRecord = { header: { sessionId: value, cxid: -5, zxid: value, time: value }, txn: { type: 'closeSession' } };
      expect(decodeTxnRecord(encodeTxnRecord(record))).toEqual(record);
    }
  });

  it('decoded data does not alias the input buffer', () => {
    const bytes = encodeTxnRecord({ header, txn: { type: 'setData', path: '/a', data: new Uint8Array([1, 2, 3]), version: 1 } });
    const copy = Buffer.from(bytes);
    const decoded = decodeTxnRecord(copy).txn as { data: Uint8Array };
    copy.fill(0);
    expect([...decoded.data]).toEqual([1, 2, 3]);
  });

  it('refuses to encode what it could not decode', () => {
    expect(() => encodeTxnRecord({ header: { ...header, zxid: 2 ** 53 }, txn: { type: 'closeSession' } })).toThrow();
    const nested = { type: 'multi', txns: [{ type: 'multi', txns: [] }] } as unknown as Txn;
    expect(() => encodeTxnRecord({ header, txn: nested })).toThrow();
  });

  it('answers every truncated prefix with a MarshallingError', () => {
    for (const txn of txns) {
      const bytes = encodeTxnRecord({ header, txn });
      for (let length = 0; length < bytes.length; length++) expectMarshallingError(() => decodeTxnRecord(bytes.subarray(0, length)));
    }
  });

  it('rejects a wrong version, unknown tags, trailing bytes and nested multis', () => {
    const bytes = Buffer.from(encodeTxnRecord({ header, txn: { type: 'delete', path: '/x' } }));
    const tagOffset = 1 + 8 + 4 + 8 + 8;
    expectMarshallingError(() => decodeTxnRecord(Buffer.concat([Buffer.from([99]), bytes.subarray(1)])));
    for (const tag of [0, 11, 255]) {
      const changed = Buffer.from(bytes);
      changed[tagOffset] = tag;
      expectMarshallingError(() => decodeTxnRecord(changed));
    }
    expectMarshallingError(() => decodeTxnRecord(Buffer.concat([bytes, Buffer.from([0])])));

    const multi = Buffer.from(encodeTxnRecord({ header, txn: { type: 'multi', txns: [{ type: 'error', code: 1 }] } }));
    const nested = Buffer.from(multi);
    nested[tagOffset + 5] = nested[tagOffset]!; // the sub-txn's tag becomes "multi"
    expectMarshallingError(() => decodeTxnRecord(nested));
    const sessionInMulti = Buffer.from(multi);
    sessionInMulti[tagOffset + 5] = 2; // closeSession, not allowed inside a multi
    expectMarshallingError(() => decodeTxnRecord(sessionInMulti));
  });

  it('rejects unsafe 64-bit values, bad UTF-8, unknown create modes and huge counts', () => {
    const bytes = Buffer.from(encodeTxnRecord({ header, txn: { type: 'delete', path: '/x' } }));
    const unsafe = Buffer.from(bytes);
    unsafe.writeInt32BE(0x0020_0000, 1); // sessionId high word: 2^53
    expectMarshallingError(() => decodeTxnRecord(unsafe));

    const pathOffset = 1 + 8 + 4 + 8 + 8 + 1 + 4;
    const badUtf8 = Buffer.from(bytes);
    badUtf8[pathOffset] = 0xc3; // lead byte followed by "x", not a continuation
    expectMarshallingError(() => decodeTxnRecord(badUtf8));

    const create = Buffer.from(
      encodeTxnRecord({ header, txn: { type: 'create', path: '/c', data: null, acl: [], ephemeralOwner: 0, parentCVersion: 0, mode: 0, ttl: 0 } }),
    );
    const modeOffset = create.length - 8 - 1;
    create[modeOffset] = 7;
    expectMarshallingError(() => decodeTxnRecord(create));

    const multi = Buffer.from(encodeTxnRecord({ header, txn: { type: 'multi', txns: [] } }));
    multi.writeUInt32BE(0xffff_ffff, multi.length - 4);
    expectMarshallingError(() => decodeTxnRecord(multi));
  });

  it('answers random garbage with a record or a MarshallingError, nothing else', () => {
    const valid = encodeTxnRecord({ header, txn: txns[13]! });
    for (let seed = 1; seed <= 2000; seed++) {
      const garbage = pseudoRandomBytes(seed, 1 + (seed % 200));
      if (seed % 2 === 0) garbage[0] = TXN_FORMAT_VERSION;
      try {
        decodeTxnRecord(garbage);
      } catch (error) {
        expect((error as KeeperError).codeName).toBe('MarshallingError');
      }
      // Flip one byte of a valid record.
      const flipped = Buffer.from(valid);
      flipped[seed % flipped.length] ^= 1 + (seed % 255);
      try {
        decodeTxnRecord(flipped);
      } catch (error) {
        expect((error as KeeperError).codeName).toBe('MarshallingError');
      }
    }
  });

  it('encodes quickly enough for the write path', () => {
    const record: TxnRecord = { header, txn: txns[3]! };
    const started = performance.now();
    for (let index = 0; index < 100_000; index++) encodeTxnRecord(record);
    // Generous bound: a regression to JSON or per-field allocation shows up as seconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('Writer and Reader', () => {
  it('round-trip every field type and grow past the initial capacity', () => {
    const writer = new Writer(4);
    writer.u8(255).u32(0xffff_ffff).i32(-2).i64(-(2 ** 40) - 3).bytes(null).bytes(new Uint8Array([7, 8])).string('päth').acl(acl);
    const reader = new Reader(writer.finish());
    expect(reader.u8()).toBe(255);
    expect(reader.u32()).toBe(0xffff_ffff);
    expect(reader.i32()).toBe(-2);
    expect(reader.i64()).toBe(-(2 ** 40) - 3);
    expect(reader.bytesOrNull()).toBeNull();
    expect(reader.bytesOrNull()).toEqual(new Uint8Array([7, 8]));
    expect(reader.string()).toBe('päth');
    expect(reader.acl()).toEqual(acl);
    expect(reader.remaining).toBe(0);
    reader.end();
  });

  it('reads from a view with a byte offset', () => {
    const backing = Buffer.alloc(32);
    const view = backing.subarray(5, 5 + 12);
    writeInt64(Buffer.from(view.buffer, view.byteOffset, view.length), 123_456_789_012, 0);
    view.writeUInt32BE(77, 8);
    const reader = new Reader(view);
    expect(reader.i64()).toBe(123_456_789_012);
    expect(reader.u32()).toBe(77);
    expect(readInt64(view, 0)).toBe(123_456_789_012);
  });

  it('reports reads past the end as MarshallingError', () => {
    expectMarshallingError(() => new Reader(new Uint8Array(3)).u32());
    expectMarshallingError(() => new Reader(new Uint8Array([0, 0, 0, 9, 1])).string());
    expectMarshallingError(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xfe])).bytesOrNull());
    expectMarshallingError(() => new Reader(new Uint8Array([0, 0, 0, 5])).count(1));
  });
});
