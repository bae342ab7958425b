import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  requestFromProto,
  requestToProto,
  requestToProtoMessage,
  responseFromProto,
  responseToProto,
  sessionRequestFromProto,
  sessionResponseFromProto,
  unaryResponseToProto,
  watchEventFromProto,
  watchEventToProto,
  xidFromProto,
} from '../../src/api/grpc/convert.js';
import { keeperErrorFromStatus, toErrorDetail, toGrpcStatus, toKeeperError } from '../../src/api/grpc/errors.js';
import type { ClientMessage__Output } from '../../src/api/grpc/generated/cairn/v1/ClientMessage.js';
import type { Request__Output } from '../../src/api/grpc/generated/cairn/v1/Request.js';
import type { ServerMessage__Output } from '../../src/api/grpc/generated/cairn/v1/ServerMessage.js';
import { loadCairnProto } from '../../src/api/grpc/loader.js';
import { approximateBytes, OutboundQueue } from '../../src/api/grpc/outbound.js';
import { peerAddress, transportIdsOf } from '../../src/api/grpc/service.js';
import { connectOptionsFromProto } from '../../src/api/grpc/session-stream.js';
import { KeeperError, keeperError } from '../../src/core/errors.js';
import {
  AddWatchMode,
  CreateMode,
  EventType,
  KeeperState,
  OPEN_ACL_UNSAFE,
  WatcherType,
  type Request,
  type Response,
  type Stat,
  type WatchEvent,
} from '../../src/core/types.js';

// The real encoders of the Session method, so round trips go through the wire format.
interface MethodCodec {
  requestSerialize(value: unknown): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
  responseDeserialize(bytes: Buffer): unknown;
}
function method(name: string): MethodCodec {
  const service = loadCairnProto().packageDefinition['cairn.v1.Cairn'] as unknown as Record<string, MethodCodec>;
  return service[name] as MethodCodec;
}
const session = method('Session');

function overTheWire(request: Request, xid = 7): Request__Output {
  const decoded = session.requestDeserialize(session.requestSerialize({ request: { xid, ...requestToProto(request) } })) as ClientMessage__Output;
  expect(decoded.kind).toBe('request');
  return decoded.request as Request__Output;
}

function responseOverTheWire(response: Response): ServerMessage__Output {
  return session.responseDeserialize(session.responseSerialize({ response: { xid: 3, zxid: 2 ** 40 + 5, ...responseToProto(response) } })) as ServerMessage__Output;
}

function thrown(action: () => unknown): KeeperError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KeeperError);
    return error as KeeperError;
  }
  throw new Error('expected a KeeperError');
}

const bytes = (text: string) => Buffer.from(text, 'utf8');
const stat: Stat = {
  czxid: 2 ** 33 + 1,
  mzxid: 2 ** 33 + 9,
  ctime: 1_700_000_000_000,
  mtime: 1_700_000_000_500,
  version: 3,
  cversion: 2,
  aversion: 1,
  ephemeralOwner: 0x1234_5678_9abc,
  dataLength: 5,
  numChildren: 2,
  pzxid: 2 ** 33 + 7,
};
const digestAcl = [{ perms: 31, id: { scheme: 'digest', id: 'user:hash=' } }];

const REQUESTS: Request[] = [
  { op: 'create', path: '/a', data: bytes('hello'), acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
  { op: 'create', path: '/seq-', data: null, acl: digestAcl, mode: CreateMode.EPHEMERAL_SEQUENTIAL },
  { op: 'create', path: '/ttl', data: Buffer.alloc(0), acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 60_000 },
  { op: 'delete', path: '/a', version: -1 },
  { op: 'setData', path: '/a', data: bytes('x'), version: 4 },
  { op: 'setData', path: '/a', data: null, version: -1 },
  { op: 'check', path: '/a', version: 0 },
  { op: 'setACL', path: '/a', acl: digestAcl, version: 2 },
  {
    op: 'multi',
    ops: [
      { op: 'create', path: '/m', data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.CONTAINER },
      { op: 'check', path: '/m', version: 0 },
      { op: 'setData', path: '/m', data: Buffer.alloc(0), version: 0 },
      { op: 'delete', path: '/m', version: 1 },
    ],
  },
  { op: 'getData', path: '/a', watch: true },
  { op: 'exists', path: '/a', watch: false },
  { op: 'getChildren', path: '/', watch: true },
  { op: 'getACL', path: '/a' },
  { op: 'getAllChildrenNumber', path: '/' },
  { op: 'getEphemerals', prefixPath: '/e' },
  { op: 'multiRead', ops: [{ op: 'getData', path: '/a', watch: false }, { op: 'getChildren', path: '/', watch: false }] },
  { op: 'sync', path: '/' },
  { op: 'addWatch', path: '/w', mode: AddWatchMode.PERSISTENT_RECURSIVE },
  { op: 'removeWatches', path: '/w', type: WatcherType.ANY },
  { op: 'checkWatches', path: '/w', type: WatcherType.PERSISTENT },
  {
    op: 'setWatches',
    relativeZxid: 2 ** 40,
    dataWatches: ['/d'],
    existWatches: ['/e1', '/e2'],
    childWatches: [],
    persistentWatches: ['/p'],
    persistentRecursiveWatches: ['/r'],
  },
  { op: 'auth', scheme: 'digest', credentials: bytes('user:password') },
  { op: 'whoAmI' },
];

const RESPONSES: Response[] = [
  { op: 'create', path: '/seq-0000000001', stat },
  { op: 'delete' },
  { op: 'setData', stat },
  { op: 'check' },
  { op: 'setACL', stat },
  {
    op: 'multi',
    results: [{ op: 'create', path: '/m', stat }, { op: 'delete' }, { op: 'setData', stat }, { op: 'check' }],
  },
  { op: 'multi', results: [{ op: 'error', code: 0 }, { op: 'error', code: -101 }] },
  { op: 'getData', data: bytes('hello'), stat },
  { op: 'getData', data: null, stat },
  { op: 'getData', data: Buffer.alloc(0), stat },
  { op: 'exists', stat },
  { op: 'exists', stat: null },
  { op: 'getChildren', children: ['b', 'a', 'ünïcode'], stat },
  { op: 'getACL', acl: digestAcl, stat },
  { op: 'getAllChildrenNumber', totalNumber: 42 },
  { op: 'getEphemerals', paths: ['/e/1', '/e/2'] },
  {
    op: 'multiRead',
    results: [{ op: 'getData', data: null, stat }, { op: 'getChildren', children: [], stat }, { op: 'error', code: -101 }],
  },
  { op: 'sync', path: '/' },
  { op: 'addWatch' },
  { op: 'removeWatches' },
  { op: 'checkWatches' },
  { op: 'setWatches' },
  { op: 'auth' },
  { op: 'whoAmI', clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }, { authScheme: 'digest', user: 'user' }] },
];

describe('requests over the Session stream', () => {
  it.each(REQUESTS.map((request) => [request.op, request] as const))('%s survives the round trip', (_op, request) => {
    const decoded = overTheWire(request);
    expect(xidFromProto(decoded)).toBe(7);
    expect(sessionRequestFromProto(decoded)).toEqual(request);
  });

  it('keeps null data and empty data apart', () => {
    const absent = sessionRequestFromProto(overTheWire({ op: 'setData', path: '/a', data: null, version: -1 }));
    const empty = sessionRequestFromProto(overTheWire({ op: 'setData', path: '/a', data: new Uint8Array(0), version: -1 }));
    expect(absent).toMatchObject({ data: null });
    expect(empty).toMatchObject({ data: Buffer.alloc(0) });
  });

  it('leaves the ttl out for modes without one', () => {
    const decoded = sessionRequestFromProto(overTheWire({ op: 'create', path: '/a', data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT }));
    expect(decoded).not.toHaveProperty('ttl');
  });
});

describe('unary messages', () => {
  it('decodes what the unary methods carry', () => {
    const request: Request = { op: 'create', path: '/u', data: bytes('d'), acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT_SEQUENTIAL };
    const create = method('Create');
    const decoded = create.requestDeserialize(create.requestSerialize(requestToProtoMessage(request)));
    expect(requestFromProto('create', decoded as never)).toEqual(request);

    const get = method('Get');
    const response: Response = { op: 'getData', data: null, stat };
    const answer = get.responseDeserialize(get.responseSerialize(unaryResponseToProto('getData', response)));
    expect(responseFromProto('getData', answer as never)).toEqual(response);
  });

  it('refuses to answer a call with the response of another op', () => {
    expect(thrown(() => unaryResponseToProto('getData', { op: 'delete' })).codeName).toBe('SystemError');
  });
});

describe('responses over the Session stream', () => {
  it.each(RESPONSES.map((response, index) => [`${index} ${response.op}`, response] as const))('%s survives the round trip', (_name, response) => {
    const decoded = responseOverTheWire(response);
    expect(decoded.response?.xid).toBe(3);
    expect(decoded.response?.zxid).toBe(2 ** 40 + 5);
    expect(sessionResponseFromProto(decoded.response)).toEqual(response);
  });

  it('throws the KeeperError an error result describes', () => {
    const message = session.responseSerialize({ response: { xid: 1, zxid: 9, error: toErrorDetail(keeperError('NoNode', '/missing')) } });
    const decoded = session.responseDeserialize(message) as ServerMessage__Output;
    const error = thrown(() => sessionResponseFromProto(decoded.response));
    expect(error.codeName).toBe('NoNode');
    expect(error.code).toBe(-101);
    expect(error.path).toBe('/missing');
    expect(error.message).toBe(keeperError('NoNode', '/missing').message);
  });

  it('reports an unknown error code as SystemError', () => {
    const error = thrown(() => sessionResponseFromProto({ xid: 1, zxid: 0, error: { code: -999, name: 'Future', path: '', message: 'm' }, result: 'error' }));
    expect(error.codeName).toBe('SystemError');
    expect(error.message).toContain('-999');
  });
});

describe('watch events', () => {
  const events: WatchEvent[] = [
    { type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: '/a', zxid: 2 ** 35 },
    { type: EventType.None, state: KeeperState.Expired, path: '', zxid: 0 },
    { type: EventType.PersistentWatchRemoved, state: KeeperState.Closed, path: '/p', zxid: 1 },
  ];
  it.each(events)('%o survives the round trip', (event) => {
    const decoded = session.responseDeserialize(session.responseSerialize({ event: watchEventToProto(event) })) as ServerMessage__Output;
    expect(decoded.kind).toBe('event');
    expect(watchEventFromProto(decoded.event)).toEqual(event);
  });

  it('refuses an event type ZooKeeper does not have', () => {
    expect(thrown(() => watchEventFromProto({ type: 0, state: 3, path: '/a', zxid: 1 } as never)).codeName).toBe('BadArguments');
  });
});

describe('malformed requests', () => {
  const wire = (message: unknown) => (session.requestDeserialize(session.requestSerialize(message)) as ClientMessage__Output).request as Request__Output;

  it('a request without an op is a MarshallingError', () => {
    expect(thrown(() => sessionRequestFromProto(wire({ request: { xid: 1 } }))).codeName).toBe('MarshallingError');
  });

  it('a create mode ZooKeeper does not have is BadArguments', () => {
    const error = thrown(() => sessionRequestFromProto(wire({ request: { xid: 1, create: { path: '/a', mode: 99, acl: [] } } })));
    expect(error.codeName).toBe('BadArguments');
    expect(error.message).toContain('request.create.mode');
  });

  it('a ttl on a mode without one is BadArguments', () => {
    const error = thrown(() => sessionRequestFromProto(wire({ request: { xid: 1, create: { path: '/a', mode: 0, ttl: 5 } } })));
    expect(error.codeName).toBe('BadArguments');
  });

  it('an xid beyond 2^53 is BadArguments (it could not be echoed exactly)', () => {
    expect(thrown(() => xidFromProto(wire({ request: { xid: '9007199254740993', sync: { path: '/' } } }))).codeName).toBe('BadArguments');
  });

  it('an unknown watcher type or add-watch mode is BadArguments', () => {
    expect(thrown(() => sessionRequestFromProto(wire({ request: { xid: 1, removeWatches: { path: '/a', type: 0 } } }))).codeName).toBe('BadArguments');
    expect(thrown(() => sessionRequestFromProto(wire({ request: { xid: 1, addWatch: { path: '/a', mode: 2 } } }))).codeName).toBe('BadArguments');
  });

  it('a multi op without a member is a MarshallingError', () => {
    const error = thrown(() => sessionRequestFromProto(wire({ request: { xid: 1, multi: { ops: [{ check: { path: '/a' } }, {}] } } })));
    expect(error.codeName).toBe('MarshallingError');
    expect(error.message).toContain('request.multi.ops[1]');
  });

  it('an ACL entry without an id is a MarshallingError', () => {
    const error = thrown(() => sessionRequestFromProto(wire({ request: { xid: 1, setAcl: { path: '/a', acl: [{ perms: 31 }] } } })));
    expect(error.codeName).toBe('MarshallingError');
  });

  // Messages built by hand (not decoded by grpc-js) can carry anything.
  it('a non-integer version is BadArguments, a string version a MarshallingError', () => {
    const fractional = { xid: 1, op: 'delete', delete: { path: '/a', version: 1.5 } } as unknown as Request__Output;
    const text = { xid: 1, op: 'delete', delete: { path: '/a', version: '1' } } as unknown as Request__Output;
    expect(thrown(() => sessionRequestFromProto(fractional)).codeName).toBe('BadArguments');
    expect(thrown(() => sessionRequestFromProto(text)).codeName).toBe('MarshallingError');
  });

  it('two members of a oneof at once is a MarshallingError', () => {
    const both = { xid: 1, sync: { path: '/' }, getAcl: { path: '/' } } as unknown as Request__Output;
    expect(thrown(() => sessionRequestFromProto(both)).codeName).toBe('MarshallingError');
  });

  it('data that is not bytes is a MarshallingError', () => {
    const message = { xid: 1, op: 'setData', setData: { path: '/a', data: 'text', version: 0 } } as unknown as Request__Output;
    expect(thrown(() => sessionRequestFromProto(message)).codeName).toBe('MarshallingError');
  });

  it('a missing stat in a response is a MarshallingError', () => {
    expect(thrown(() => responseFromProto('setData', { stat: null })).codeName).toBe('MarshallingError');
  });
});

describe('connect', () => {
  it('opens a new session for id 0 and resumes otherwise', () => {
    const ids = [{ scheme: 'ip', id: '10.0.0.1' }];
    const fresh = connectOptionsFromProto({ sessionId: 0, password: Buffer.alloc(0), timeoutMs: 4000, lastZxidSeen: 0 }, ids);
    expect(fresh).toEqual({ timeoutMs: 4000, lastZxidSeen: 0, transportIds: ids });
    const resumed = connectOptionsFromProto({ sessionId: 77, password: bytes('secret'), timeoutMs: 4000, lastZxidSeen: 2 ** 34 }, ids);
    expect(resumed).toMatchObject({ sessionId: 77, password: bytes('secret'), lastZxidSeen: 2 ** 34 });
  });

  it('refuses a timeout that is not positive', () => {
    expect(thrown(() => connectOptionsFromProto({ sessionId: 0, password: Buffer.alloc(0), timeoutMs: 0, lastZxidSeen: 0 }, [])).codeName).toBe('BadArguments');
  });
});

describe('errors as gRPC statuses', () => {
  it('carries the ZooKeeper code, name and path in trailers', () => {
    const status = toGrpcStatus(keeperError('NoNode', '/a/b'));
    expect(status.code).toBe(grpc.status.NOT_FOUND);
    expect(status.metadata.get('zk-code')).toEqual(['-101']);
    expect(status.metadata.get('zk-name')).toEqual(['NoNode']);
    expect(status.metadata.get('zk-path')).toEqual(['/a/b']);
    const back = keeperErrorFromStatus(status);
    expect(back.codeName).toBe('NoNode');
    expect(back.path).toBe('/a/b');
    expect(back.message).toBe(status.details);
  });

  it('round-trips a path that is not ASCII', () => {
    const path = '/zoo/ключ 100% 🐘';
    const status = toGrpcStatus(keeperError('NodeExists', path));
    expect(status.metadata.get('zk-path')[0]).toMatch(/^[\x20-\x7e]*$/);
    expect(keeperErrorFromStatus(status).path).toBe(path);
  });

  it('hides anything that is not a KeeperError behind SystemError', () => {
    const internal = new Error('secret detail');
    const status = toGrpcStatus(internal);
    expect(status.code).toBe(grpc.status.INTERNAL);
    expect(status.details).not.toContain('secret');
    expect(status.metadata.get('zk-name')).toEqual(['SystemError']);
    expect(toErrorDetail(internal)).toMatchObject({ code: -1, name: 'SystemError' });
  });

  it('maps statuses grpc-js makes on its own to the nearest ZooKeeper code', () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: No connection'), {
      code: grpc.status.UNAVAILABLE,
      details: 'No connection',
      metadata: new grpc.Metadata(),
    });
    expect(toKeeperError(unavailable).codeName).toBe('ConnectionLoss');
    expect(keeperErrorFromStatus({ code: grpc.status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: new grpc.Metadata() }).codeName).toBe('OperationTimeout');
  });
});

describe('transport identity', () => {
  it.each([
    ['127.0.0.1:5000', '127.0.0.1'],
    ['::ffff:10.1.2.3:5000', '10.1.2.3'],
    ['::1:5000', '::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['unknown', undefined],
  ])('%s is %s', (peer, address) => {
    expect(peerAddress(peer)).toBe(address);
  });

  it('gives an ip identity, or none', () => {
    expect(transportIdsOf('192.168.0.9:1')).toEqual([{ scheme: 'ip', id: '192.168.0.9' }]);
    expect(transportIdsOf('unknown')).toEqual([]);
  });
});

describe('the bounded send queue', () => {
  class StuckStream {
    written: unknown[] = [];
    room = 2;
    private drain: (() => void) | undefined;
    write(message: unknown): boolean {
      this.written.push(message);
      return this.written.length < this.room;
    }
    on(_event: 'drain', listener: () => void): void {
      this.drain = listener;
    }
    makeRoom(room: number): void {
      this.room = room;
      this.drain?.();
    }
  }

  it('holds messages while the stream is full and writes them in order on drain', () => {
    const stream = new StuckStream();
    const queue = new OutboundQueue<number>(stream, { maxQueuedMessages: 10, maxQueuedBytes: 1000 }, () => {
      throw new Error('no overflow expected');
    });
    for (let index = 0; index < 5; index++) queue.send(index);
    expect(stream.written).toEqual([0, 1]);
    expect(queue.length).toBe(3);
    stream.makeRoom(100);
    expect(stream.written).toEqual([0, 1, 2, 3, 4]);
    let flushed = false;
    queue.whenFlushed(() => (flushed = true));
    expect(flushed).toBe(true);
  });

  it('gives up past the message or byte limit', () => {
    let overflows = 0;
    const byCount = new OutboundQueue<number>(new StuckStream(), { maxQueuedMessages: 3, maxQueuedBytes: 1 << 20 }, () => overflows++);
    for (let index = 0; index < 10; index++) byCount.send(index);
    expect(overflows).toBe(1);
    expect(byCount.length).toBe(0);

    const bySize = new OutboundQueue<Uint8Array>(new StuckStream(), { maxQueuedMessages: 1000, maxQueuedBytes: 1000 }, () => overflows++);
    for (let index = 0; index < 5; index++) bySize.send(new Uint8Array(400));
    expect(overflows).toBe(2);
  });

  it('counts payload bytes', () => {
    expect(approximateBytes({ response: { getData: { data: new Uint8Array(1000) } } })).toBeGreaterThanOrEqual(1000);
  });
});
