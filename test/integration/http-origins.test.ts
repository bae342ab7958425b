// The HTTP port and browsers, against real server processes: a page of a foreign origin can
// neither open the WebSocket channel nor change anything with the requests a browser sends
// without asking (text/plain, form and multipart POSTs), while an allowed origin gets CORS; /docs
// works on whatever port serves it; and the admin commands obey 4lw.commands.whitelist, as the
// four-letter words of the ZooKeeper port do, and ask for credentials where configured.
//
// The headers a browser would send are set by hand here; http-browser.test.ts does the same
// with a real Chromium.

import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { digest } from '../../src/core/acl.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { basic, call, uniqueName, WsSession } from './http-helpers.js';
import { fourLetterWord } from './zookeeper-process.js';

const APP_ORIGIN = 'http://app.example';
const EVIL_ORIGIN = 'http://evil.example';

/** The status and body of an upgrade, or 101 once the socket opened. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; socket?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, 'cairn.v1.json', { headers });
    socket.on('open', () => resolve({ status: 101, body: '', socket }));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.on('error', (error) => reject(error));
  });
}

function corsHeaders(headers: Headers): string[] {
  return [...headers.keys()].filter((name) => name.startsWith('access-control-'));
}

describe('browser origins on the HTTP port', () => {
  let server: ServerProcess;
  let base: string;
  let wsUrl: string;
  const root = `/${uniqueName('origins')}`;

  beforeAll(async () => {
    server = await startServerProcess({ config: { 'http.allowedOrigins': APP_ORIGIN } });
    base = `http://127.0.0.1:${server.httpPort}`;
    wsUrl = `ws://127.0.0.1:${server.httpPort}/v1/ws`;
    expect((await call(base, 'POST', `/v1/znodes${root}`)).status).toBe(201);
  });

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  it('refuses a WebSocket upgrade from a foreign origin with 403, and opens one from an allowed origin, its own, or no browser', async () => {
    const refused = await upgrade(wsUrl, { Origin: EVIL_ORIGIN });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ status: 403, name: 'NoAuth', type: 'urn:zookeeper:error:NoAuth' });
    expect(JSON.parse(refused.body).detail).toContain(EVIL_ORIGIN);

    const browsers: Record<string, string>[] = [{ Origin: APP_ORIGIN }, {}, { Origin: base }];
    for (const headers of browsers) {
      const session = await WsSession.open(wsUrl, headers);
      const connected = await session.connect();
      expect(Number(connected.sessionId), JSON.stringify(headers)).toBeGreaterThan(0);
      const created = await session.request({ create: { path: `${root}/ws-${Object.keys(headers).length}-${connected.sessionId}`, data: '', acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] } });
      expect(created.error, JSON.stringify(headers)).toBeUndefined();
      session.close();
    }
  });

  it('answers a preflight from an allowed origin only', async () => {
    const allowed = await call(base, 'OPTIONS', `/v1/znodes${root}/x`, {
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, authorization, cairn-session' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Accept, Cairn-Session, Last-Event-ID');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');
    expect(allowed.headers.get('vary')).toBe('Origin');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const foreign = await call(base, 'OPTIONS', `/v1/znodes${root}/x`, { headers: { Origin: EVIL_ORIGIN, 'Access-Control-Request-Method': 'PUT' } });
    expect(foreign.status).toBe(403);
    expect(corsHeaders(foreign.headers)).toEqual([]);
    expect(foreign.json).toMatchObject({ name: 'NoAuth', status: 403 });

    const plain = await call(base, 'OPTIONS', '/v1/txn');
    expect(plain.status).toBe(204);
    expect(plain.headers.get('allow')).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS');
    expect(corsHeaders(plain.headers)).toEqual([]);
  });

  it('refuses the POSTs a foreign page sends without a preflight, and creates nothing', async () => {
    const form = new FormData();
    form.append('data', 'x');
    const attempts: { name: string; body: string | FormData; type?: string }[] = [
      { name: 'text', body: 'x', type: 'text/plain' },
      { name: 'form', body: 'data=x', type: 'application/x-www-form-urlencoded' },
      { name: 'multipart', body: form },
    ];
    for (const attempt of attempts) {
      const path = `/v1/znodes${root}/csrf-${attempt.name}`;
      const headers: Record<string, string> = { Origin: EVIL_ORIGIN, ...(attempt.type === undefined ? {} : { 'Content-Type': attempt.type }) };
      const response = await fetch(`${base}${path}`, { method: 'POST', body: attempt.body, headers });
      const problem = (await response.json()) as Record<string, unknown>;
      expect(response.status, attempt.name).toBe(403);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(problem).toMatchObject({ type: 'urn:zookeeper:error:NoAuth', name: 'NoAuth', code: -102, status: 403 });
      expect(corsHeaders(response.headers)).toEqual([]);
      expect((await call(base, 'GET', path)).status, attempt.name).toBe(404);
    }
    // PUT and DELETE too, and reads: a foreign page gets nothing from this server.
    const existing = `/v1/znodes${root}`;
    expect((await call(base, 'PUT', existing, { body: 'x', headers: { Origin: EVIL_ORIGIN, 'Content-Type': 'text/plain' } })).status).toBe(403);
    expect((await call(base, 'DELETE', existing, { headers: { Origin: EVIL_ORIGIN } })).status).toBe(403);
    expect((await call(base, 'GET', existing, { headers: { Origin: EVIL_ORIGIN } })).status).toBe(403);
    expect((await call(base, 'GET', existing)).json.data).toBe('');
    // A browser that says the request is cross-site, without an Origin, changes nothing either.
    const unmarked = `/v1/znodes${root}/csrf-unmarked`;
    expect((await call(base, 'POST', unmarked, { body: 'x', headers: { 'Sec-Fetch-Site': 'cross-site', 'Content-Type': 'text/plain' } })).status).toBe(403);
    expect((await call(base, 'GET', unmarked)).status).toBe(404);
  });

  it('serves an allowed origin, its own origin and clients without an Origin', async () => {
    const fromApp = await call(base, 'POST', `/v1/znodes${root}/from-app`, { body: 'x', headers: { Origin: APP_ORIGIN, 'Content-Type': 'text/plain' } });
    expect(fromApp.status).toBe(201);
    expect(fromApp.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(fromApp.headers.get('access-control-expose-headers')).toBe('Cairn-Zxid, Cairn-Stat, Cairn-Data-Null, Location');
    expect(fromApp.headers.get('vary')).toBe('Origin');
    const read = await call(base, 'GET', `/v1/znodes${root}/from-app`, { headers: { Origin: APP_ORIGIN, Accept: 'application/octet-stream' } });
    expect(read.text).toBe('x');
    expect(read.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);

    // curl's default content type for --data-binary, with no Origin: served as before.
    const fromCurl = await call(base, 'POST', `/v1/znodes${root}/from-curl`, { body: 'x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(fromCurl.status).toBe(201);
    expect(corsHeaders(fromCurl.headers)).toEqual([]);

    // The server's own origin (the Origin names the Host the request came to), or a browser that
    // says so when a proxy rewrote the Host.
    expect((await call(base, 'POST', `/v1/znodes${root}/from-self`, { body: 'x', headers: { Origin: base, 'Content-Type': 'text/plain' } })).status).toBe(201);
    const proxied = await call(base, 'POST', `/v1/znodes${root}/from-proxy`, { body: 'x', headers: { Origin: 'https://cairn.example', 'Sec-Fetch-Site': 'same-origin' } });
    expect(proxied.status).toBe(201);
    // The same host on another port is another origin.
    expect((await call(base, 'POST', `/v1/znodes${root}/other-port`, { body: 'x', headers: { Origin: `http://127.0.0.1:${server.httpPort + 1}` } })).status).toBe(403);
  });

  it('serves /docs with a server URL and a policy that work on the port that served it', async () => {
    const page = await call(base, 'GET', '/docs');
    expect(page.status).toBe(200);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain('upgrade-insecure-requests');
    const rendered = await call(base, 'GET', '/docs/json');
    expect(rendered.json.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    // "/" resolved against the page is this very server, on its random port.
    const server0 = new URL(rendered.json.servers[0].url as string, `${base}/docs/json`);
    expect(server0.origin).toBe(base);
    expect((await fetch(new URL('/healthz', server0))).status).toBe(200);
    const contract = parse((await call(base, 'GET', '/openapi.yaml')).text) as { servers: { url: string }[] };
    expect(contract.servers.map((entry) => entry.url)).toEqual(['/']);
  });
});

describe('admin commands on the HTTP port honour the four-letter-word whitelist', () => {
  let plain: ServerProcess;
  let plainBase: string;

  beforeAll(async () => {
    plain = await startServerProcess();
    plainBase = `http://127.0.0.1:${plain.httpPort}`;
  });

  afterAll(async () => {
    await plain?.stop();
    if (plain !== undefined) await removeDir(plain.dataDir);
  });

  it('with the default whitelist refuses on HTTP what the ZooKeeper port refuses, and serves srvr on both', async () => {
    for (const [command, word] of [['dump', 'dump'], ['cons', 'cons'], ['connections', 'cons'], ['envi', 'envi'], ['environment', 'envi'], ['wchc', 'wchc'], ['conf', 'conf'], ['mntr', 'mntr'], ['ruok', 'ruok']] as const) {
      const answer = await call(plainBase, 'GET', `/commands/${command}`);
      expect(answer.status, command).toBe(403);
      expect(answer.json).toMatchObject({ name: 'NoAuth', status: 403 });
      expect(answer.json.detail).toContain(`${word} is not in 4lw.commands.whitelist`);
      expect(await fourLetterWord(plain.clientPort, word)).toBe(`${word} is not executed because it is not in the whitelist.\n`);
    }
    expect((await call(plainBase, 'GET', '/metrics')).status).toBe(403);
    expect((await call(plainBase, 'GET', '/commands/srvr')).json).toMatchObject({ command: 'server_stats', error: null });
    expect((await call(plainBase, 'GET', '/commands/last_zxid')).status).toBe(200);
    expect(await fourLetterWord(plain.clientPort, 'srvr')).toContain('Mode: standalone');
    const list = await call(plainBase, 'GET', '/commands');
    const access = Object.fromEntries((list.json.commands as { name: string; access: string }[]).map((entry) => [entry.name, entry.access]));
    expect(access).toMatchObject({ server_stats: 'open', last_zxid: 'open', dump: 'disabled', environment: 'disabled', monitor: 'disabled' });
  });
});

describe('admin commands that need credentials', () => {
  let server: ServerProcess;
  let base: string;
  const admin = basic('admin', 'secret');
  const other = basic('other', 'pw');

  beforeAll(async () => {
    server = await startServerProcess({ config: { '4lw.commands.whitelist': 'dump,envi,cons,mntr,ruok', 'http.commands.authRequired': 'dump,envi,mntr' } });
    base = `http://127.0.0.1:${server.httpPort}`;
  });

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  it('asks for credentials, then for every permission on the root, as ZooKeeper 3.9 asks of snapshot and restore', async () => {
    const anonymous = await call(base, 'GET', '/commands/dump');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(anonymous.json).toMatchObject({ name: 'AuthFailed', status: 401 });
    expect((await call(base, 'GET', '/metrics')).status).toBe(401);
    // Commands that do not need credentials are open; the ZooKeeper port, which cannot
    // authenticate a four-letter word, does not answer the ones that do.
    expect((await call(base, 'GET', '/commands/cons')).status).toBe(200);
    expect(await fourLetterWord(server.clientPort, 'ruok')).toBe('imok');
    expect(await fourLetterWord(server.clientPort, 'dump')).toBe('dump is not executed because it is not in the whitelist.\n');

    // The root's ACL is world:anyone:cdrwa, so any credentials hold every permission on it.
    expect((await call(base, 'GET', '/commands/dump', { headers: { Authorization: other } })).json).toMatchObject({ command: 'dump', error: null });

    // Once the root belongs to admin, only admin (or super) may run them.
    const lock = await call(base, 'PUT', '/v1/acl/', {
      body: JSON.stringify({ acl: [{ perms: 31, id: { scheme: 'digest', id: digest('admin', 'secret') } }] }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(lock.status).toBe(200);
    const refused = await call(base, 'GET', '/commands/envi', { headers: { Authorization: other } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ name: 'NoAuth' });
    expect((await call(base, 'GET', '/metrics', { headers: { Authorization: other } })).status).toBe(403);
    expect((await call(base, 'GET', '/commands/envi', { headers: { Authorization: admin } })).json).toMatchObject({ command: 'environment', error: null });
    const metrics = await call(base, 'GET', '/metrics', { headers: { Authorization: admin } });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('cairn_znodes');
  });
});
