// The binary form of everything servers say to each other: ZAB's peer messages (types.ts) and the
// transport's own frames (`hello`, snapshot streaming). Pure: no I/O, no clock, no randomness.
//
// A frame body is:
//   u8 codec version (PEER_CODEC_VERSION), u8 tag, then the fields of that frame type.
// Integers are big-endian; i64 is a safe integer as written by core/codec.ts's Writer; `bytes` is
// an i32 length and that many bytes; a boolean is a u8 that is exactly 0 or 1.
//
//   tag frame           fields
//   1   notification    i64 vote.leader, i64 vote.zxid, i64 vote.epoch, i64 round, u8 state
//                       (state: 1 looking, 2 following, 3 leading, 4 observing)
//   2   followerInfo    i64 acceptedEpoch, i64 lastZxid, bool observer
//   3   leaderInfo      i64 epoch
//   4   ackEpoch        i64 epoch, i64 currentEpoch, i64 lastZxid
//   5   syncStart       u8 mode (1 diff, 2 trunc, 3 snap), i64 zxid
//   6   proposal        u32 count, count × (i64 zxid, bytes payload); zxids strictly increasing
//   7   ack             i64 zxid
//   8   commit          i64 zxid
//   9   inform          as proposal
//   10  newLeader       i64 epoch, i64 zxid
//   11  upToDate        i64 zxid
//   12  ping            i64 round
//   13  forward         bytes payload
//   14  reply           bytes payload
//   15  syncRequest     i64 id
//   16  syncReply       i64 id
//   64  hello           i64 serverId, u8 purpose (1 quorum, 2 election), u32 protocolVersion
//   65  snapshotChunk   bool continued, bytes
//   66  snapshotEnd     i64 zxid, u32 chunkCount
//
// Server ids, zxids, epochs and rounds are non-negative. Decoding checks every length against the
// buffer, every enumeration and boolean, the order of entries and that nothing trails the fields;
// anything else is a MarshallingError.
//
// On the wire (see server/peer-transport.ts) each body is preceded by its u32 byte length;
// encodeLengthPrefixedFrame writes both in one buffer.

import { Reader, Writer } from '../core/codec.js';
import { KeeperError, assert } from '../core/errors.js';
import type { Zxid } from '../core/types.js';
import type { ElectionState, Entry, PeerMessage, ServerId, SyncStart } from './types.js';

/** The layout version every frame body starts with. */
export const PEER_CODEC_VERSION = 1;
/** The transport protocol a `hello` announces; a peer speaking another one is refused. */
/** 2: pings carry the leader's leadership-check round. */
export const PEER_PROTOCOL_VERSION = 2;
/** Bytes of the length prefix in front of every frame body on the wire. */
export const FRAME_LENGTH_BYTES = 4;

export type ConnectionPurpose = 'quorum' | 'election';

/** The first frame on every connection, from the side that opened it. */
export interface Hello {
  type: 'hello';
  serverId: ServerId;
  purpose: ConnectionPurpose;
  protocolVersion: number;
}

/**
 * A piece of a snapshot streamed behind a SNAP `syncStart`. A chunk larger than a frame is cut
 * into pieces: every piece but the chunk's last has `continued` set.
 */
export interface SnapshotChunk {
  type: 'snapshotChunk';
  bytes: Uint8Array;
  continued: boolean;
}

/** Ends a snapshot stream: its zxid (the `syncStart`'s) and how many whole chunks it held. */
export interface SnapshotEnd {
  type: 'snapshotEnd';
  zxid: Zxid;
  chunkCount: number;
}

export type TransportFrame = Hello | SnapshotChunk | SnapshotEnd;

/** Anything that travels in one frame. */
export type WireFrame = PeerMessage | TransportFrame;

const Tag = {
  notification: 1,
  followerInfo: 2,
  leaderInfo: 3,
  ackEpoch: 4,
  syncStart: 5,
  proposal: 6,
  ack: 7,
  commit: 8,
  inform: 9,
  newLeader: 10,
  upToDate: 11,
  ping: 12,
  forward: 13,
  reply: 14,
  syncRequest: 15,
  syncReply: 16,
  hello: 64,
  snapshotChunk: 65,
  snapshotEnd: 66,
} as const satisfies Record<WireFrame['type'], number>;

const ELECTION_STATE_CODES = { looking: 1, following: 2, leading: 3, observing: 4 } as const satisfies Record<ElectionState, number>;
const SYNC_MODE_CODES = { diff: 1, trunc: 2, snap: 3 } as const satisfies Record<SyncStart['mode'], number>;
const PURPOSE_CODES = { quorum: 1, election: 2 } as const satisfies Record<ConnectionPurpose, number>;

const ELECTION_STATES = invert(ELECTION_STATE_CODES);
const SYNC_MODES = invert(SYNC_MODE_CODES);
const PURPOSES = invert(PURPOSE_CODES);

const HEAD_BYTES = 2;
const I64_BYTES = 8;
const U32_BYTES = 4;
const LENGTH_BYTES = 4;
/** zxid + payload length: the smallest encoded entry. */
const ENTRY_MIN_BYTES = I64_BYTES + LENGTH_BYTES;
const TRANSPORT_TYPES: ReadonlySet<string> = new Set<TransportFrame['type']>(['hello', 'snapshotChunk', 'snapshotEnd']);

function invert<K extends string>(codes: Record<K, number>): ReadonlyMap<number, K> {
  return new Map(Object.entries<number>(codes).map(([name, code]) => [code, name as K]));
}

function marshallingError(detail: string): KeeperError {
  return new KeeperError('MarshallingError', `cannot decode peer frame: ${detail}`);
}

export function isTransportFrame(frame: WireFrame): frame is TransportFrame {
  return TRANSPORT_TYPES.has(frame.type);
}

// ---------------------------------------------------------------------------------------------
// Sizes

/** The exact encoded size of a frame body, so that encoding allocates once. */
export function encodedFrameSize(frame: WireFrame): number {
  return HEAD_BYTES + fieldsSize(frame);
}

/** The encoded size of an entry inside a proposal or inform. */
export function encodedEntrySize(entry: Entry): number {
  return ENTRY_MIN_BYTES + entry.payload.length;
}

/** The encoded size of a proposal or inform body with no entries. */
export const EMPTY_ENTRY_LIST_FRAME_BYTES = HEAD_BYTES + U32_BYTES;

function fieldsSize(frame: WireFrame): number {
  switch (frame.type) {
    case 'notification':
      return 4 * I64_BYTES + 1;
    case 'followerInfo':
      return 2 * I64_BYTES + 1;
    case 'leaderInfo':
    case 'ack':
    case 'commit':
    case 'upToDate':
    case 'syncRequest':
    case 'syncReply':
      return I64_BYTES;
    case 'ackEpoch':
      return 3 * I64_BYTES;
    case 'syncStart':
      return 1 + I64_BYTES;
    case 'proposal':
    case 'inform':
      return entriesSize(frame.entries);
    case 'newLeader':
      return 2 * I64_BYTES;
    case 'ping':
      return I64_BYTES;
    case 'forward':
    case 'reply':
      return LENGTH_BYTES + frame.payload.length;
    case 'hello':
      return I64_BYTES + 1 + U32_BYTES;
    case 'snapshotChunk':
      return 1 + LENGTH_BYTES + frame.bytes.length;
    case 'snapshotEnd':
      return I64_BYTES + U32_BYTES;
  }
}

function entriesSize(entries: readonly Entry[]): number {
  let total = U32_BYTES;
  for (const entry of entries) total += ENTRY_MIN_BYTES + entry.payload.length;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A frame body. */
export function encodeFrame(frame: WireFrame): Uint8Array {
  const size = encodedFrameSize(frame);
  const writer = new Writer(size);
  writeFrame(writer, frame);
  // Guarded so the hot path does not build the message.
  if (writer.length !== size) assert(false, `${frame.type} frame is ${writer.length} bytes, sized ${size}`);
  return writer.finish();
}

/** The u32 body length followed by the body: what goes on the wire, in one buffer. */
export function encodeLengthPrefixedFrame(frame: WireFrame): Uint8Array {
  const size = encodedFrameSize(frame);
  const writer = new Writer(FRAME_LENGTH_BYTES + size);
  writer.u32(size);
  writeFrame(writer, frame);
  if (writer.length !== FRAME_LENGTH_BYTES + size) assert(false, `${frame.type} frame is ${writer.length} bytes, sized ${FRAME_LENGTH_BYTES + size}`);
  return writer.finish();
}

function writeFrame(writer: Writer, frame: WireFrame): void {
  writer.u8(PEER_CODEC_VERSION).u8(Tag[frame.type]);
  switch (frame.type) {
    case 'notification':
      writeNonNegative(writer, frame.vote.leader, 'vote leader');
      writeNonNegative(writer, frame.vote.zxid, 'vote zxid');
      writeNonNegative(writer, frame.vote.epoch, 'vote epoch');
      writeNonNegative(writer, frame.round, 'round');
      writer.u8(ELECTION_STATE_CODES[frame.state]);
      return;
    case 'followerInfo':
      writeNonNegative(writer, frame.acceptedEpoch, 'accepted epoch');
      writeNonNegative(writer, frame.lastZxid, 'last zxid');
      writer.u8(frame.observer ? 1 : 0);
      return;
    case 'leaderInfo':
      writeNonNegative(writer, frame.epoch, 'epoch');
      return;
    case 'ackEpoch':
      writeNonNegative(writer, frame.epoch, 'epoch');
      writeNonNegative(writer, frame.currentEpoch, 'current epoch');
      writeNonNegative(writer, frame.lastZxid, 'last zxid');
      return;
    case 'syncStart':
      writer.u8(SYNC_MODE_CODES[frame.mode]);
      writeNonNegative(writer, frame.zxid, 'zxid');
      return;
    case 'proposal':
    case 'inform':
      writeEntries(writer, frame.entries);
      return;
    case 'ack':
    case 'commit':
    case 'upToDate':
      writeNonNegative(writer, frame.zxid, 'zxid');
      return;
    case 'newLeader':
      writeNonNegative(writer, frame.epoch, 'epoch');
      writeNonNegative(writer, frame.zxid, 'zxid');
      return;
    case 'ping':
      writeNonNegative(writer, frame.round, 'round');
      return;
    case 'forward':
    case 'reply':
      writer.bytes(frame.payload);
      return;
    case 'syncRequest':
    case 'syncReply':
      writer.i64(frame.id);
      return;
    case 'hello':
      writeNonNegative(writer, frame.serverId, 'server id');
      writer.u8(PURPOSE_CODES[frame.purpose]).u32(frame.protocolVersion);
      return;
    case 'snapshotChunk':
      writer.u8(frame.continued ? 1 : 0).bytes(frame.bytes);
      return;
    case 'snapshotEnd':
      writeNonNegative(writer, frame.zxid, 'zxid');
      writer.u32(frame.chunkCount);
      return;
  }
}

function writeNonNegative(writer: Writer, value: number, name: string): void {
  if (!(value >= 0)) assert(false, `${name} ${value} is non-negative`);
  writer.i64(value);
}

function writeEntries(writer: Writer, entries: readonly Entry[]): void {
  writer.u32(entries.length);
  let previous = -1;
  for (const entry of entries) {
    if (!(entry.zxid > previous)) assert(false, `entry zxids increase (${entry.zxid} after ${previous})`);
    previous = entry.zxid;
    writer.i64(entry.zxid).bytes(entry.payload);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decodes one frame body; anything malformed is a MarshallingError. */
export function decodeFrame(body: Uint8Array): WireFrame {
  const reader = new Reader(body);
  const version = reader.u8();
  if (version !== PEER_CODEC_VERSION) throw marshallingError(`unknown codec version ${version}`);
  const frame = readFields(reader, reader.u8());
  reader.end();
  return frame;
}

/** Decodes a frame body that must be one of ZAB's messages. */
export function decodePeerMessage(body: Uint8Array): PeerMessage {
  const frame = decodeFrame(body);
  if (isTransportFrame(frame)) throw marshallingError(`a ${frame.type} frame is not a peer message`);
  return frame;
}

function readFields(reader: Reader, tag: number): WireFrame {
  switch (tag) {
    case Tag.notification:
      return readNotification(reader);
    case Tag.followerInfo: {
      const acceptedEpoch = readNonNegative(reader, 'accepted epoch');
      const lastZxid = readNonNegative(reader, 'last zxid');
      return { type: 'followerInfo', acceptedEpoch, lastZxid, observer: readBoolean(reader, 'observer') };
    }
    case Tag.leaderInfo:
      return { type: 'leaderInfo', epoch: readNonNegative(reader, 'epoch') };
    case Tag.ackEpoch: {
      const epoch = readNonNegative(reader, 'epoch');
      const currentEpoch = readNonNegative(reader, 'current epoch');
      return { type: 'ackEpoch', epoch, currentEpoch, lastZxid: readNonNegative(reader, 'last zxid') };
    }
    case Tag.syncStart: {
      const mode = readEnumeration(reader, SYNC_MODES, 'sync mode');
      return { type: 'syncStart', mode, zxid: readNonNegative(reader, 'zxid') };
    }
    case Tag.proposal:
      return { type: 'proposal', entries: readEntries(reader) };
    case Tag.inform:
      return { type: 'inform', entries: readEntries(reader) };
    case Tag.ack:
      return { type: 'ack', zxid: readNonNegative(reader, 'zxid') };
    case Tag.commit:
      return { type: 'commit', zxid: readNonNegative(reader, 'zxid') };
    case Tag.newLeader: {
      const epoch = readNonNegative(reader, 'epoch');
      return { type: 'newLeader', epoch, zxid: readNonNegative(reader, 'zxid') };
    }
    case Tag.upToDate:
      return { type: 'upToDate', zxid: readNonNegative(reader, 'zxid') };
    case Tag.ping:
      return { type: 'ping', round: reader.i64() };
    case Tag.forward:
      return { type: 'forward', payload: reader.bytesNonNull() };
    case Tag.reply:
      return { type: 'reply', payload: reader.bytesNonNull() };
    case Tag.syncRequest:
      return { type: 'syncRequest', id: reader.i64() };
    case Tag.syncReply:
      return { type: 'syncReply', id: reader.i64() };
    case Tag.hello:
      return readHello(reader);
    case Tag.snapshotChunk: {
      const continued = readBoolean(reader, 'continued');
      return { type: 'snapshotChunk', continued, bytes: reader.bytesNonNull() };
    }
    case Tag.snapshotEnd: {
      const zxid = readNonNegative(reader, 'zxid');
      return { type: 'snapshotEnd', zxid, chunkCount: reader.u32() };
    }
    default:
      throw marshallingError(`unknown frame tag ${tag}`);
  }
}

function readNotification(reader: Reader): WireFrame {
  const leader = readNonNegative(reader, 'vote leader');
  const zxid = readNonNegative(reader, 'vote zxid');
  const epoch = readNonNegative(reader, 'vote epoch');
  const round = readNonNegative(reader, 'round');
  const state = readEnumeration(reader, ELECTION_STATES, 'election state');
  return { type: 'notification', vote: { leader, zxid, epoch }, round, state };
}

function readHello(reader: Reader): Hello {
  const serverId = readNonNegative(reader, 'server id');
  const purpose = readEnumeration(reader, PURPOSES, 'connection purpose');
  return { type: 'hello', serverId, purpose, protocolVersion: reader.u32() };
}

function readEntries(reader: Reader): Entry[] {
  const count = reader.count(ENTRY_MIN_BYTES);
  const entries = new Array<Entry>(count);
  let previous = -1;
  for (let index = 0; index < count; index++) {
    const zxid = readNonNegative(reader, 'entry zxid');
    if (zxid <= previous) throw marshallingError(`entry zxid ${zxid} does not follow ${previous}`);
    previous = zxid;
    entries[index] = { zxid, payload: reader.bytesNonNull() };
  }
  return entries;
}

function readNonNegative(reader: Reader, name: string): number {
  const value = reader.i64();
  if (value < 0) throw marshallingError(`negative ${name} ${value}`);
  return value;
}

function readBoolean(reader: Reader, name: string): boolean {
  const value = reader.u8();
  if (value > 1) throw marshallingError(`${name} flag is ${value}, not 0 or 1`);
  return value === 1;
}

function readEnumeration<K extends string>(reader: Reader, names: ReadonlyMap<number, K>, what: string): K {
  const code = reader.u8();
  const name = names.get(code);
  if (name === undefined) throw marshallingError(`unknown ${what} ${code}`);
  return name;
}
