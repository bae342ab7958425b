// The client contract as a new user meets it, against real server processes: the defaults every
// facade shares (an empty ACL is an open node, an absent version is any version), a failed unary
// Multi that ends with its status and carries every op's result, the WebSocket channel's strict
// JSON, and refused writes answered at once by a server that has taken no write yet.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRichStatus, MULTI_RESPONSE_TYPE_URL, STATUS_DETAILS_KEY } from '../../src/api/grpc/errors.js';
import { loadCairnProto } from '../../src/api/grpc/loader.js';
import type { GrpcCairnClient } from '../../src/client/channel.js';
import { OPEN_ACL_UNSAFE } from '../../src/core/types.js';
import { call, WsSession } from './http-helpers.js';
import { expectStatus, RawSession, rawClient, rawUnary, uniquePath } from './grpc-helpers.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('a server that has taken no write yet', () => {
  // Every start begins a new epoch; a refused write waited for that epoch's first zxid to be
  // applied, which only a successful write does: the call was never answered (DEADLINE_EXCEEDED).
  let server: ServerProcess | undefined;
  let raw: GrpcCairnClient | undefined;

  afterAll(async () => {
    raw?.close();
    if (server !== undefined) {
      await server.stop();
      await removeDir(server.dataDir);
    }
  });

  /** Every refusal a first user meets, each answered within a second, on every facade. */
  async function expectRefusalsAnsweredAtOnce(target: ServerProcess, client: GrpcCairnClient): Promise<void> {
    const path = uniquePath('never-created');
    const started = Date.now();
    expectStatus(await rawUnary(client, 'Delete', { path }, 5_000), grpc.status.NOT_FOUND, -101, 'NoNode');
    expectStatus(await rawUnary(client, 'Set', { path, data: bytes('x') }, 5_000), grpc.status.NOT_FOUND, -101, 'NoNode');
    expectStatus(await rawUnary(client, 'Create', { path: `${path}/child` }, 5_000), grpc.status.NOT_FOUND, -101, 'NoNode');
    expectStatus(await rawUnary(client, 'Create', { path, acl: [{ perms: 31, id: { scheme: 'nonsense', id: 'x' } }] }, 5_000), grpc.status.INVALID_ARGUMENT, -114, 'InvalidACL');
    const multi = await rawUnary(client, 'Multi', { ops: [{ delete: { path } }] }, 5_000);
    expectStatus(multi, grpc.status.NOT_FOUND, -101, 'NoNode');

    const session = new RawSession(target.grpcAddress);
    try {
      await session.connect();
      const { response } = await session.response(session.send({ delete: { path } }), 5_000);
      expect(response.error).toMatchObject({ code: -101, name: 'NoNode' });
    } finally {
      session.close();
    }
    const rest = await call(`http://127.0.0.1:${target.httpPort}`, 'DELETE', `/v1/znodes${path}`);
    expect(rest.status).toBe(404);
    // Each answer came at once: the seven together well within one call's old 5 s deadline.
    expect(Date.now() - started).toBeLessThan(5_000);
  }

  it('answers refused writes at once on a fresh data directory, and again after a restart', async () => {
    server = await startServerProcess();
    raw = rawClient(server.grpcAddress);
    await expectRefusalsAnsweredAtOnce(server, raw);

    // A restart is a new epoch over the old one's txns: the same must hold.
    expect((await rawUnary(raw, 'Create', { path: '/kept', data: bytes('v') })).error).toBeNull();
    raw.close();
    const dataDir = server.dataDir;
    await server.stop();
    server = await startServerProcess({ dataDir });
    raw = rawClient(server.grpcAddress);
    await expectRefusalsAnsweredAtOnce(server, raw);
    expect((await rawUnary(raw, 'Get', { path: '/kept' })).value).toMatchObject({ data: bytes('v') });
  });
});

describe('the contract', () => {
  let server: ServerProcess;
  let raw: GrpcCairnClient;
  let base: string;
  let wsUrl: string;

  beforeAll(async () => {
    server = await startServerProcess();
    raw = rawClient(server.grpcAddress);
    base = `http://127.0.0.1:${server.httpPort}`;
    wsUrl = `ws://127.0.0.1:${server.httpPort}/v1/ws`;
  });

  afterAll(async () => {
    raw?.close();
    if (server !== undefined) {
      await server.stop();
      await removeDir(server.dataDir);
    }
  });

  describe('an empty ACL means world:anyone ALL on every facade', () => {
    it('on unary Create (the README example), in a Multi, on the session stream and on the WebSocket', async () => {
      const unary = uniquePath('open-unary');
      // The README's grpcurl example, as its JSON decodes: no acl at all.
      const created = await rawUnary(raw, 'Create', { path: unary, data: Buffer.from('aGVsbG8=', 'base64') });
      expect(created.error).toBeNull();
      expect((await rawUnary(raw, 'GetACL', { path: unary })).value).toMatchObject({ acl: OPEN });

      const inMulti = uniquePath('open-multi');
      expect((await rawUnary(raw, 'Multi', { ops: [{ create: { path: inMulti } }] })).error).toBeNull();
      expect((await rawUnary(raw, 'GetACL', { path: inMulti })).value).toMatchObject({ acl: OPEN });

      const session = new RawSession(server.grpcAddress);
      try {
        await session.connect();
        const onStream = uniquePath('open-stream');
        const { response } = await session.response(session.send({ create: { path: onStream, mode: 'CREATE_MODE_EPHEMERAL' as never } }));
        expect(response.result).toBe('create');
        const acl = await session.response(session.send({ getAcl: { path: onStream } }));
        expect(acl.response.getAcl).toMatchObject({ acl: OPEN });
      } finally {
        session.close();
      }

      const ws = await WsSession.open(wsUrl);
      try {
        await ws.connect();
        const onWs = uniquePath('open-ws');
        expect((await ws.request({ create: { path: onWs } })).create.path).toBe(onWs);
        expect((await ws.request({ getAcl: { path: onWs } })).getAcl.acl).toEqual(OPEN);
      } finally {
        ws.close();
      }
      // REST did so already: the same default.
      const rest = uniquePath('open-rest');
      expect((await call(base, 'POST', `/v1/znodes${rest}`)).status).toBe(201);
      expect((await call(base, 'GET', `/v1/acl${rest}`)).json).toMatchObject({ acl: OPEN_ACL_UNSAFE });
    });
  });

  describe('an absent version means any version; a present one, even 0, is checked', () => {
    it('Set twice and Delete without a version; SetACL and a multi Check without one', async () => {
      const path = uniquePath('anyversion');
      expect((await rawUnary(raw, 'Create', { path, data: bytes('0') })).error).toBeNull();
      for (const value of ['1', '2']) expect((await rawUnary(raw, 'Set', { path, data: bytes(value) })).value).toMatchObject({ stat: { version: Number(value) } });
      // Present and 0 is a real expectation, not "unset".
      expectStatus(await rawUnary(raw, 'Set', { path, data: bytes('x'), version: 0 }), grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
      expect((await rawUnary(raw, 'Set', { path, data: bytes('3'), version: 2 })).value).toMatchObject({ stat: { version: 3 } });
      expect((await rawUnary(raw, 'SetACL', { path, acl: OPEN })).value).toMatchObject({ stat: { aversion: 1 } });
      expectStatus(await rawUnary(raw, 'SetACL', { path, acl: OPEN, version: 0 }), grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
      expect((await rawUnary(raw, 'Multi', { ops: [{ check: { path } }, { setData: { path, data: bytes('4') } }] })).error).toBeNull();
      expectStatus(await rawUnary(raw, 'Delete', { path, version: 0 }), grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
      expect((await rawUnary(raw, 'Delete', { path })).error).toBeNull();
      expect((await rawUnary(raw, 'Exists', { path })).value).toMatchObject({ stat: null });
    });

    it('the same on the WebSocket channel, where the JSON simply leaves the field out', async () => {
      const ws = await WsSession.open(wsUrl);
      try {
        await ws.connect();
        const path = uniquePath('anyversion-ws');
        await ws.request({ create: { path } });
        expect((await ws.request({ setData: { path, data: 'YQ==' } })).setData.stat.version).toBe(1);
        expect((await ws.request({ setData: { path, data: 'Yg==' } })).setData.stat.version).toBe(2);
        expect((await ws.request({ setData: { path, data: 'Yw==', version: 0 } })).error).toMatchObject({ name: 'BadVersion' });
        expect((await ws.request({ delete: { path } })).delete).toEqual({});
      } finally {
        ws.close();
      }
    });
  });

  describe('a failed unary Multi', () => {
    it("ends with the failing op's status and trailers, and carries every op's result in grpc-status-details-bin", async () => {
      const path = uniquePath('multifail');
      expect((await rawUnary(raw, 'Create', { path, data: bytes('orig') })).error).toBeNull();
      const missing = `${path}/missing`;
      const outcome = await rawUnary(raw, 'Multi', {
        ops: [{ setData: { path, data: bytes('changed') } }, { delete: { path: missing } }, { create: { path: `${path}/after` } }],
      });
      expectStatus(outcome, grpc.status.NOT_FOUND, -101, 'NoNode');
      expect(outcome.trailers.get('zk-path')).toEqual([missing]);
      expect(Number(outcome.trailers.get('zk-zxid')[0])).toBeGreaterThan(0);
      expect(outcome.error!.details).toContain('operation 1 of the transaction failed');

      const [detailsBin] = outcome.trailers.get(STATUS_DETAILS_KEY);
      expect(detailsBin).toBeInstanceOf(Buffer);
      const status = decodeRichStatus(detailsBin as Buffer);
      expect({ code: status.code, message: status.message }).toEqual({ code: grpc.status.NOT_FOUND, message: outcome.error!.details });
      expect(status.details.map((detail) => detail.typeUrl)).toEqual([MULTI_RESPONSE_TYPE_URL]);
      const results = loadCairnProto().grpcObject.cairn.v1.Cairn.service.Multi.responseDeserialize(Buffer.from(status.details[0]!.value));
      expect(results.results.map((result) => [result.result, result.error?.code])).toEqual([
        ['error', 0],
        ['error', -101],
        ['error', -2],
      ]);
      // Nothing was applied.
      expect((await rawUnary(raw, 'Get', { path })).value).toMatchObject({ data: bytes('orig'), stat: { version: 0 } });

      // A version conflict: FAILED_PRECONDITION, with the check's path.
      const conflict = await rawUnary(raw, 'Multi', { ops: [{ check: { path, version: 7 } }] });
      expectStatus(conflict, grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
      expect(conflict.trailers.get('zk-path')).toEqual([path]);
    });
  });

  describe("the WebSocket channel's JSON is read strictly", () => {
    it('takes both spellings of a field (get_data and getData) and decimal-string or number int64s', async () => {
      const ws = await WsSession.open(wsUrl);
      try {
        await ws.connect();
        const path = uniquePath('spelling');
        await ws.request({ create: { path, data: 'eA==' } });
        expect((await ws.request({ get_data: { path } })).getData.data).toBe('eA==');
        expect((await ws.request({ getData: { path } })).getData.data).toBe('eA==');
        ws.send({ request: { xid: 1234, get_children: { path } } });
        await waitFor(() => ws.messages.some((message) => message.response?.xid === '1234'), 10_000, 'the answer to xid 1234');
        // proto3's JSON leaves an empty list out.
        expect(ws.messages.find((message) => message.response?.xid === '1234').response.getChildren).toMatchObject({ stat: { numChildren: 0 } });
      } finally {
        ws.close();
      }
    });

    const refused: [string, unknown, string][] = [
      ['an empty message', {}, 'set one of connect, request, ping, close'],
      ['an unknown field', { nonsense: 1 }, 'unknown field "nonsense"'],
      ['an xid that is not a number', { request: { xid: 'abc', getData: { path: '/' } } }, 'message.request.xid: expected an integer'],
      ['two ops in one request', { request: { xid: 9, getData: { path: '/' }, exists: { path: '/' } } }, 'Request.op takes one'],
      ['a field spelled both ways', { request: { xid: 9, get_data: { path: '/' }, getData: { path: '/' } } }, 'set twice'],
      ['an unknown enum name', { request: { xid: 9, create: { path: '/e', mode: 'EPHEMERAL' } } }, '"EPHEMERAL" is not a CreateMode'],
      ['a boolean given as a string', { request: { xid: 9, getData: { path: '/', watch: 'yes' } } }, 'expected true or false'],
      ['bytes that are not base64', { request: { xid: 9, create: { path: '/b', data: 'not base64!' } } }, 'is not base64'],
    ];
    for (const [what, frame, reason] of refused) {
      it(`closes the socket with 1007 and a reason for ${what}, after connect and before it`, async () => {
        for (const connectFirst of [true, false]) {
          const ws = await WsSession.open(wsUrl);
          if (connectFirst) await ws.connect();
          ws.send(frame);
          await waitFor(() => ws.closeCode !== undefined, 10_000, 'the close');
          expect({ code: ws.closeCode, reason: ws.closeReason }).toEqual({ code: 1007, reason: expect.stringContaining(reason) });
        }
      });
    }

    it('keeps serving other sockets while it closes a bad one', async () => {
      const good = await WsSession.open(wsUrl);
      try {
        await good.connect();
        const bad = await WsSession.open(wsUrl);
        bad.send({ nonsense: true });
        await waitFor(() => bad.closeCode !== undefined, 10_000, 'the close');
        expect((await good.request({ exists: { path: '/' } })).exists.stat.numChildren).toBeGreaterThan(0);
      } finally {
        good.close();
      }
    });
  });
});
