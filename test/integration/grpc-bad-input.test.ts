// Bad input through gRPC against a real server process (jute.maxbuffer=1024): every refusal
// carries the right error, nothing is written, and a client doing ordinary writes all along
// never notices.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcCairnClient } from '../../src/client/channel.js';
import { CairnClient } from '../../src/client/session.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { CreateMode, OPEN_ACL_UNSAFE } from '../../src/core/types.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { BackgroundWriter, connect, expectKeeperError, expectStatus, rawClient, rawUnary, RawSession, uniquePath } from './grpc-helpers.js';

let server: ServerProcess;
let client: CairnClient;
let busy: CairnClient;
let background: BackgroundWriter;
let unary: CairnUnaryClient;
let raw: GrpcCairnClient;

const MAX = 1024;

beforeAll(async () => {
  server = await startServerProcess({ config: { 'jute.maxbuffer': MAX } });
  client = await connect(server.grpcAddress);
  busy = await connect(server.grpcAddress);
  background = new BackgroundWriter(busy, uniquePath('background'));
  await background.start();
  unary = new CairnUnaryClient(server.grpcAddress, { timeoutMs: 15_000 });
  raw = rawClient(server.grpcAddress);
});

afterAll(async () => {
  await background?.stop();
  await client?.close().catch(() => undefined);
  await busy?.close().catch(() => undefined);
  unary?.close();
  raw?.close();
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

describe('bad paths', () => {
  const bad = ['', 'relative', '/trailing/', '/double//slash', '/dot/./x', '/dot/../x', '/nul\u0000char', '/ctrl\u0001char', '/.', '/..'];

  it('are refused with BadArguments naming the path, on the session stream', async () => {
    for (const path of bad) {
      const error = await expectKeeperError(client.create(path, null), -8);
      // An empty path and no path look alike in the ErrorDetail (proto3 strings).
      if (path !== '') expect(error.path).toBe(path);
      expect(error.message).toContain(JSON.stringify(path));
      await expectKeeperError(client.getData(path), -8);
      await expectKeeperError(client.setData(path, 'x'), -8);
      await expectKeeperError(client.delete(path), -8);
      await expectKeeperError(client.exists(path, { watch: true }), -8);
      await expectKeeperError(client.getChildren(path), -8);
      await expectKeeperError(client.addWatch(path), -8);
    }
    await background.progress();
  });

  it('are refused with INVALID_ARGUMENT and zk-* trailers on unary calls', async () => {
    for (const path of bad) {
      const outcome = await rawUnary(raw, 'Create', { path, acl: [...OPEN_ACL_UNSAFE], mode: 0 });
      expectStatus(outcome, grpc.status.INVALID_ARGUMENT, -8, 'BadArguments');
      expect(outcome.error!.details).toContain(JSON.stringify(path));
      const error = await expectKeeperError(unary.get(path), -8);
      expect(error.path).toBe(path); // percent-encoded in the trailer, decoded by the client
    }
    await background.progress();
  });

  it('refuses a sequential create whose name ends with a slash only when not sequential', async () => {
    const parent = uniquePath('seqslash');
    await client.create(parent, null);
    // "/parent/" + sequence number is a valid name.
    const created = await client.create(`${parent}/`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect(created.path).toBe(`${parent}/0000000000`);
    await expectKeeperError(client.create(`${parent}/`, null), -8);
  });
});

describe('data over jute.maxbuffer', () => {
  it('is refused with BadArguments and nothing is written', async () => {
    const path = uniquePath('big');
    const tooBig = Buffer.alloc(MAX + 1, 7);
    await expectKeeperError(client.create(path, tooBig), -8);
    expect(await client.exists(path)).toBeNull();
    await expectKeeperError(unary.create(path, tooBig), -8);
    expect(await client.exists(path)).toBeNull();

    await client.create(path, Buffer.alloc(MAX, 1)); // exactly the limit is fine
    await expectKeeperError(client.setData(path, tooBig), -8);
    await expectKeeperError(unary.set(path, Buffer.alloc(4 * MAX)), -8);
    const { data, stat } = await client.getData(path);
    expect(stat.version).toBe(0);
    expect(Buffer.from(data!).equals(Buffer.alloc(MAX, 1))).toBe(true);

    const multi = await client.multi([
      { op: 'setData', path, data: Buffer.from('small'), version: -1 },
      { op: 'create', path: `${path}/kid`, data: tooBig, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
    ]);
    expect(multi).toEqual([
      { op: 'error', code: 0 },
      { op: 'error', code: -8 },
    ]);
    expect((await client.getData(path)).stat.version).toBe(0);
    await background.progress();
  });

  it('a message beyond what the server accepts at all fails the call, not the server', async () => {
    const path = uniquePath('huge');
    const huge = Buffer.alloc(256 * 1024, 3);
    const outcome = await rawUnary(raw, 'Create', { path, data: huge, acl: [...OPEN_ACL_UNSAFE], mode: 0 });
    expect(outcome.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // On a session stream it ends that stream only.
    const victim = await connect(server.grpcAddress);
    await expect(victim.create(path, huge)).rejects.toThrow();
    await waitFor(() => victim.ended !== undefined, 15_000, 'the oversized stream to end');
    expect(await client.exists(path)).toBeNull();
    await background.progress();
  });
});

describe('malformed messages', () => {
  function garbageStream(): { call: grpc.ClientDuplexStream<Buffer, Buffer>; status: Promise<grpc.StatusObject>; close: () => void } {
    const plain = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
    const call = plain.makeBidiStreamRequest<Buffer, Buffer>(
      '/cairn.v1.Cairn/Session',
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
    );
    call.on('error', () => undefined);
    call.on('data', () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    return { call, status, close: () => plain.close() };
  }

  it('bytes that are not a ClientMessage end the stream with INVALID_ARGUMENT; the server stays up', async () => {
    const { call, status, close } = garbageStream();
    try {
      // Field 1 (connect), wire type 2, with a length running past the end.
      call.write(Buffer.from([0x0a, 0x7f, 0x01, 0x02]));
      const ended = await status;
      expect({ code: ended.code, zkCode: ended.metadata.get('zk-code')[0] }).toEqual({ code: grpc.status.INVALID_ARGUMENT, zkCode: '-5' });
    } finally {
      close();
    }
    expect(await client.exists('/')).not.toBeNull();
    await background.progress();
  });

  it('garbage after a valid connect ends that stream with INVALID_ARGUMENT', async () => {
    const { call, status, close } = garbageStream();
    try {
      // A valid ClientMessage{connect{timeout_ms: 4000}}, then garbage.
      call.write(Buffer.from([0x0a, 0x03, 0x18, 0xa0, 0x1f]));
      call.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      const ended = await status;
      expect(ended.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      close();
    }
    await background.progress();
  });

  it('a unary call with undecodable bytes gets INVALID_ARGUMENT', async () => {
    const plain = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        plain.makeUnaryRequest<Buffer, Buffer>(
          '/cairn.v1.Cairn/Get',
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.from([0xff, 0xff, 0xff, 0xff]),
          (err) => resolve(err),
        ),
      );
      expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.metadata.get('zk-code')[0]).toBe('-5');
    } finally {
      plain.close();
    }
    await background.progress();
  });

  it('a request without an op is answered with MarshallingError and the session goes on', async () => {
    const session = new RawSession(server.grpcAddress);
    try {
      await session.connect();
      session.write({ request: { xid: 1_000 } });
      const { response } = await session.response(1_000);
      expect(response.error).toMatchObject({ code: -5, name: 'MarshallingError' });
      const next = await session.response(session.send({ exists: { path: '/', watch: false } }));
      expect(next.response.exists?.stat).toBeTruthy();
      // A ClientMessage with nothing in it is ignored.
      session.write({});
      const after = await session.response(session.send({ exists: { path: '/zookeeper', watch: false } }));
      expect(after.response.exists?.stat).toBeTruthy();
      expect(session.ended).toBe(false);
    } finally {
      session.close();
    }
    await background.progress();
  });

  it('an unknown create mode or watcher type is BadArguments', async () => {
    const session = new RawSession(server.grpcAddress);
    try {
      await session.connect();
      const path = uniquePath('mode');
      // Numbers outside the enums, as a client built from a newer proto might send them.
      const create = await session.response(session.send({ create: { path, acl: [...OPEN_ACL_UNSAFE], mode: 42 as never } }));
      expect(create.response.error?.code).toBe(-8);
      const check = await session.response(session.send({ checkWatches: { path: '/', type: 17 as never } }));
      expect(check.response.error?.code).toBe(-8);
      expect(await client.exists(path)).toBeNull();
    } finally {
      session.close();
    }
  });

  it('watches on unary reads are refused (BadArguments): they need a session', async () => {
    expectStatus(await rawUnary(raw, 'Get', { path: '/', watch: true }), grpc.status.INVALID_ARGUMENT, -8, 'BadArguments');
    expectStatus(await rawUnary(raw, 'Children', { path: '/', watch: true }), grpc.status.INVALID_ARGUMENT, -8, 'BadArguments');
  });
});

describe('the session protocol', () => {
  it('a stream whose first message is not connect gets INVALID_ARGUMENT', async () => {
    for (const first of [{ request: { xid: 1, exists: { path: '/', watch: false } } }, { ping: { id: 1 } }, { close: {} }]) {
      const session = new RawSession(server.grpcAddress);
      try {
        session.write(first);
        const status = await session.waitForEnd();
        expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(session.messages).toEqual([]);
      } finally {
        session.close();
      }
    }
    await background.progress();
  });

  it('a second connect on an open stream gets INVALID_ARGUMENT', async () => {
    const session = new RawSession(server.grpcAddress);
    try {
      await session.connect();
      session.write({ connect: { sessionId: 0, password: new Uint8Array(0), timeoutMs: 4_000, lastZxidSeen: 0 } });
      const status = await session.waitForEnd();
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      session.close();
    }
  });

  it('a connect with a bad timeout is refused', async () => {
    const session = new RawSession(server.grpcAddress);
    try {
      session.write({ connect: { sessionId: 0, password: new Uint8Array(0), timeoutMs: 0, lastZxidSeen: 0 } });
      const status = await session.waitForEnd();
      expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.metadata.get('zk-code')[0]).toBe('-8');
    } finally {
      session.close();
    }
  });

  it('a client that has seen a newer zxid than the server is refused', async () => {
    await expect(CairnClient.connect(server.grpcAddress, { timeoutMs: 4_000, lastZxidSeen: 2 ** 50 })).rejects.toMatchObject({ code: -4 });
  });

  it('the background client never failed', async () => {
    await background.progress(10);
    expect(background.failures).toEqual([]);
    expect(background.done).toBeGreaterThan(10);
  });
});
