// A real browser on the WebSocket session channel: headless Chromium (Debian's package, driven
// by playwright-core) loads a small page served by this test; the page opens a session, creates
// an ephemeral node, watches a subtree, and sees the events of writes made over REST.

import { createServer, type Server } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
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
    server = await startServerProcess();
    pageServer = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE));
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    const address = pageServer.address();
    pageUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
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
