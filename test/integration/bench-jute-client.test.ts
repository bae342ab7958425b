// The bench's pipelined ZooKeeper wire-protocol client (bench/gen/jute-client.ts) against a Cairn
// server process and a real ZooKeeper 3.8, and against scripted servers on loopback for what a
// well-behaved server never does (expired handshakes, replies out of order, malformed replies,
// replies in one-byte pieces, silence).

import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectJute, type JuteDriver } from '../../bench/gen/jute-client.js';
import { errorCode } from '../../bench/gen/driver.js';
import { decodeCall, decodeConnectRequest, decodeRequestHeader, encodeConnectResponse, encodeHeaderOnly, encodeNotification, expiredConnectResponse, PASSWORD_LENGTH } from '../../src/api/jute/protocol.js';
import { JuteReader, JuteWriter, writeStat } from '../../src/api/jute/records.js';
import { OpCode, type Stat, type WatchEvent } from '../../src/core/types.js';
import { NzcClient } from '../jute/nzc.js';
import { describeWith, type RequirementName } from '../support/requirements.js';
import { removeDir, startServerProcess, waitFor } from './harness.js';
import { startZooKeeper } from './zookeeper-process.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** The error code a promise rejects with, or 'ok'. */
async function settle(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return errorCode(error);
  }
}

interface Running {
  endpoint: string;
  /** SIGKILL, waiting for the process to be gone. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

interface Target {
  name: string;
  requires: RequirementName[];
  start(): Promise<Running>;
}

const targets: Target[] = [
  {
    name: 'Cairn',
    requires: [],
    async start() {
      // tickTime 500 ms allows 1 s sessions, so a session that is not pinged expires quickly.
      const server = await startServerProcess({ config: { tickTime: 500, maxClientCnxns: 0 } });
      return {
        endpoint: `127.0.0.1:${server.clientPort}`,
        async kill() {
          await server.stop('SIGKILL');
        },
        async stop() {
          await server.stop();
          await removeDir(server.dataDir);
        },
      };
    },
  },
  {
    name: 'ZooKeeper 3.8',
    requires: ['zookeeper', 'java'],
    async start() {
      const zookeeper = await startZooKeeper({ config: { tickTime: 500 } });
      return {
        endpoint: `127.0.0.1:${zookeeper.port}`,
        async kill() {
          const { child } = zookeeper;
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        },
        stop: () => zookeeper.stop(),
      };
    },
  },
];

for (const target of targets) {
  describeWith(target.requires, `jute load client against ${target.name}`, () => {
    let server: Running;
    const drivers: JuteDriver[] = [];

    async function open(options?: Parameters<typeof connectJute>[1]): Promise<JuteDriver> {
      const driver = await connectJute(server.endpoint, options);
      drivers.push(driver);
      return driver;
    }

    beforeAll(async () => {
      server = await target.start();
    });

    afterAll(async () => {
      await Promise.all(drivers.map((driver) => driver.close()));
      await server?.stop();
    });

    it('prepare, create, read and write round trip; another client sees the data', async () => {
      const driver = await open();
      expect(driver.sessionId).toBeGreaterThan(0n);
      expect(driver.broken).toBe(false);
      await driver.prepare('/rt/a/b');
      await driver.prepare('/rt/a/b'); // idempotent
      await driver.prepare('/rt/a/b/c/'); // a trailing slash is no component
      await driver.create('/rt/a/b/k', bytes('v1'));
      await driver.read('/rt/a/b/k');
      expect(text(await driver.getData('/rt/a/b/k'))).toBe('v1');
      await driver.write('/rt/a/b/k', bytes('v2'));

      const other = await open();
      expect(other.sessionId).not.toBe(driver.sessionId);
      expect(text(await other.getData('/rt/a/b/k'))).toBe('v2');
      expect(await other.getData('/rt/a/b')).toEqual(new Uint8Array(0));

      // A value of several TCP segments, written and read back in one piece.
      const large = new Uint8Array(300_000).map((_, index) => (index * 7) & 0xff);
      await driver.write('/rt/a/b/k', large);
      expect(Buffer.from(await other.getData('/rt/a/b/k')).equals(Buffer.from(large))).toBe(true);
      await driver.write('/rt/a/b/k', bytes('v3'));

      // An independent client sees the node as created: persistent, world:anyone with all perms.
      const stock = await NzcClient.connect(server.endpoint);
      try {
        expect((await stock.getData('/rt/a/b/k')).data?.toString()).toBe('v3');
        const { acls } = await stock.getACL('/rt/a/b/k');
        expect(acls.map((entry) => [entry.permission, entry.id.scheme, entry.id.id])).toEqual([[31, 'world', 'anyone']]);
        expect((await stock.exists('/rt/a/b/k'))?.ephemeralOwner.toString('hex')).toBe('0000000000000000');
      } finally {
        await stock.close();
      }
    });

    it('2000 pipelined creates, 256 outstanding, all succeed and complete in order', async () => {
      const driver = await open();
      await driver.prepare('/pipe');
      const total = 2000;
      const window = 256;
      const completed: number[] = [];
      const failures: string[] = [];
      let issued = 0;
      let maxOutstanding = 0;
      let outstanding = 0;
      await new Promise<void>((resolve) => {
        const issue = (): void => {
          while (outstanding < window && issued < total) {
            const index = issued++;
            outstanding++;
            maxOutstanding = Math.max(maxOutstanding, outstanding);
            driver.create(`/pipe/n${index}`, bytes(`value ${index}`)).then(
              () => completed.push(index),
              (error: unknown) => failures.push(`${index}: ${errorCode(error)}`),
            ).finally(() => {
              outstanding--;
              if (completed.length + failures.length === total) resolve();
              else issue();
            });
          }
        };
        issue();
      });
      expect(failures).toEqual([]);
      expect(maxOutstanding).toBe(window);
      expect(completed).toEqual(Array.from({ length: total }, (_, index) => index));
      expect(driver.broken).toBe(false);
      const reads = await Promise.all([0, 1, 977, 1999].map((index) => driver.getData(`/pipe/n${index}`)));
      expect(reads.map(text)).toEqual(['value 0', 'value 1', 'value 977', 'value 1999']);
    });

    it('errors reject with ZooKeeper code names and leave the connection usable', async () => {
      const driver = await open();
      await driver.prepare('/errors');
      await driver.create('/errors/x', bytes('x'));
      const [exists, missingRead, missingWrite, noParent, fine] = await Promise.all([
        settle(driver.create('/errors/x', bytes('again'))),
        settle(driver.read('/errors/missing')),
        settle(driver.write('/errors/missing', bytes('w'))),
        settle(driver.create('/errors/none/child', bytes('c'))),
        settle(driver.read('/errors/x')),
      ]);
      expect([exists, missingRead, missingWrite, noParent, fine]).toEqual(['NodeExists', 'NoNode', 'NoNode', 'NoNode', 'ok']);
      expect(driver.broken).toBe(false);
      expect(text(await driver.getData('/errors/x'))).toBe('x');
    });

    it('pings keep an idle session alive past its timeout', async () => {
      const driver = await open({ sessionTimeoutMs: 1000 });
      expect(driver.sessionTimeoutMs).toBe(1000);
      await driver.prepare('/idle');
      // Idle for 2.5 session timeouts: only the pings keep the session.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(driver.broken).toBe(false);
      await driver.create('/idle/after', bytes('still here'));
      expect(text(await driver.getData('/idle/after'))).toBe('still here');
    });

    it('close is idempotent, waits for the server and fails later calls at once', async () => {
      const driver = await open();
      await driver.prepare('/closing');
      const started = Date.now();
      const last = driver.create('/closing/last', bytes('l'));
      const first = driver.close();
      const second = driver.close();
      expect(second).toBe(first);
      await Promise.all([first, second, last]);
      // The closeSession reply (or the socket closing) ended it, not the 2 s bound.
      expect(Date.now() - started).toBeLessThan(1900);
      await driver.close();
      expect(driver.broken).toBe(true);
      expect(await settle(driver.read('/closing/last'))).toBe('ConnectionLoss');

      const other = await open();
      expect(text(await other.getData('/closing/last'))).toBe('l');
    });

    it('a killed server makes the driver broken and outstanding calls fail with ConnectionLoss', async () => {
      const doomed = await target.start();
      try {
        const driver = await connectJute(doomed.endpoint);
        await driver.prepare('/doomed');
        // Made just before the kill signal and written just after it: outstanding when the
        // connection goes.
        const calls = Array.from({ length: 500 }, (_, index) => settle(driver.create(`/doomed/n${index}`, bytes('v'))));
        const killed = doomed.kill();
        expect(driver.broken).toBe(false);
        let timer: NodeJS.Timeout | undefined;
        const outcomes = await Promise.race([
          Promise.all(calls),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('outstanding calls did not settle within 10 s')), 10_000))),
        ]).finally(() => clearTimeout(timer));
        await killed;
        expect(outcomes).toContain('ConnectionLoss');
        expect(outcomes.filter((outcome) => outcome !== 'ok' && outcome !== 'ConnectionLoss')).toEqual([]);
        expect(driver.broken).toBe(true);
        expect(await settle(driver.read('/doomed'))).toBe('ConnectionLoss');
        await driver.close();
        await driver.close();
      } finally {
        await doomed.stop();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Scripted servers

interface Scripted {
  port: number;
  /** Every request frame (after the handshake) the server has read, decoded by Cairn's decoders. */
  requests: { xid: number; type: number; frame: Buffer }[];
  sockets: Socket[];
  close(): Promise<void>;
}

/**
 * A server on loopback that answers the handshake with `handshake` (given the client's request)
 * and hands every later request frame to `onRequest`.
 */
async function scriptedServer(
  handshake: (sentReadOnly: boolean) => Buffer | null,
  onRequest: (socket: Socket, request: { xid: number; type: number; frame: Buffer }) => void = () => {},
): Promise<Scripted> {
  const requests: Scripted['requests'] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    let buffered = Buffer.alloc(0);
    let handshaken = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        if (!handshaken) {
          handshaken = true;
          const connectRequest = decodeConnectRequest(new JuteReader(frame));
          expect(connectRequest.password).toEqual(new Uint8Array(PASSWORD_LENGTH));
          const answer = handshake(connectRequest.sentReadOnly);
          if (answer !== null) socket.write(answer);
          continue;
        }
        const header = decodeRequestHeader(new JuteReader(frame));
        if (header.type === OpCode.closeSession) {
          // As ZooKeeper: answer, then close the connection.
          socket.end(encodeHeaderOnly(header.xid, 42, 0));
          continue;
        }
        const request = { ...header, frame: Buffer.from(frame) };
        requests.push(request);
        onRequest(socket, request);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const STAT: Stat = { czxid: 1, mzxid: 2, ctime: 3, mtime: 4, version: 5, cversion: 6, aversion: 7, ephemeralOwner: 0, dataLength: 1, numChildren: 0, pzxid: 8 };

const session = (timeOutMs = 30_000) => (sentReadOnly: boolean): Buffer =>
  encodeConnectResponse({ timeOutMs, sessionId: 0x1234_5678_9abc, password: new Uint8Array(PASSWORD_LENGTH).fill(7), readOnly: sentReadOnly ? false : undefined });

function reply(xid: number, body: (writer: JuteWriter) => void = () => {}): Buffer {
  const writer = new JuteWriter().int(xid).long(42).int(0);
  body(writer);
  return writer.frame();
}

describe('jute load client against scripted servers', () => {
  const servers: Scripted[] = [];
  async function serve(...args: Parameters<typeof scriptedServer>): Promise<Scripted> {
    const server = await scriptedServer(...args);
    servers.push(server);
    return server;
  }

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it('sends the records Cairn decodes as the intended create, setData and getData', async () => {
    const server = await serve(session(), (socket, request) => {
      if (request.type === OpCode.create) socket.write(reply(request.xid, (writer) => writer.string('/p')));
      else if (request.type === OpCode.setData) socket.write(reply(request.xid, (writer) => writeStat(writer, STAT)));
      else if (request.type === OpCode.getData) socket.write(reply(request.xid, (writer) => { writer.buffer(new Uint8Array([9])); writeStat(writer, STAT); }));
    });
    const driver = await connectJute(`127.0.0.1:${server.port}`);
    try {
      expect(driver.sessionId).toBe(0x1234_5678_9abcn);
      await Promise.all([driver.create('/p', bytes('c')), driver.write('/p', bytes('w')), driver.read('/p')]);
      expect(await driver.getData('/p')).toEqual(new Uint8Array([9]));
      const calls = server.requests.map(({ type, frame }) => {
        const reader = new JuteReader(frame, 8);
        const call = decodeCall(type, reader);
        expect(reader.remaining).toBe(0);
        return call.request;
      });
      expect(calls).toEqual([
        { op: 'create', path: '/p', data: bytes('c'), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode: 0 },
        { op: 'setData', path: '/p', data: bytes('w'), version: -1 },
        { op: 'getData', path: '/p', watch: false },
        { op: 'getData', path: '/p', watch: false },
      ]);
      const xids = server.requests.map((request) => request.xid);
      expect(new Set(xids).size).toBe(4);
      expect(xids.every((xid) => xid > 0)).toBe(true);
    } finally {
      await driver.close();
    }
  });

  it('parses replies delivered a byte at a time, skipping notifications and ping replies', async () => {
    const held: { socket: Socket; xid: number; type: number }[] = [];
    const server = await serve(session(), (socket, request) => held.push({ socket, xid: request.xid, type: request.type }));
    const driver = await connectJute(`127.0.0.1:${server.port}`);
    try {
      const calls = [driver.create('/a', bytes('1')), driver.getData('/a'), driver.write('/a', bytes('2')), driver.getData('/b')].map((call) =>
        (call as Promise<unknown>).then((value) => value, (error: unknown) => errorCode(error)),
      );
      await waitFor(() => held.length === 4, 5000, 'four requests');
      const [create, getA, set, getB] = held;
      const stream = Buffer.concat([
        encodeNotification({ type: 3, state: 3, path: '/a', zxid: 7 } as WatchEvent),
        reply(create!.xid, (writer) => writer.string('/a')),
        encodeHeaderOnly(-2, 42, 0), // a ping reply
        reply(getA!.xid, (writer) => { writer.buffer(bytes('hello')); writeStat(writer, STAT); }),
        reply(set!.xid, (writer) => writeStat(writer, STAT)),
        encodeHeaderOnly(getB!.xid, 42, -101),
      ]);
      for (let index = 0; index < stream.length; index++) {
        create!.socket.write(stream.subarray(index, index + 1));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const outcomes = await Promise.all(calls);
      expect(outcomes[0]).toBeUndefined();
      expect(text(outcomes[1] as Uint8Array)).toBe('hello');
      expect(outcomes[2]).toBeUndefined();
      expect(outcomes[3]).toBe('NoNode');
      expect(driver.broken).toBe(false);
    } finally {
      await driver.close();
    }
  });

  it('an expired session in the handshake rejects the connect with SessionExpired', async () => {
    const server = await serve((sentReadOnly) => expiredConnectResponse(sentReadOnly));
    expect(await settle(connectJute(`127.0.0.1:${server.port}`))).toBe('SessionExpired');
  });

  it('a server that never answers the handshake fails the connect within connectTimeoutMs', async () => {
    const server = await serve(() => null);
    const started = Date.now();
    expect(await settle(connectJute(`127.0.0.1:${server.port}`, { connectTimeoutMs: 300 }))).toBe('ConnectionLoss');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a nothing-listening port fails the connect with ConnectionLoss', async () => {
    const server = await serve(() => null);
    const port = server.port;
    await server.close();
    expect(await settle(connectJute(`127.0.0.1:${port}`, { connectTimeoutMs: 5000 }))).toBe('ConnectionLoss');
  });

  it('a reply out of order is a protocol violation: broken, everything outstanding fails', async () => {
    const held: { socket: Socket; xid: number }[] = [];
    const server = await serve(session(), (socket, request) => held.push({ socket, xid: request.xid }));
    const driver = await connectJute(`127.0.0.1:${server.port}`);
    const calls = [settle(driver.create('/x', bytes('1'))), settle(driver.create('/y', bytes('2'))), settle(driver.read('/z'))];
    await waitFor(() => held.length === 3, 5000, 'three requests');
    held[0]!.socket.write(reply(held[1]!.xid, (writer) => writer.string('/y')));
    expect(await Promise.all(calls)).toEqual(['ConnectionLoss', 'ConnectionLoss', 'ConnectionLoss']);
    expect(driver.broken).toBe(true);
    expect(await settle(driver.read('/x'))).toBe('ConnectionLoss');
    await driver.close();
  });

  it('a malformed reply body is a protocol violation', async () => {
    const server = await serve(session(), (socket, request) => socket.write(reply(request.xid, (writer) => writer.int(1).int(2))));
    const driver = await connectJute(`127.0.0.1:${server.port}`);
    expect(await settle(driver.write('/x', bytes('1')))).toBe('ConnectionLoss');
    expect(driver.broken).toBe(true);
  });

  it('pings an idle session, and a server that stops answering makes the driver broken', async () => {
    let answerPings = true;
    const server = await serve(session(300), (socket, request) => {
      if (request.type === OpCode.ping && answerPings) socket.write(encodeHeaderOnly(-2, 42, 0));
    });
    const driver = await connectJute(`127.0.0.1:${server.port}`);
    try {
      expect(driver.sessionTimeoutMs).toBe(300);
      await waitFor(() => server.requests.filter((request) => request.type === OpCode.ping).length >= 3, 5000, 'three pings');
      expect(server.requests.every((request) => request.type === OpCode.ping && request.xid === -2 && request.frame.length === 8)).toBe(true);
      expect(driver.broken).toBe(false);
      answerPings = false;
      await waitFor(() => driver.broken, 5000, 'the driver to notice the silence');
      expect(await settle(driver.read('/x'))).toBe('ConnectionLoss');
    } finally {
      await driver.close();
    }
  });
});
