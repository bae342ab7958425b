// The REST facade through real HTTP on a real server process: CRUD, versions, data rendering,
// errors as problem+json, multi, sync, sessions with ephemerals, ACLs with digest credentials,
// admin commands and metrics.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/core/acl.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { basic, call, jsonBody, uniqueName } from './http-helpers.js';

let server: ServerProcess;
let base: string;

beforeAll(async () => {
  // Every admin command enabled: the admin tests run each of them.
  server = await startServerProcess({ config: { extendedTypesEnabled: true, 'jute.maxbuffer': 65536, tickTime: 200, minSessionTimeout: 400, '4lw.commands.whitelist': '*' } });
  base = `http://127.0.0.1:${server.httpPort}`;
});

afterAll(async () => {
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
});

function expectProblem(answer: Awaited<ReturnType<typeof call>>, status: number, name: string, code: number): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status, name, code, title: name, type: `urn:zookeeper:error:${name}` });
  expect(typeof answer.json.detail).toBe('string');
}

describe('znodes over REST', () => {
  it('creates, reads, sets with versions, lists and deletes', async () => {
    const root = `/${uniqueName('crud')}`;
    const created = await call(base, 'POST', `/v1/znodes${root}`, { body: 'hello' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/znodes${root}`);
    expect(created.json.path).toBe(root);
    expect(Number(created.headers.get('cairn-zxid'))).toBe(created.json.stat.czxid);

    const read = await call(base, 'GET', `/v1/znodes${root}`);
    expect(read.json).toMatchObject({ path: root, data: 'hello', encoding: 'utf-8', stat: { version: 0, dataLength: 5 } });
    expect(read.text.endsWith('\n')).toBe(true);

    const set = await call(base, 'PUT', `/v1/znodes${root}?version=0`, { body: new Uint8Array([0, 1, 255]) });
    expect(set.status).toBe(200);
    expect(set.json.stat.version).toBe(1);
    const binary = await call(base, 'GET', `/v1/znodes${root}`);
    expect(binary.json).toMatchObject({ data: 'AAH/', encoding: 'base64' });
    const raw = await fetch(`${base}/v1/znodes${root}`, { headers: { Accept: 'application/octet-stream' } });
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await raw.arrayBuffer())]).toEqual([0, 1, 255]);
    expect(JSON.parse(raw.headers.get('cairn-stat')!)).toMatchObject({ version: 1, dataLength: 3 });

    expectProblem(await call(base, 'PUT', `/v1/znodes${root}?version=0`, { body: 'stale' }), 412, 'BadVersion', -103);
    expect((await call(base, 'PUT', `/v1/znodes${root}`, { body: 'any version' })).json.stat.version).toBe(2);

    await call(base, 'POST', `/v1/znodes${root}/b`);
    await call(base, 'POST', `/v1/znodes${root}/a`);
    const children = await call(base, 'GET', `/v1/znodes${root}?view=children`);
    expect(children.json.children).toEqual(['a', 'b']);
    expect(children.json.stat.numChildren).toBe(2);
    const withStats = await call(base, 'GET', `/v1/znodes${root}?view=children&stats=true`);
    expect(Object.keys(withStats.json.childStats).sort()).toEqual(['a', 'b']);
    expect((await call(base, 'GET', `/v1/znodes${root}?view=stat`)).json.stat.numChildren).toBe(2);
    const head = await fetch(`${base}/v1/znodes${root}/a`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(JSON.parse(head.headers.get('cairn-stat')!).numChildren).toBe(0);
    expect((await fetch(`${base}/v1/znodes${root}/zzz`, { method: 'HEAD' })).status).toBe(404);

    expectProblem(await call(base, 'DELETE', `/v1/znodes${root}`), 409, 'NotEmpty', -111);
    expectProblem(await call(base, 'DELETE', `/v1/znodes${root}/a?version=5`), 412, 'BadVersion', -103);
    expect((await call(base, 'DELETE', `/v1/znodes${root}/a?version=0`)).status).toBe(204);
    expect((await call(base, 'DELETE', `/v1/znodes${root}?recursive=true`)).status).toBe(204);
    expectProblem(await call(base, 'GET', `/v1/znodes${root}`), 404, 'NoNode', -101);
  });

  it('creates sequential, container, TTL and null-data nodes, with ACLs', async () => {
    const root = `/${uniqueName('modes')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const first = await call(base, 'POST', `/v1/znodes${root}/job-?mode=persistent_sequential`);
    const second = await call(base, 'POST', `/v1/znodes${root}/job-?mode=persistent_sequential`);
    expect(first.json.path).toBe(`${root}/job-0000000000`);
    expect(second.json.path).toBe(`${root}/job-0000000001`);
    expect((await call(base, 'POST', `/v1/znodes${root}/box?mode=container`)).status).toBe(201);
    expect((await call(base, 'POST', `/v1/znodes${root}/ttl?mode=persistent_with_ttl&ttl=60000`)).status).toBe(201);
    expectProblem(await call(base, 'POST', `/v1/znodes${root}/ttl2?mode=persistent_with_ttl`), 400, 'BadArguments', -8);
    await call(base, 'POST', `/v1/znodes${root}/null?data=null`);
    expect((await call(base, 'GET', `/v1/znodes${root}/null`)).json.data).toBeNull();
    const acl = await call(base, 'POST', `/v1/znodes${root}/open?acl=world:anyone:r`);
    expect(acl.status).toBe(201);
    const view = await call(base, 'GET', `/v1/acl${root}/open`);
    expect(view.json.acl).toEqual([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
    expectProblem(await call(base, 'PUT', `/v1/znodes${root}/open`, { body: 'x' }), 403, 'NoAuth', -102);
    expectProblem(await call(base, 'POST', `/v1/znodes${root}/bad?acl=world:anyone:xyz`), 400, 'BadArguments', -8);
  });

  it('answers errors as problem+json with the table status', async () => {
    const name = uniqueName('errors');
    expectProblem(await call(base, 'GET', `/v1/znodes/${name}/missing`), 404, 'NoNode', -101);
    expectProblem(await call(base, 'POST', `/v1/znodes/${name}/child`), 404, 'NoNode', -101);
    await call(base, 'POST', `/v1/znodes/${name}`);
    expectProblem(await call(base, 'POST', `/v1/znodes/${name}`), 409, 'NodeExists', -110);
    const badPath = await call(base, 'GET', `/v1/znodes/${name}//x`);
    expectProblem(badPath, 400, 'BadArguments', -8);
    expectProblem(await call(base, 'GET', `/v1/znodes/${name}?verison=1`), 400, 'BadArguments', -8);
    expectProblem(await call(base, 'PUT', `/v1/znodes/${name}?version=abc`), 400, 'BadArguments', -8);
    expectProblem(await call(base, 'POST', '/v1/txn', { body: '{not json', headers: { 'Content-Type': 'application/json' } }), 400, 'MarshallingError', -5);
    expectProblem(await call(base, 'POST', '/v1/txn', jsonBody({ ops: [{ op: 'explode', path: '/' }] })), 400, 'BadArguments', -8);
    const oversize = await call(base, 'PUT', `/v1/znodes/${name}`, { body: new Uint8Array(70_000) });
    expectProblem(oversize, 413, 'BadArguments', -8);
    expectProblem(await call(base, 'POST', `/v1/znodes/${name}/e?mode=ephemeral`), 400, 'BadArguments', -8);
    expectProblem(await call(base, 'GET', `/v1/znodes/${name}`, { headers: { Authorization: 'Bearer x' } }), 401, 'AuthFailed', -115);
    expectProblem(await call(base, 'GET', `/v1/znodes/${name}`, { headers: { 'Cairn-Session': 'abc.AAAA' } }), 410, 'SessionExpired', -112);
    const noRoute = await call(base, 'GET', '/v2/nothing');
    expect(noRoute.status).toBe(404);
    expect(noRoute.json.type).toBe('urn:cairn:problem:no-route');
  });

  it('runs multi atomically and reports the failing op', async () => {
    const root = `/${uniqueName('txn')}`;
    const ok = await call(base, 'POST', '/v1/txn', jsonBody({
      ops: [
        { op: 'create', path: root, data: 'parent' },
        { op: 'create', path: `${root}/a`, data: 'AAE=', encoding: 'base64' },
        { op: 'setData', path: root, data: 'changed', version: 0 },
        { op: 'check', path: `${root}/a`, version: 0 },
      ],
    }));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.results.map((result: { op: string }) => result.op)).toEqual(['create', 'create', 'setData', 'check']);
    const failed = await call(base, 'POST', '/v1/txn', jsonBody({ ops: [{ op: 'create', path: `${root}/b` }, { op: 'delete', path: `${root}/a`, version: 9 }] }));
    expectProblem(failed, 412, 'BadVersion', -103);
    expect(failed.json.path).toBe(`${root}/a`);
    expect(failed.json.results).toEqual([{ op: 'error', code: 0, name: 'Ok' }, { op: 'error', code: -103, name: 'BadVersion' }]);
    expectProblem(await call(base, 'GET', `/v1/znodes${root}/b`), 404, 'NoNode', -101);
    const synced = await call(base, 'POST', '/v1/sync', jsonBody({ path: root }));
    expect(synced.json.path).toBe(root);
    expect(synced.json.zxid).toBeGreaterThanOrEqual(ok.json.results[0].stat.czxid);
  });

  it('keeps ephemerals of an HTTP session until it is closed or expires', async () => {
    const root = `/${uniqueName('session')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const opened = await call(base, 'POST', '/v1/sessions', jsonBody({ timeoutMs: 1000 }));
    expect(opened.status).toBe(201);
    const { token, sessionId, sessionIdHex } = opened.json;
    const id = token.split('.')[0];
    expect(sessionIdHex).toBe(`0x${id}`);
    const session = { headers: { 'Cairn-Session': token } };
    const ephemeral = await call(base, 'POST', `/v1/znodes${root}/owned?mode=ephemeral`, session);
    expect(ephemeral.json.stat.ephemeralOwner).toBe(sessionId);
    expect((await call(base, 'POST', `/v1/sessions/${id}/keepalive`, session)).json.sessionId).toBe(sessionId);
    expect((await call(base, 'DELETE', `/v1/sessions/${id}`, session)).status).toBe(204);
    expectProblem(await call(base, 'GET', `/v1/znodes${root}/owned`), 404, 'NoNode', -101);
    expectProblem(await call(base, 'POST', `/v1/sessions/${id}/keepalive`, session), 410, 'SessionExpired', -112);

    // A session nobody keeps alive expires, and its ephemerals go with it.
    const idle = (await call(base, 'POST', '/v1/sessions', jsonBody({ timeoutMs: 500 }))).json;
    await call(base, 'POST', `/v1/znodes${root}/idle?mode=ephemeral`, { headers: { 'Cairn-Session': idle.token } });
    await waitFor(async () => (await call(base, 'GET', `/v1/znodes${root}/idle`)).status === 404, 10_000, 'the idle session to expire');
  });

  it('holds digest ACLs for REST clients exactly as for sessions', async () => {
    const name = `/${uniqueName('secret')}`;
    const bob = basic('bob', 'secret');
    const id = digest('bob', 'secret');
    const created = await call(base, 'POST', `/v1/znodes${name}?acl=${encodeURIComponent(`digest:${id}:cdrwa`)}`, { body: 'classified', headers: { Authorization: bob } });
    expect(created.status, created.text).toBe(201);
    expectProblem(await call(base, 'GET', `/v1/znodes${name}`), 403, 'NoAuth', -102);
    expectProblem(await call(base, 'GET', `/v1/znodes${name}`, { headers: { Authorization: basic('bob', 'wrong') } }), 403, 'NoAuth', -102);
    expect((await call(base, 'GET', `/v1/znodes${name}`, { headers: { Authorization: bob } })).json.data).toBe('classified');
    // auth: the creator's identity, through a session that carries credentials.
    const session = (await call(base, 'POST', '/v1/sessions', { ...jsonBody({}), headers: { 'Content-Type': 'application/json', Authorization: bob } })).json;
    const mine = await call(base, 'POST', `/v1/znodes${name}-auth?acl=auth::cdrwa`, { headers: { 'Cairn-Session': session.token } });
    expect(mine.status, mine.text).toBe(201);
    expectProblem(await call(base, 'GET', `/v1/znodes${name}-auth`), 403, 'NoAuth', -102);
    expect((await call(base, 'GET', `/v1/acl${name}-auth`, { headers: { Authorization: bob } })).json.acl[0].id).toEqual({ scheme: 'digest', id });
    const setAcl = await call(base, 'PUT', `/v1/acl${name}?version=0`, { ...jsonBody({ acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] }), headers: { 'Content-Type': 'application/json', Authorization: bob } });
    expect(setAcl.json.stat.aversion).toBe(1);
    expect((await call(base, 'GET', `/v1/znodes${name}`)).json.data).toBe('classified');
  });
});

describe('admin and metrics', () => {
  it('answers every admin command', async () => {
    const list = await call(base, 'GET', '/commands');
    for (const { name, aliases } of list.json.commands as { name: string; aliases: string[] }[]) {
      for (const command of [name, ...aliases]) {
        const answer = await call(base, 'GET', `/commands/${command}`);
        expect(answer.status, command).toBe(200);
        expect(answer.json).toMatchObject({ command: name, error: null });
      }
    }
    expect((await call(base, 'GET', '/commands/mntr')).json).toMatchObject({ server_state: 'standalone' });
    expect((await call(base, 'GET', '/commands/lzxd')).json.zxid).toBeGreaterThan(0);
    expect((await call(base, 'GET', '/commands/nope')).status).toBe(404);
  });

  it('exposes Prometheus metrics', async () => {
    await call(base, 'GET', '/v1/znodes/');
    const metrics = await call(base, 'GET', '/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const family of ['cairn_requests_total', 'cairn_request_duration_seconds_bucket', 'cairn_fsync_duration_seconds_count', 'cairn_outstanding_requests', 'cairn_sessions', 'cairn_watches', 'cairn_znodes', 'cairn_quorum_role']) {
      expect(metrics.text).toContain(family);
    }
    expect(metrics.text).toMatch(/cairn_requests_total\{transport="http",op="getData",outcome="ok"\} [1-9]/);
    expect(metrics.text).toContain('cairn_quorum_role{role="standalone"} 1');
  });
});
