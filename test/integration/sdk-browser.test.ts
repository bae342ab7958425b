// The SDK's browser bundle (dist/browser/cairn-client.js, made by `npm run build`) in a real
// browser: headless Chromium loads a page that imports it as an ES module, connects to a 3-server
// ensemble over the WebSocket channel, creates an ephemeral, watches a subtree, and keeps its
// session when the server it is on is killed: RECONNECTED on another, the ephemeral kept, events
// flowing again.

import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { CHROMIUM_PATH, describeWith } from '../support/requirements.js';
import { removeDir, waitFor } from './harness.js';
import { startEnsemble, type Ensemble } from './ensemble-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The page: the bundle's API, as a web application would use it.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Cairn SDK</title></head>
<body><script type="module">
import { connect, EventType, ExponentialBackoffRetry } from '/cairn-client.js';
window.log = { states: [], events: [], errors: [] };
window.start = async (servers, root) => {
  const client = await connect({ servers, sessionTimeoutMs: 20000, retryPolicy: new ExponentialBackoffRetry(100, 10, 1000) });
  window.client = client;
  client.on('state', (state) => window.log.states.push(state));
  await client.create(root + '/from-browser', 'hello', { mode: 1 });
  const watch = await client.watch(root, { recursive: true });
  (async () => {
    try {
      for await (const event of watch) window.log.events.push([event.type === EventType.NodeCreated ? 'created' : String(event.type), event.path]);
    } catch (error) {
      window.log.errors.push(String(error));
    }
  })();
  return { session: client.session.id, server: client.server };
};
window.where = () => ({ session: window.client.session.id, server: window.client.server, state: window.client.state });
window.read = async (path) => new TextDecoder().decode((await window.client.getData(path)).data);
</script></body></html>`;

describeWith('chromium', 'the SDK in a browser', () => {
  let ensemble: Ensemble;
  let pageServer: Server;
  let pageUrl: string;
  let context: BrowserContext | undefined;
  let userDataDir: string;

  beforeAll(async () => {
    const bundle = await readFile(join(ROOT, 'dist', 'browser', 'cairn-client.js'));
    pageServer = createServer((request, response) => {
      if (request.url === '/cairn-client.js') response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(bundle);
      else response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    });
    await new Promise<void>((done) => pageServer.listen(0, '127.0.0.1', done));
    const address = pageServer.address();
    pageUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
    ensemble = await startEnsemble({ voters: 3, config: { 'http.allowedOrigins': new URL(pageUrl).origin, maxSessionTimeout: 30_000 } });
    await ensemble.awaitServing(3);
    userDataDir = await mkdtemp(join(tmpdir(), 'cairn-chromium-'));
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((done) => pageServer?.close(done));
    if (ensemble !== undefined) {
      await ensemble.stopAll();
      for (const member of ensemble.members) await removeDir(member.dataDir);
    }
    if (userDataDir !== undefined) await removeDir(userDataDir);
  });

  it('imports the bundle, opens a session, watches, and survives a SIGKILL of its server', async () => {
    const root = `/browser-sdk-${process.pid}`;
    const unary = new CairnUnaryClient(ensemble.members[0]!.grpcAddress, { timeoutMs: 15_000 });
    try {
      await unary.create(root, null);
      context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
      const page: Page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      await page.goto(pageUrl);
      await page.waitForFunction(() => typeof (window as any).start === 'function', undefined, { timeout: 15_000 });
      // Host:port of each HTTP port: the bundle makes ws:// URLs of them on an http: page.
      const servers = ensemble.members.map((member) => `127.0.0.1:${member.httpPort}`);
      const started = await page.evaluate(([list, path]) => (window as any).start(list, path), [servers, root] as const);
      expect(started.session).toBeGreaterThan(0);
      expect((await unary.exists(`${root}/from-browser`))?.ephemeralOwner).toBe(started.session);
      expect(await page.evaluate((path) => (window as any).read(path), `${root}/from-browser`)).toBe('hello');

      const events = async () => (await page.evaluate(() => (window as any).log.events)) as [string, string][];
      await unary.create(`${root}/one`, null);
      await waitFor(async () => (await events()).some(([, path]) => path === `${root}/one`), 15_000, 'the browser to see /one');

      const victim = ensemble.members.find((member) => started.server === `ws://127.0.0.1:${member.httpPort}/v1/ws`)!;
      expect(victim, `the server the page is on (${started.server})`).toBeDefined();
      await victim.process!.stop('SIGKILL');
      await waitFor(async () => (await page.evaluate(() => (window as any).log.states)).includes('RECONNECTED'), 30_000, 'the page to reconnect');
      const after = await page.evaluate(() => (window as any).where());
      expect(after).toMatchObject({ session: started.session, state: 'RECONNECTED' });
      expect(after.server).not.toBe(started.server);
      expect(await page.evaluate(() => (window as any).log.states)).toEqual(['SUSPENDED', 'RECONNECTED']);

      const outside = new CairnUnaryClient(ensemble.members.find((member) => member !== victim)!.grpcAddress, { timeoutMs: 15_000 });
      try {
        expect((await outside.exists(`${root}/from-browser`))?.ephemeralOwner).toBe(started.session);
        await outside.create(`${root}/two`, null);
        await waitFor(async () => (await events()).some(([, path]) => path === `${root}/two`), 15_000, 'the browser to see /two after reconnecting');
      } finally {
        outside.close();
      }
      expect(await page.evaluate(() => (window as any).log.errors)).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      unary.close();
    }
  });
});
