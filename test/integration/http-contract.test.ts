// The OpenAPI contract: every operation and every response openapi.yaml documents is produced by
// a running server, with the documented status, media type and body schema. A response added to
// the file without a scenario here fails, and so does a scenario whose answer the file does not
// describe.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/core/acl.js';
import { loadOpenApi, type Operation } from '../../src/api/http/openapi.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDataDir, removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { freePorts } from './ensemble-harness.js';
import { basic, uniqueName } from './http-helpers.js';

let server: ServerProcess;
let base: string;
const root = `/${uniqueName('contract')}`;
const BAD_SESSION = { 'Cairn-Session': 'abc.AAAA' };
const BEARER = { Authorization: 'Bearer nothing' };
const MAX_SESSIONS = 4;
/** A web page of an origin the server allows (http.allowedOrigins), and one of an origin it does not. */
const APP = { Origin: 'http://app.example' };
const EVIL = { Origin: 'http://evil.example' };
const PREFLIGHT = { ...APP, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, cairn-session' };

/** What a scenario produced: a fetch Response, or the status of a WebSocket upgrade. */
type Outcome = Response | { status: number; headers: Headers; upgraded: true };
type Scenario = () => Promise<Outcome>;

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
const send = (method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string> } = {}) =>
  fetch(`${base}${path}`, { method, body: init.body as BodyInit | undefined, headers: init.headers });
const json = (method: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(method, path, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });

async function openSession(): Promise<{ token: string; id: string }> {
  const session = (await (await json('POST', '/v1/sessions', { timeoutMs: 10_000 })).json()) as { token: string };
  return { token: session.token, id: session.token.split('.')[0] as string };
}

/** One member of a 3-server ensemble started alone: it never has a leader, so it answers 503. */
let lone: ServerProcess | undefined;
let loneBase = '';

async function startLoneMember(): Promise<void> {
  const dataDir = await makeDataDir('cairn-contract-lone-');
  const ports = await freePorts(6);
  await writeFile(join(dataDir, 'myid'), '1\n');
  const servers = Object.fromEntries([1, 2, 3].map((id) => [`server.${id}`, `127.0.0.1:${ports[id * 2 - 2]}:${ports[id * 2 - 1]}`]));
  // mntr enabled and needing credentials: /metrics and /commands/mntr answer 401 without them.
  lone = await startServerProcess({ dataDir, config: { ...servers, '4lw.commands.whitelist': 'srvr,mntr', 'http.commands.authRequired': 'mntr' } });
  loneBase = `http://127.0.0.1:${lone.httpPort}`;
}

/** The status of a WebSocket upgrade the server refused. */
const refusedUpgrade = (headers: Record<string, string>): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.httpPort}/v1/ws`, 'cairn.v1.json', { headers });
    socket.on('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, headers: new Headers(), upgraded: true });
      response.destroy();
    });
    socket.on('open', () => reject(new Error('the upgrade was accepted')));
    socket.on('error', () => undefined);
  });

const preflights = (path: string): Scenario[] => [() => send('OPTIONS', path, { headers: PREFLIGHT }), () => send('OPTIONS', path)];
const foreignPreflight = (path: string): Scenario[] => [() => send('OPTIONS', path, { headers: { ...EVIL, 'Access-Control-Request-Method': 'PUT' } })];

const atLone = (method: string, path: string, body?: string) =>
  fetch(`${loneBase}${path}`, body === undefined ? { method } : { method, body, headers: { 'Content-Type': 'application/json' } });

const SCENARIOS: Record<string, Scenario[]> = {
  'getZnode 200': [
    () => get(`/v1/znodes${root}/data`),
    () => get(`/v1/znodes${root}/data`, { Accept: 'application/octet-stream' }),
    () => get(`/v1/znodes${root}?view=children&stats=true`),
    () => get(`/v1/znodes${root}?view=stat`),
    () => get('/v1/znodes/'),
  ],
  'getZnode 400': [() => get(`/v1/znodes${root}//x`), () => get(`/v1/znodes${root}?view=everything`)],
  'getZnode 401': [() => get(`/v1/znodes${root}`, BEARER)],
  'getZnode 403': [() => get(`/v1/znodes${root}/locked`)],
  'getZnode 404': [() => get(`/v1/znodes${root}/missing`), () => get(`/v1/znodes${root}/missing?view=stat`)],
  'getZnode 410': [() => get(`/v1/znodes${root}`, BAD_SESSION)],
  'headZnode 200': [() => send('HEAD', `/v1/znodes${root}/data`)],
  'headZnode 404': [() => send('HEAD', `/v1/znodes${root}/missing`)],
  'createZnode 201': [() => send('POST', `/v1/znodes${root}/created-?mode=persistent_sequential`, { body: 'x' })],
  'createZnode 400': [() => send('POST', `/v1/znodes${root}/x?mode=sideways`)],
  'createZnode 401': [() => send('POST', `/v1/znodes${root}/x`, { headers: BEARER })],
  'createZnode 403': [
    () => send('POST', `/v1/znodes${root}/locked/x`),
    () => send('POST', `/v1/znodes${root}/evil`, { body: 'x', headers: { ...EVIL, 'Content-Type': 'text/plain' } }),
  ],
  'createZnode 404': [() => send('POST', `/v1/znodes${root}/missing/x`)],
  'createZnode 409': [() => send('POST', `/v1/znodes${root}/data`)],
  'createZnode 410': [() => send('POST', `/v1/znodes${root}/x`, { headers: BAD_SESSION })],
  'createZnode 413': [() => send('POST', `/v1/znodes${root}/big`, { body: new Uint8Array(5000) })],
  'createZnode 501': [() => send('POST', `/v1/znodes${root}/ttl?mode=persistent_with_ttl&ttl=1000`)],
  'createZnode 429': [() => send('POST', `/v1/znodes${root}/full/x`)],
  'setZnode 200': [() => send('PUT', `/v1/znodes${root}/data`, { body: 'new' })],
  'setZnode 400': [() => send('PUT', `/v1/znodes${root}/data?version=-7`)],
  'setZnode 401': [() => send('PUT', `/v1/znodes${root}/data`, { headers: BEARER })],
  'setZnode 403': [() => send('PUT', `/v1/znodes${root}/locked`, { body: 'x' })],
  'setZnode 404': [() => send('PUT', `/v1/znodes${root}/missing`, { body: 'x' })],
  'setZnode 410': [() => send('PUT', `/v1/znodes${root}/data`, { headers: BAD_SESSION })],
  'setZnode 412': [() => send('PUT', `/v1/znodes${root}/data?version=999`, { body: 'x' })],
  'setZnode 413': [() => send('PUT', `/v1/znodes${root}/data`, { body: new Uint8Array(5000) })],
  'setZnode 429': [() => send('PUT', `/v1/znodes${root}/full`, { body: 'abcd' })],
  'deleteZnode 204': [
    async () => {
      await send('POST', `/v1/znodes${root}/doomed`);
      await send('POST', `/v1/znodes${root}/doomed/child`);
      return send('DELETE', `/v1/znodes${root}/doomed?recursive=true`);
    },
  ],
  'deleteZnode 400': [() => send('DELETE', `/v1/znodes${root}?recursive=maybe`)],
  'deleteZnode 401': [() => send('DELETE', `/v1/znodes${root}`, { headers: BEARER })],
  'deleteZnode 403': [() => send('DELETE', `/v1/znodes${root}/locked/child`)],
  'deleteZnode 404': [() => send('DELETE', `/v1/znodes${root}/missing`)],
  'deleteZnode 409': [() => send('DELETE', `/v1/znodes${root}`)],
  'deleteZnode 410': [() => send('DELETE', `/v1/znodes${root}/data`, { headers: BAD_SESSION })],
  'deleteZnode 412': [() => send('DELETE', `/v1/znodes${root}/data?version=999`)],
  'getAcl 200': [() => get(`/v1/acl${root}/data`)],
  'getAcl 400': [() => get(`/v1/acl${root}/`)],
  'getAcl 401': [() => get(`/v1/acl${root}`, BEARER)],
  'getAcl 403': [() => get(`/v1/acl${root}/locked`)],
  'getAcl 404': [() => get(`/v1/acl${root}/missing`)],
  'getAcl 410': [() => get(`/v1/acl${root}`, BAD_SESSION)],
  'setAcl 200': [() => json('PUT', `/v1/acl${root}/acl-target?version=0`, { acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] })],
  'setAcl 400': [() => json('PUT', `/v1/acl${root}/acl-target`, { acl: [] }), () => send('PUT', `/v1/acl${root}/acl-target`, { body: 'not json', headers: { 'Content-Type': 'application/json' } })],
  'setAcl 401': [() => json('PUT', `/v1/acl${root}/acl-target`, { acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] }, BEARER)],
  'setAcl 403': [() => json('PUT', `/v1/acl${root}/locked`, { acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] })],
  'setAcl 404': [() => json('PUT', `/v1/acl${root}/missing`, { acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] })],
  'setAcl 410': [() => json('PUT', `/v1/acl${root}/acl-target`, { acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] }, BAD_SESSION)],
  'setAcl 412': [() => json('PUT', `/v1/acl${root}/acl-target?version=999`, { acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] })],
  'multi 200': [() => json('POST', '/v1/txn', { ops: [{ op: 'create', path: `${root}/txn`, data: 'a' }, { op: 'check', path: `${root}/txn`, version: 0 }] })],
  'multi 400': [() => json('POST', '/v1/txn', { ops: [] })],
  'multi 401': [() => json('POST', '/v1/txn', { ops: [{ op: 'check', path: root, version: -1 }] }, BEARER)],
  'multi 403': [
    () => json('POST', '/v1/txn', { ops: [{ op: 'create', path: `${root}/locked/x` }] }),
    () => json('POST', '/v1/txn', { ops: [{ op: 'create', path: `${root}/evil` }] }, EVIL),
  ],
  'multi 404': [() => json('POST', '/v1/txn', { ops: [{ op: 'delete', path: `${root}/missing` }] })],
  'multi 409': [() => json('POST', '/v1/txn', { ops: [{ op: 'create', path: `${root}/data` }] })],
  'multi 410': [() => json('POST', '/v1/txn', { ops: [{ op: 'check', path: root, version: -1 }] }, BAD_SESSION)],
  'multi 412': [() => json('POST', '/v1/txn', { ops: [{ op: 'check', path: root, version: 42 }] })],
  'multi 429': [() => json('POST', '/v1/txn', { ops: [{ op: 'create', path: `${root}/full/x` }] })],
  'sync 200': [() => json('POST', '/v1/sync', { path: root })],
  'sync 400': [() => json('POST', '/v1/sync', { where: root })],
  'sync 410': [() => json('POST', '/v1/sync', { path: root }, BAD_SESSION)],
  'sync 403': [() => json('POST', '/v1/sync', { path: root }, EVIL)],
  'createSession 403': [() => json('POST', '/v1/sessions', { timeoutMs: 10_000 }, EVIL)],
  'closeSession 403': [() => send('DELETE', '/v1/sessions/abc', { headers: { ...EVIL, 'Cairn-Session': 'abc.AAAA' } })],
  'keepAlive 403': [() => send('POST', '/v1/sessions/abc/keepalive', { headers: { ...EVIL, 'Cairn-Session': 'abc.AAAA' } })],
  'preflightZnode 204': preflights(`/v1/znodes${root}/data`),
  'preflightZnode 403': foreignPreflight(`/v1/znodes${root}/data`),
  'preflightAcl 204': preflights(`/v1/acl${root}/data`),
  'preflightAcl 403': foreignPreflight(`/v1/acl${root}/data`),
  'preflightTxn 204': preflights('/v1/txn'),
  'preflightTxn 403': foreignPreflight('/v1/txn'),
  'preflightSync 204': preflights('/v1/sync'),
  'preflightSync 403': foreignPreflight('/v1/sync'),
  'preflightWhoAmI 204': preflights('/v1/whoami'),
  'preflightWhoAmI 403': foreignPreflight('/v1/whoami'),
  'whoAmI 200': [() => send('GET', '/v1/whoami'), () => send('GET', '/v1/whoami', { headers: { Authorization: `Basic ${Buffer.from('eve:pw').toString('base64')}` } })],
  'whoAmI 400': [() => send('GET', '/v1/whoami?as=admin')],
  'whoAmI 401': [() => send('GET', '/v1/whoami', { headers: BEARER })],
  'whoAmI 403': [() => send('GET', '/v1/whoami', { headers: EVIL })],
  'whoAmI 410': [() => send('GET', '/v1/whoami', { headers: BAD_SESSION })],
  'preflightSessions 204': preflights('/v1/sessions'),
  'preflightSessions 403': foreignPreflight('/v1/sessions'),
  'createSession 201': [
    async () => {
      const answer = await json('POST', '/v1/sessions', {}, { Authorization: basic('carol', 'pw') });
      const token = ((await answer.clone().json()) as { token: string }).token;
      await send('DELETE', `/v1/sessions/${token.split('.')[0]}`, { headers: { 'Cairn-Session': token } });
      return answer;
    },
  ],
  'createSession 400': [() => json('POST', '/v1/sessions', { timeoutMs: 0 })],
  'createSession 401': [() => json('POST', '/v1/sessions', {}, BEARER)],
  'createSession 429': [
    async () => {
      const opened: string[] = [];
      let answer: Response | undefined;
      for (let attempt = 0; attempt <= MAX_SESSIONS; attempt++) {
        answer = await json('POST', '/v1/sessions', { timeoutMs: 10_000 });
        if (answer.status !== 201) break;
        opened.push(((await answer.json()) as { token: string }).token);
      }
      for (const token of opened) await send('DELETE', `/v1/sessions/${token.split('.')[0]}`, { headers: { 'Cairn-Session': token } });
      return answer as Response;
    },
  ],
  'closeSession 204': [
    async () => {
      const { token, id } = await openSession();
      return send('DELETE', `/v1/sessions/${id}`, { headers: { 'Cairn-Session': token } });
    },
  ],
  'closeSession 400': [
    async () => {
      const { token, id } = await openSession();
      const answer = await send('DELETE', `/v1/sessions/${id}1`, { headers: { 'Cairn-Session': token } });
      await send('DELETE', `/v1/sessions/${id}`, { headers: { 'Cairn-Session': token } });
      return answer;
    },
  ],
  'closeSession 410': [() => send('DELETE', '/v1/sessions/abc', { headers: BAD_SESSION })],
  'keepAlive 200': [
    async () => {
      const { token, id } = await openSession();
      const answer = await send('POST', `/v1/sessions/${id}/keepalive`, { headers: { 'Cairn-Session': token } });
      await send('DELETE', `/v1/sessions/${id}`, { headers: { 'Cairn-Session': token } });
      return answer;
    },
  ],
  'keepAlive 400': [() => send('POST', '/v1/sessions/abc/keepalive')],
  'keepAlive 410': [() => send('POST', '/v1/sessions/abc/keepalive', { headers: BAD_SESSION })],
  'watch 200': [
    async () => {
      const controller = new AbortController();
      const answer = await fetch(`${base}/v1/watch${root}?recursive=true`, { signal: controller.signal });
      const status = answer.status;
      const headers = answer.headers;
      controller.abort();
      return { status, headers, upgraded: true };
    },
  ],
  'watch 400': [() => get(`/v1/watch${root}//x`), () => get(`/v1/watch${root}`, { 'Last-Event-ID': 'yesterday' })],
  'watch 401': [() => get(`/v1/watch${root}`, BEARER)],
  'watch 403': [() => get(`/v1/watch${root}/locked`)],
  'webSocket 101': [
    () =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${server.httpPort}/v1/ws`, 'cairn.v1.json');
        socket.on('upgrade', (response) => {
          resolve({ status: response.statusCode ?? 0, headers: new Headers(), upgraded: true });
          socket.terminate();
        });
        socket.on('error', reject);
      }),
  ],
  'webSocket 426': [() => get('/v1/ws')],
  'webSocket 403': [() => refusedUpgrade(EVIL)],
  'listCommands 200': [() => get('/commands')],
  'runCommand 200': [() => get('/commands/ruok'), () => get('/commands/mntr'), () => get('/commands/wchc'), () => get('/commands/envi', { Authorization: basic('ops', 'pw') })],
  'runCommand 401': [() => get('/commands/envi'), () => atLone('GET', '/commands/mntr')],
  'runCommand 403': [() => atLone('GET', '/commands/dump'), () => get('/commands/ruok', EVIL)],
  'runCommand 404': [() => get('/commands/frobnicate')],
  'metrics 200': [() => get('/metrics')],
  'metrics 401': [() => atLone('GET', '/metrics')],
  'metrics 403': [() => get('/metrics', EVIL)],
  'readyz 200': [() => get('/readyz')],
  'readyz 503': [() => atLone('GET', '/readyz')],
  'getZnode 503': [() => atLone('GET', '/v1/znodes/')],
  'headZnode 503': [() => atLone('HEAD', '/v1/znodes/')],
  'createZnode 503': [() => atLone('POST', '/v1/znodes/x')],
  'setZnode 503': [() => atLone('PUT', '/v1/znodes/x')],
  'deleteZnode 503': [() => atLone('DELETE', '/v1/znodes/x')],
  'getAcl 503': [() => atLone('GET', '/v1/acl/')],
  'setAcl 503': [() => atLone('PUT', '/v1/acl/', JSON.stringify({ acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] }))],
  'multi 503': [() => atLone('POST', '/v1/txn', JSON.stringify({ ops: [{ op: 'check', path: '/', version: -1 }] }))],
  'sync 503': [() => atLone('POST', '/v1/sync', JSON.stringify({ path: '/' }))],
  'createSession 503': [() => atLone('POST', '/v1/sessions', JSON.stringify({ timeoutMs: 10_000 }))],
  'healthz 200': [() => get('/healthz')],
  'openapi 200': [() => get('/openapi.yaml')],
  'docs 200': [() => get('/docs')],
};

beforeAll(async () => {
  await startLoneMember();
  server = await startServerProcess({
    config: { enforceQuota: true, 'jute.maxbuffer': 4096, '4lw.commands.whitelist': '*', 'http.commands.authRequired': 'envi', 'http.allowedOrigins': APP.Origin },
    env: { CAIRN_HTTP_MAX_SESSIONS: String(MAX_SESSIONS) } });
  base = `http://127.0.0.1:${server.httpPort}`;
  const bob = basic('bob', 'pw');
  await send('POST', `/v1/znodes${root}`);
  await send('POST', `/v1/znodes${root}/data`, { body: 'hello' });
  await send('POST', `/v1/znodes${root}/acl-target`);
  await send('POST', `/v1/znodes${root}/locked?acl=${encodeURIComponent(`digest:${digest('bob', 'pw')}:cdrwa`)}`, { headers: { Authorization: bob } });
  await send('POST', `/v1/znodes${root}/locked/child`, { headers: { Authorization: bob } });
  // A hard quota of one node and three bytes on ${root}/full, as zkCli's setquota -N 1 -B 3 writes it.
  await send('POST', `/v1/znodes${root}/full`);
  await send('POST', `/v1/znodes/zookeeper/quota${root}`);
  await send('POST', `/v1/znodes/zookeeper/quota${root}/full`);
  await send('POST', `/v1/znodes/zookeeper/quota${root}/full/zookeeper_limits`, { body: 'count=-1,bytes=-1=;byteHardLimit=3;countHardLimit=1' });
  await send('POST', `/v1/znodes/zookeeper/quota${root}/full/zookeeper_stats`, { body: 'count=0,bytes=0' });
});

afterAll(async () => {
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
  await lone?.stop();
  if (lone !== undefined) await removeDir(lone.dataDir);
});

function mediaType(headers: Headers): string | undefined {
  return headers.get('content-type')?.split(';')[0]?.trim();
}

async function check(operation: Operation, status: number, outcome: Outcome): Promise<void> {
  const where = `${operation.method.toUpperCase()} ${operation.path} → ${status}`;
  const body = 'upgraded' in outcome ? '' : await outcome.text();
  expect(outcome.status, `${where}: ${body}`).toBe(status);
  const documented = operation.responses.get(status)!;
  if ('upgraded' in outcome || operation.method === 'head') return;
  if (documented.size === 0) {
    expect(body, `${where} has no body`).toBe('');
    return;
  }
  const type = mediaType(outcome.headers);
  const accepted = [...documented.keys()];
  expect(accepted, `${where} answers a documented media type`).toContain(type);
  const schema = documented.get(type as string);
  if (schema !== undefined && /json$/.test(type as string)) {
    const validate = loadOpenApi().compile(schema);
    const parsed = JSON.parse(body);
    expect(validate(parsed) ? [] : validate.errors, `${where}: ${body}`).toEqual([]);
  }
}

describe('openapi.yaml is what the server does', () => {
  const operations = loadOpenApi().operations;

  it('has a scenario for every documented response, and documents every scenario', () => {
    const documented = operations.flatMap((operation) => [...operation.responses.keys()].map((status) => `${operation.operationId} ${status}`)).sort();
    expect(Object.keys(SCENARIOS).sort()).toEqual(documented);
  });

  for (const operation of operations) {
    for (const status of operation.responses.keys()) {
      it(`${operation.operationId} answers ${status} as documented`, async () => {
        for (const scenario of SCENARIOS[`${operation.operationId} ${status}`] ?? []) await check(operation, status, await scenario());
      });
    }
  }

  it('answers a route the file does not have with 404 no-route', async () => {
    for (const [method, path] of [['GET', '/v1/nodes/x'], ['PATCH', `/v1/znodes${root}`], ['POST', '/commands/ruok']] as const) {
      const answer = await send(method, path);
      expect(answer.status).toBe(404);
      expect(((await answer.json()) as { type: string }).type).toBe('urn:cairn:problem:no-route');
    }
  });
});
