// A real browser on the WebSocket session channel: headless Chromium (Debian's package, driven
// by playwright-core) loads a small page served by this test; the page opens a session, creates
// an ephemeral node, watches a subtree, and sees the events of writes made over REST. Then pages
// of two other origins (two more local servers, on ports of their own) try the server: the one
// its http.allowedOrigins lists may use the WebSocket channel, fetch and a form POST; the other
// may not, and changes nothing. Last, /docs renders and calls the server from another host name.

import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM_PATH, describeWith } from '../support/requirements.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { call, uniqueName } from './http-helpers.js';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The page: plain browser JavaScript, the protobuf JSON mapping of cairn.v1 messages.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Cairn watch</title></head>
<body><ul id="events"></ul>
<script>
window.cairn = { events: [], responses: {}, connected: null, errors: [] };
window.openSession = (url, root) => new Promise((resolve, reject) => {
  const socket = new WebSocket(url, 'cairn.v1.json');
  let xid = 0;
  const send = (message) => socket.send(JSON.stringify(message));
  const request = (op) => { xid += 1; send({ request: { xid: String(xid), ...op } }); return String(xid); };
  socket.onerror = () => reject(new Error('websocket error'));
  socket.onopen = () => send({ connect: { timeoutMs: 4000 } });
  socket.onmessage = (frame) => {
    const message = JSON.parse(frame.data);
    if (message.connected) {
      window.cairn.connected = message.connected;
      request({ create: { path: root + '/browser', data: btoa('from the browser'), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode: 'CREATE_MODE_EPHEMERAL' } });
      request({ addWatch: { path: root, mode: 'ADD_WATCH_MODE_PERSISTENT_RECURSIVE' } });
    } else if (message.response) {
      window.cairn.responses[message.response.xid] = message.response;
      if (message.response.error) window.cairn.errors.push(message.response.error);
      if (message.response.xid === '2') resolve(window.cairn.connected);
    } else if (message.event) {
      window.cairn.events.push(message.event);
      const item = document.createElement('li');
      item.textContent = message.event.type + ' ' + message.event.path;
      document.getElementById('events').appendChild(item);
    }
  };
  setInterval(() => send({ ping: { id: String(Date.now()) } }), 1000);
});
</script></body></html>`;

describeWith('chromium', 'a browser on the WebSocket session channel', () => {
  let server: ServerProcess;
  let pageServer: Server;
  let pageUrl: string;
  let context: BrowserContext | undefined;
  let userDataDir: string;

  beforeAll(async () => {
    pageServer = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    const address = pageServer.address();
    pageUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
    // The page comes from another port, so another origin, which the server must allow.
    server = await startServerProcess({ config: { 'http.allowedOrigins': new URL(pageUrl).origin } });
    userDataDir = await mkdtemp(join(tmpdir(), 'cairn-chromium-'));
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
    if (userDataDir !== undefined) await removeDir(userDataDir);
  });

  it('opens a session, creates an ephemeral, and sees events of REST writes', async () => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    const root = `/${uniqueName('browser')}`;
    await call(base, 'POST', `/v1/znodes${root}`);

    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
    const page = await context.newPage();
    await page.goto(pageUrl);
    const connected = await page.evaluate(([url, path]) => (window as any).openSession(url, path), [`ws://127.0.0.1:${server.httpPort}/v1/ws`, root] as const);
    expect(Number(connected.sessionId)).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as any).cairn.errors)).toEqual([]);

    const browserNode = await call(base, 'GET', `/v1/znodes${root}/browser`);
    expect(browserNode.json.data).toBe('from the browser');
    expect(browserNode.json.stat.ephemeralOwner).toBe(Number(connected.sessionId));

    await call(base, 'POST', `/v1/znodes${root}/config`, { body: 'v1' });
    await call(base, 'PUT', `/v1/znodes${root}/config`, { body: 'v2' });
    await call(base, 'DELETE', `/v1/znodes${root}/config`);
    const seen = async () => (await page.evaluate(() => (window as any).cairn.events)) as { type: string; path: string }[];
    await waitFor(async () => (await seen()).length >= 3, 15_000, 'the browser to see three events');
    expect((await seen()).map((event) => [event.type, event.path])).toEqual([
      ['EVENT_TYPE_NODE_CREATED', `${root}/config`],
      ['EVENT_TYPE_NODE_DATA_CHANGED', `${root}/config`],
      ['EVENT_TYPE_NODE_DELETED', `${root}/config`],
    ]);
    expect(await page.locator('#events li').count()).toBe(3);

    // Closing the browser drops the socket; the page's ephemeral goes when the session expires.
    await context.close();
    context = undefined;
    await waitFor(async () => (await call(base, 'GET', `/v1/znodes${root}/browser`)).status === 404, 30_000, 'the browser session to expire');
  });
});

// A page of another origin: it tries the server the ways a web page can.
const PROBE_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Cairn probe</title></head>
<body><iframe name="sink" id="sink"></iframe>
<script>
window.tryWebSocket = (url) => new Promise((resolve) => {
  const socket = new WebSocket(url, 'cairn.v1.json');
  socket.onopen = () => socket.send(JSON.stringify({ connect: { timeoutMs: 4000 } }));
  socket.onmessage = (frame) => { const message = JSON.parse(frame.data); if (message.connected) { socket.close(); resolve('connected'); } };
  socket.onerror = () => resolve('refused');
});
window.tryFetch = (url, init) => fetch(url, init).then(
  async (response) => ({ status: response.status, zxid: response.headers.get('Cairn-Zxid'), body: await response.text() }),
  (error) => ({ blocked: String(error) }));
window.submitForm = (action, enctype) => new Promise((resolve) => {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = action;
  form.enctype = enctype;
  form.target = 'sink';
  const field = document.createElement('input');
  field.name = 'data';
  field.value = 'from a form';
  form.appendChild(field);
  document.body.appendChild(form);
  document.getElementById('sink').onload = () => resolve('loaded');
  form.submit();
});
</script></body></html>`;

function servePage(html: string): Promise<{ server: Server; origin: string }> {
  const pages = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html));
  return new Promise((resolve) =>
    pages.listen(0, '127.0.0.1', () => {
      const address = pages.address();
      resolve({ server: pages, origin: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}` });
    }),
  );
}

describeWith('chromium', 'pages of other origins in a browser', () => {
  let server: ServerProcess;
  let allowed: { server: Server; origin: string };
  let foreign: { server: Server; origin: string };
  let context: BrowserContext | undefined;
  let userDataDir: string;
  let base: string;
  const root = `/${uniqueName('origins')}`;

  beforeAll(async () => {
    allowed = await servePage(PROBE_PAGE);
    foreign = await servePage(PROBE_PAGE);
    server = await startServerProcess({ config: { 'http.allowedOrigins': allowed.origin } });
    base = `http://127.0.0.1:${server.httpPort}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    userDataDir = await mkdtemp(join(tmpdir(), 'cairn-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    await context?.close();
    for (const pages of [allowed, foreign]) if (pages !== undefined) await new Promise((resolve) => pages.server.close(resolve));
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
    if (userDataDir !== undefined) await removeDir(userDataDir);
  });

  const open = async (origin: string): Promise<Page> => {
    const page = await context!.newPage();
    await page.goto(`${origin}/`);
    return page;
  };
  const exists = async (path: string) => (await call(base, 'GET', `/v1/znodes${path}`)).status === 200;

  it('a page of a foreign origin cannot open the WebSocket channel, fetch, or post a form', async () => {
    const page = await open(foreign.origin);
    expect(await page.evaluate((url) => (window as any).tryWebSocket(url), `ws://127.0.0.1:${server.httpPort}/v1/ws`)).toBe('refused');

    // A text/plain POST needs no preflight: the server refuses it, and the page cannot read the refusal.
    const textPost = await page.evaluate(([url]) => (window as any).tryFetch(url, { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } }), [`${base}/v1/znodes${root}/fetch-foreign`]);
    expect(textPost.blocked).toMatch(/TypeError/);
    // A JSON POST is preflighted, and the preflight is refused.
    const jsonPost = await page.evaluate(([url]) => (window as any).tryFetch(url, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } }), [`${base}/v1/znodes${root}/json-foreign`]);
    expect(jsonPost.blocked).toMatch(/TypeError/);
    const read = await page.evaluate(([url]) => (window as any).tryFetch(url), [`${base}/v1/znodes${root}`]);
    expect(read.blocked).toMatch(/TypeError/);

    for (const enctype of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      expect(await page.evaluate(([action, type]) => (window as any).submitForm(action, type), [`${base}/v1/znodes${root}/form-foreign`, enctype])).toBe('loaded');
    }
    expect(await exists(`${root}/fetch-foreign`)).toBe(false);
    expect(await exists(`${root}/json-foreign`)).toBe(false);
    expect(await exists(`${root}/form-foreign`)).toBe(false);
    await page.close();
  });

  it('a page of an allowed origin can use the WebSocket channel, fetch (reading the exposed headers) and post a form', async () => {
    const page = await open(allowed.origin);
    expect(await page.evaluate((url) => (window as any).tryWebSocket(url), `ws://127.0.0.1:${server.httpPort}/v1/ws`)).toBe('connected');

    const created = await page.evaluate(([url]) => (window as any).tryFetch(url, { method: 'POST', body: 'x', headers: { 'Content-Type': 'text/plain' } }), [`${base}/v1/znodes${root}/fetch-allowed`]);
    expect(created.status).toBe(201);
    expect(Number(created.zxid)).toBeGreaterThan(0);
    const preflighted = await page.evaluate(([url]) => (window as any).tryFetch(url, { method: 'PUT', body: 'y', headers: { 'Content-Type': 'application/octet-stream', 'Cairn-Session': 'ab.cd' } }), [`${base}/v1/znodes${root}/fetch-allowed`]);
    expect(preflighted.status).toBe(410); // the preflight passed; the made-up session is refused by the API itself
    const read = await page.evaluate(([url]) => (window as any).tryFetch(url), [`${base}/v1/znodes${root}/fetch-allowed`]);
    expect(JSON.parse(read.body).data).toBe('x');

    expect(await page.evaluate(([action]) => (window as any).submitForm(action, 'text/plain'), [`${base}/v1/znodes${root}/form-allowed`])).toBe('loaded');
    await waitFor(() => exists(`${root}/form-allowed`), 10_000, 'the allowed form POST to create its node');
    await page.close();
  });

  it('renders /docs on another host name and port, and calls the server from it', async () => {
    const docsBase = `http://localhost:${server.httpPort}`;
    const page = await context!.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      // What the server URL needs: no request to it blocked (Swagger UI's own inline styles are another matter).
      if (/connect-src|Refused to connect|upgrade-insecure/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${docsBase}/docs`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'Cairn HTTP API' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.servers select option').first().getAttribute('value')).toBe('/');
    const status = await page.evaluate(async () => (await fetch('/v1/znodes/', { headers: { Accept: 'application/json' } })).status);
    expect(status).toBe(200);
    expect(violations, violations.join('\n')).toEqual([]);
    await page.close();
  });
});
