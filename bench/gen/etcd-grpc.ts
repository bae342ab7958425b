// etcd's KV service (etcdserverpb.KV) over gRPC as a load generator's Driver, one channel (one
// HTTP/2 connection) per driver and one unary call per operation, as etcd's own Go client does.
// The two messages it sends are encoded by hand and the one answer it looks into is scanned for a
// single field, so no .proto file is needed:
//
//   PutRequest    { bytes key = 1; bytes value = 2; }            (both length-delimited)
//   RangeRequest  { bytes key = 1; }                             (a single key, linearizable)
//   RangeResponse { header = 1; repeated kvs = 2; bool more = 3; int64 count = 4; }

import * as grpc from '@grpc/grpc-js';
import { DriverError, type Driver } from './driver.js';

const PUT = '/etcdserverpb.KV/Put';
const RANGE = '/etcdserverpb.KV/Range';
/** Per call, as the Cairn drivers' timeoutMs. */
const CALL_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** Field 1, wire type 2 (length-delimited). */
const TAG_KEY = 0x0a;
/** Field 2, wire type 2. */
const TAG_VALUE = 0x12;
/** RangeResponse.count: field 4, wire type 0 (varint). */
const TAG_COUNT = 0x20;

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // A connection of its own: grpc-js would otherwise share one subchannel between the channels of
  // every driver opened on the same endpoint in this process.
  'grpc.use_local_subchannel_pool': 1,
  // etcd answers are small; no cap, as with the Cairn client.
  'grpc.max_receive_message_length': -1,
};

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value >>>= 7;
    size++;
  }
  return size;
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[offset++] = value;
  return offset;
}

/** A length-delimited field's bytes for a key: tag, varint length, UTF-8. */
function keyFieldSize(keyBytes: number): number {
  return 1 + varintSize(keyBytes) + keyBytes;
}

function writeKeyField(buffer: Buffer, offset: number, key: string, keyBytes: number): number {
  buffer[offset++] = TAG_KEY;
  offset = writeVarint(buffer, offset, keyBytes);
  return offset + buffer.write(key, offset, keyBytes, 'utf8');
}

export function encodePutRequest(key: string, value: Uint8Array): Buffer {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const buffer = Buffer.allocUnsafe(keyFieldSize(keyBytes) + 1 + varintSize(value.length) + value.length);
  let offset = writeKeyField(buffer, 0, key, keyBytes);
  buffer[offset++] = TAG_VALUE;
  offset = writeVarint(buffer, offset, value.length);
  buffer.set(value, offset);
  return buffer;
}

export function encodeRangeRequest(key: string): Buffer {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  const buffer = Buffer.allocUnsafe(keyFieldSize(keyBytes));
  writeKeyField(buffer, 0, key, keyBytes);
  return buffer;
}

/** RangeResponse.count, scanning the top-level fields and skipping the others by wire type. */
export function decodeRangeCount(buffer: Buffer): number {
  let offset = 0;
  let count = 0;
  const end = buffer.length;
  const readVarint = (): number => {
    let result = 0;
    let scale = 1;
    for (let index = 0; index < 10; index++) {
      if (offset >= end) throw new Error('truncated varint');
      const byte = buffer[offset++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  };
  while (offset < end) {
    const tag = readVarint();
    if (tag === TAG_COUNT) {
      count = readVarint();
      continue;
    }
    switch (tag & 7) {
      case 0:
        readVarint();
        break;
      case 1:
        offset += 8;
        break;
      case 2: {
        const length = readVarint();
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        throw new Error(`unexpected wire type ${tag & 7} in RangeResponse`);
    }
    if (offset > end) throw new Error('truncated field in RangeResponse');
  }
  return count;
}

const passThrough = (buffer: Buffer): Buffer => buffer;
/** Never null: grpc-js takes a null message for no message at all. */
const acknowledged = (): true => true;

function statusName(code: number): string {
  return grpc.status[code] ?? `status ${code}`;
}

export async function connectEtcdGrpc(endpoint: string): Promise<Driver> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const channel = client.getChannel();
  let closed = false;
  let lost = false;

  const watch = () => {
    if (closed) return;
    const state = channel.getConnectivityState(false);
    if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
      lost = true;
      return;
    }
    channel.watchConnectivityState(state, Infinity, watch);
  };

  try {
    await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (error) => (error === undefined ? resolve() : reject(error))));
  } catch (error) {
    client.close();
    throw new DriverError('UNAVAILABLE', `no connection to etcd at ${endpoint}: ${(error as Error).message}`);
  }
  watch();

  const toDriverError = (error: grpc.ServiceError): DriverError => {
    // etcd answers UNAVAILABLE itself ('etcdserver: no leader', 'etcdserver: leader changed',
    // 'etcdserver: request timed out') over a connection that is fine; any other UNAVAILABLE is
    // the transport's.
    if (error.code === grpc.status.UNAVAILABLE && !error.details.startsWith('etcdserver:')) lost = true;
    return new DriverError(statusName(error.code), error.details || error.message);
  };

  const closedError = () => new DriverError('closed', 'the driver is closed');

  const put = (key: string, value: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closedError());
      client.makeUnaryRequest(PUT, passThrough, acknowledged, encodePutRequest(key, value), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error) => {
        if (error) reject(toDriverError(error));
        else resolve();
      });
    });

  return {
    get broken() {
      return closed || lost;
    },
    async prepare() {
      // etcd's keyspace is flat: nothing to make.
    },
    create: put,
    write: put,
    read: (key) =>
      new Promise((resolve, reject) => {
        if (closed) return reject(closedError());
        client.makeUnaryRequest(RANGE, passThrough, decodeRangeCount, encodeRangeRequest(key), { deadline: Date.now() + CALL_TIMEOUT_MS }, (error, count) => {
          if (error) reject(toDriverError(error));
          else if (count === 0) reject(new DriverError('NotFound', `${key} does not exist`));
          else resolve();
        });
      }),
    async close() {
      if (closed) return;
      closed = true;
      client.close();
    },
  };
}
