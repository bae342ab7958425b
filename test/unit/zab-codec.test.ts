import { describe, expect, it } from 'vitest';
import { KeeperError } from '../../src/core/errors.js';
import { makeZxid } from '../../src/core/types.js';
import {
  FRAME_LENGTH_BYTES,
  PEER_CODEC_VERSION,
  PEER_PROTOCOL_VERSION,
  decodeFrame,
  decodePeerMessage,
  encodeFrame,
  encodeLengthPrefixedFrame,
  encodedFrameSize,
  isTransportFrame,
  type WireFrame,
} from '../../src/zab/codec.js';
import type { Entry } from '../../src/zab/types.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function entries(count: number, firstZxid: number, payloadBytes: number): Entry[] {
  return Array.from({ length: count }, (_, index) => ({
    zxid: firstZxid + index,
    payload: new Uint8Array(payloadBytes).fill(index % 251),
  }));
}

const frames: WireFrame[] = [
  { type: 'notification', vote: { leader: 3, zxid: makeZxid(4, 17), epoch: 4 }, round: 9, state: 'looking' },
  { type: 'notification', vote: { leader: 0, zxid: 0, epoch: 0 }, round: 0, state: 'following' },
  { type: 'notification', vote: { leader: MAX_SAFE, zxid: MAX_SAFE, epoch: MAX_SAFE }, round: MAX_SAFE, state: 'leading' },
  { type: 'notification', vote: { leader: 2, zxid: 1, epoch: 1 }, round: 1, state: 'observing' },
  { type: 'followerInfo', acceptedEpoch: 5, lastZxid: makeZxid(5, 1), observer: false },
  { type: 'followerInfo', acceptedEpoch: 0, lastZxid: 0, observer: true },
  { type: 'leaderInfo', epoch: 6 },
  { type: 'ackEpoch', epoch: 6, currentEpoch: 5, lastZxid: makeZxid(5, 99) },
  { type: 'syncStart', mode: 'diff', zxid: makeZxid(5, 99) },
  { type: 'syncStart', mode: 'trunc', zxid: 0 },
  { type: 'syncStart', mode: 'snap', zxid: MAX_SAFE },
  { type: 'proposal', entries: [] },
  { type: 'proposal', entries: [{ zxid: makeZxid(6, 1), payload: new Uint8Array(0) }] },
  { type: 'proposal', entries: entries(50, makeZxid(6, 1), 33) },
  { type: 'ack', zxid: makeZxid(6, 50) },
  { type: 'commit', zxid: makeZxid(6, 49) },
  { type: 'inform', entries: entries(3, makeZxid(6, 7), 1000) },
  { type: 'inform', entries: [] },
  { type: 'newLeader', epoch: 6, zxid: makeZxid(5, 99) },
  { type: 'upToDate', zxid: makeZxid(6, 2) },
  { type: 'ping', round: 7 },
  { type: 'forward', payload: new TextEncoder().encode('{"op":"create","path":"/ü"}') },
  { type: 'forward', payload: new Uint8Array(0) },
  { type: 'reply', payload: bytes(0, 1, 2, 255) },
  { type: 'syncRequest', id: 12 },
  { type: 'syncReply', id: -7 },
  { type: 'hello', serverId: 2, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION },
  { type: 'hello', serverId: 255, purpose: 'election', protocolVersion: 0xffff_ffff },
  { type: 'snapshotChunk', bytes: new Uint8Array(5000).fill(7), continued: true },
  { type: 'snapshotChunk', bytes: new Uint8Array(0), continued: false },
  { type: 'snapshotEnd', zxid: makeZxid(6, 3), chunkCount: 12 },
];

function isMarshallingError(error: unknown): boolean {
  return error instanceof KeeperError && error.codeName === 'MarshallingError';
}

/** Plain checks rather than `expect`: some tests make thousands of them. */
function expectMarshallingError(body: Uint8Array): void {
  try {
    decodeFrame(body);
  } catch (error) {
    if (isMarshallingError(error)) return;
    throw new Error(`decoding ${Buffer.from(body).toString('hex')} threw ${String(error)}, not a MarshallingError`);
  }
  throw new Error(`decoding ${Buffer.from(body).toString('hex')} succeeded`);
}

/** Entry by entry (a deep equality over thousands of entries is slow). */
function assertSameEntries(frame: WireFrame, expected: Entry[]): void {
  if (frame.type !== 'proposal') throw new Error(`a proposal, not ${frame.type}`);
  expect(frame.entries.length).toBe(expected.length);
  frame.entries.forEach((entry, index) => {
    if (entry.zxid !== expected[index]!.zxid || !Buffer.from(entry.payload).equals(expected[index]!.payload)) {
      throw new Error(`entry ${index} differs`);
    }
  });
}

/** A copy of `body` with the byte at `offset` replaced. */
function withByte(body: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = new Uint8Array(body);
  copy[offset] = value;
  return copy;
}

describe('peer codec round trip', () => {
  it('covers every frame type', () => {
    const types = new Set(frames.map((frame) => frame.type));
    expect(types.size).toBe(19);
  });

  it.each(frames.map((frame, index) => [`${index} ${frame.type}`, frame] as const))('%s', (_, frame) => {
    const body = encodeFrame(frame);
    expect(body.length).toBe(encodedFrameSize(frame));
    expect(body[0]).toBe(PEER_CODEC_VERSION);
    expect(decodeFrame(body)).toEqual(frame);

    const prefixed = encodeLengthPrefixedFrame(frame);
    expect(prefixed.length).toBe(FRAME_LENGTH_BYTES + body.length);
    expect(Buffer.from(prefixed).readUInt32BE(0)).toBe(body.length);
    expect(Buffer.from(prefixed.subarray(FRAME_LENGTH_BYTES))).toEqual(Buffer.from(body));
  });

  it('copies payloads out of the source buffer', () => {
    const body = new Uint8Array(encodeFrame({ type: 'forward', payload: bytes(1, 2, 3) }));
    const decoded = decodeFrame(body);
    body.fill(0);
    expect(decoded).toEqual({ type: 'forward', payload: bytes(1, 2, 3) });
  });

  it('tells transport frames from peer messages', () => {
    for (const frame of frames) {
      const transport = frame.type === 'hello' || frame.type === 'snapshotChunk' || frame.type === 'snapshotEnd';
      expect(isTransportFrame(frame)).toBe(transport);
      const body = encodeFrame(frame);
      if (transport) expect(() => decodePeerMessage(body)).toThrow(KeeperError);
      else expect(decodePeerMessage(body)).toEqual(frame);
    }
  });

  it('encodes a proposal of many entries into one buffer of the exact size', () => {
    const many = entries(20_000, makeZxid(9, 1), 100);
    const frame: WireFrame = { type: 'proposal', entries: many };
    const prefixed = encodeLengthPrefixedFrame(frame);
    expect(prefixed.length).toBe(FRAME_LENGTH_BYTES + 2 + 4 + 20_000 * (8 + 4 + 100));
    const decoded = decodeFrame(prefixed.subarray(FRAME_LENGTH_BYTES));
    assertSameEntries(decoded, many);
  });

  it('refuses to encode invalid fields', () => {
    expect(() => encodeFrame({ type: 'ack', zxid: -1 })).toThrow(/invariant/);
    expect(() => encodeFrame({ type: 'commit', zxid: 2 ** 53 })).toThrow(/invariant/);
    const unordered = [
      { zxid: 5, payload: bytes() },
      { zxid: 5, payload: bytes() },
    ];
    expect(() => encodeFrame({ type: 'proposal', entries: unordered })).toThrow(/invariant/);
  });
});

describe('peer codec on garbage', () => {
  it('refuses empty, unknown versions and unknown tags', () => {
    expectMarshallingError(bytes());
    expectMarshallingError(bytes(PEER_CODEC_VERSION));
    expectMarshallingError(withByte(encodeFrame({ type: 'ping', round: 0 }), 0, 2));
    expectMarshallingError(withByte(encodeFrame({ type: 'ping', round: 0 }), 0, 0));
    for (const tag of [0, 17, 63, 67, 255]) expectMarshallingError(bytes(PEER_CODEC_VERSION, tag));
  });

  it('refuses every truncation and any trailing byte', () => {
    for (const frame of frames) {
      const body = encodeFrame(frame);
      for (let length = 0; length < body.length; length++) expectMarshallingError(body.subarray(0, length));
      const longer = new Uint8Array(body.length + 1);
      longer.set(body);
      expectMarshallingError(longer);
    }
  });

  it('refuses unknown enumeration values and non-boolean flags', () => {
    const notification = encodeFrame(frames[0]!);
    // version, tag, 4 × i64, state
    for (const state of [0, 5, 255]) expectMarshallingError(withByte(notification, 2 + 32, state));
    const syncStart = encodeFrame({ type: 'syncStart', mode: 'diff', zxid: 1 });
    for (const mode of [0, 4]) expectMarshallingError(withByte(syncStart, 2, mode));
    const hello = encodeFrame({ type: 'hello', serverId: 1, purpose: 'quorum', protocolVersion: 1 });
    for (const purpose of [0, 3]) expectMarshallingError(withByte(hello, 2 + 8, purpose));
    const followerInfo = encodeFrame({ type: 'followerInfo', acceptedEpoch: 1, lastZxid: 1, observer: false });
    expectMarshallingError(withByte(followerInfo, 2 + 16, 2));
    const chunk = encodeFrame({ type: 'snapshotChunk', bytes: bytes(1), continued: false });
    expectMarshallingError(withByte(chunk, 2, 7));
  });

  it('refuses negative or unsafe integers where they cannot be', () => {
    const ack = encodeFrame({ type: 'ack', zxid: 1 });
    expectMarshallingError(withByte(ack, 2, 0xff)); // negative
    expectMarshallingError(withByte(ack, 2, 0x7f)); // beyond 2^53
    const hello = encodeFrame({ type: 'hello', serverId: 1, purpose: 'election', protocolVersion: 1 });
    expectMarshallingError(withByte(hello, 2, 0x80));
  });

  it('refuses entries out of order, impossible counts and bad lengths', () => {
    const twoEntries = encodeFrame({
      type: 'proposal',
      entries: [
        { zxid: 1, payload: bytes() },
        { zxid: 2, payload: bytes() },
      ],
    });
    // version, tag, count, then zxid 1 (8 bytes) + length (4), then zxid 2: make the second zxid 1.
    expectMarshallingError(withByte(twoEntries, 2 + 4 + 12 + 7, 1));
    expectMarshallingError(withByte(twoEntries, 2 + 4 + 12 + 7, 0));
    // A count far beyond what the bytes can hold.
    expectMarshallingError(withByte(twoEntries, 2, 0x7f));
    // A negative payload length (null is not allowed either).
    const forward = encodeFrame({ type: 'forward', payload: bytes(1, 2) });
    expectMarshallingError(withByte(forward, 2, 0xff));
    const nullPayload = new Uint8Array([PEER_CODEC_VERSION, 13, 0xff, 0xff, 0xff, 0xff]);
    expectMarshallingError(nullPayload);
    // A length beyond the buffer.
    expectMarshallingError(withByte(forward, 2 + 3, 200));
  });

  it('never throws anything but MarshallingError on random bytes', () => {
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    let decoded = 0;
    for (let round = 0; round < 5_000; round++) {
      const base = encodeFrame(frames[random() % frames.length]!);
      const body = new Uint8Array(base);
      // Flip a few bytes of a valid frame, or take plain noise.
      if (round % 4 === 0) for (let index = 0; index < body.length; index++) body[index] = random() & 0xff;
      else for (let flips = 1 + (random() % 3); flips > 0; flips--) body[random() % body.length] = random() & 0xff;
      try {
        decodeFrame(body);
        decoded++;
      } catch (error) {
        if (!isMarshallingError(error)) throw error;
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
