// Watch streams over HTTP on a real server: SSE with Last-Event-ID resume and resync, the
// WebSocket session channel (ephemerals outlive a dead socket until the session expires), and
// slow SSE and WebSocket clients cut off without holding up anyone else.

import { connect as netConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { call, jsonBody, SseReader, uniqueName, WsSession } from './http-helpers.js';

let server: ServerProcess;
let base: string;
let wsUrl: string;

const HISTORY_EVENTS = 50;

/**
 * How long the slow-client test may take on a busy machine. No timer may end its slow clients
 * first (a missed pong, the session timeout), nor destroy them before they have read why they
 * were cut (the close grace).
 */
const SLOW_CLIENT_TEST_MS = 240_000;

beforeAll(async () => {
  server = await startServerProcess({
    // maxSessionTimeout: the default, 20 ticks, is 4 s here, less than filling a paused client's
    // socket buffers can take on a busy machine; the slow WebSocket client asks for longer.
    // mntr: /metrics, which the slow-client tests read, is gated by it.
    config: { tickTime: 200, minSessionTimeout: 400, maxSessionTimeout: 2 * SLOW_CLIENT_TEST_MS, '4lw.commands.whitelist': 'mntr' },
    env: {
      CAIRN_HTTP_HISTORY_EVENTS: String(HISTORY_EVENTS),
      CAIRN_HTTP_SSE_MAX_BUFFERED_BYTES: String(64 * 1024),
      CAIRN_HTTP_WS_HIGH_WATER_BYTES: String(64 * 1024),
      CAIRN_HTTP_WS_MAX_QUEUED_BYTES: String(256 * 1024),
      // Longer than the slow-client test: its paused client is cut for not reading, not for missing a pong.
      CAIRN_HTTP_WS_PING_INTERVAL_MS: String(2 * SLOW_CLIENT_TEST_MS),
      // A cut client that takes nothing for this long is destroyed. How long the slow clients below
      // take to notice their cut and start reading depends on the machine's load, not on them.
      CAIRN_HTTP_CLOSE_GRACE_MS: String(2 * SLOW_CLIENT_TEST_MS),
    },
  });
  base = `http://127.0.0.1:${server.httpPort}`;
  wsUrl = `ws://127.0.0.1:${server.httpPort}/v1/ws`;
});

afterAll(async () => {
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
});

const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

describe('SSE watch streams', () => {
  it('resumes with Last-Event-ID without losing events, and asks for a resync past the history', async () => {
    const root = `/${uniqueName('sse')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const first = new SseReader(`${base}/v1/watch${root}?recursive=true`);
    const children = new SseReader(`${base}/v1/watch${root}`);
    await first.waitFor((event) => event.event === 'ready', 'ready');
    await children.waitFor((event) => event.event === 'ready', 'ready');
    await call(base, 'POST', `/v1/znodes${root}/a`);
    await first.waitFor((event) => event.data.path === `${root}/a`, 'NodeCreated a');
    await children.waitFor((event) => event.event === 'NodeChildrenChanged', 'NodeChildrenChanged');
    const lastSeen = first.lastEventId!;
    const lastSeenChildren = children.lastEventId!;
    first.close();
    children.close();

    // Missed while disconnected.
    await call(base, 'POST', `/v1/znodes${root}/b`);
    await call(base, 'PUT', `/v1/znodes${root}/a`, { body: 'changed' });
    await call(base, 'DELETE', `/v1/znodes${root}/b`);

    const resumed = new SseReader(`${base}/v1/watch${root}?recursive=true`, { 'Last-Event-ID': lastSeen });
    await resumed.waitFor((event) => event.event === 'NodeDeleted', 'the replayed NodeDeleted');
    expect(resumed.events.map((event) => [event.event, event.data.path])).toEqual([
      ['NodeCreated', `${root}/b`],
      ['NodeDataChanged', `${root}/a`],
      ['NodeDeleted', `${root}/b`],
    ]);
    const resumedChildren = new SseReader(`${base}/v1/watch${root}`, { 'Last-Event-ID': lastSeenChildren });
    await waitFor(() => resumedChildren.events.length >= 2, 10_000, 'replayed child events');
    expect(resumedChildren.events.map((event) => event.event)).toEqual(['NodeChildrenChanged', 'NodeChildrenChanged']);

    // Live events follow the replay on the same stream, ids strictly increasing.
    await call(base, 'POST', `/v1/znodes${root}/c`);
    await resumed.waitFor((event) => event.data.path === `${root}/c`, 'live NodeCreated c');
    const ids = resumed.events.map((event) => Number(event.id));
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    const beforeFlood = resumed.lastEventId!;
    resumed.close();
    resumedChildren.close();

    // More changes than the history holds, in one transaction: the old id cannot be served.
    const ops = Array.from({ length: HISTORY_EVENTS + 5 }, (_, index) => ({ op: 'create', path: `${root}/flood-${index}` }));
    expect((await call(base, 'POST', '/v1/txn', jsonBody({ ops }))).status).toBe(200);
    const stale = new SseReader(`${base}/v1/watch${root}?recursive=true`, { 'Last-Event-ID': beforeFlood });
    const resync = await stale.waitFor((event) => event.event === 'resync', 'resync');
    expect(stale.events[0]!.event).toBe('resync');
    expect(Number(resync.id)).toBeGreaterThan(Number(beforeFlood));
    stale.close();
  });

  it('a resume brings the missed events on nodes the subscriber may read, world-readable or not, and none of the others', async () => {
    const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:secret`).toString('base64')}` });
    const root = `/${uniqueName('sse-acl')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const alice = new SseReader(`${base}/v1/watch${root}?recursive=true`, basic('alice'));
    await alice.waitFor((event) => event.event === 'ready', 'ready');
    await call(base, 'POST', `/v1/znodes${root}/open`);
    await alice.waitFor((event) => event.data.path === `${root}/open`, 'NodeCreated open');
    const lastSeen = alice.lastEventId!;
    alice.close();

    // Missed: a node only alice may read, one only bob may read.
    expect((await call(base, 'POST', `/v1/znodes${root}/alice?acl=auth::cdrwa`, { headers: basic('alice') })).status).toBe(201);
    expect((await call(base, 'PUT', `/v1/znodes${root}/alice`, { body: 'changed', headers: basic('alice') })).status).toBe(200);
    expect((await call(base, 'POST', `/v1/znodes${root}/bob?acl=auth::cdrwa`, { headers: basic('bob') })).status).toBe(201);
    expect((await call(base, 'DELETE', `/v1/znodes${root}/open`)).status).toBe(204);

    const resumed = new SseReader(`${base}/v1/watch${root}?recursive=true`, { ...basic('alice'), 'Last-Event-ID': lastSeen });
    await resumed.waitFor((event) => event.event === 'NodeDeleted', 'the replayed NodeDeleted');
    expect(resumed.events.map((event) => [event.event, event.data.path])).toEqual([
      ['NodeCreated', `${root}/alice`],
      ['NodeDataChanged', `${root}/alice`],
      ['NodeDeleted', `${root}/open`],
    ]);
    resumed.close();
  });

  it('refuses a watch the ACL does not allow', async () => {
    const name = `/${uniqueName('hidden')}`;
    await call(base, 'POST', `/v1/znodes${name}?acl=world:anyone:w`);
    const refused = await call(base, 'GET', `/v1/watch${name}`);
    expect(refused.status).toBe(403);
    expect(refused.json.name).toBe('NoAuth');
  });
});

describe('WebSocket session channel', () => {
  it('runs a session: requests by xid, watch events, ping, and ephemerals that outlive a dead socket until expiry', async () => {
    const root = `/${uniqueName('ws')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const session = await WsSession.open(wsUrl);
    const connected = await session.connect(1000);
    expect(Number(connected.sessionId)).toBeGreaterThan(0);
    expect(connected.timeoutMs).toBe(1000);

    const created = await session.request({ create: { path: `${root}/mine`, data: Buffer.from('hi').toString('base64'), acl: OPEN_ACL, mode: 'CREATE_MODE_EPHEMERAL' } });
    expect(created.create.path).toBe(`${root}/mine`);
    expect(created.create.stat.ephemeralOwner).toBe(connected.sessionId);
    const watch = await session.request({ addWatch: { path: root, mode: 'ADD_WATCH_MODE_PERSISTENT_RECURSIVE' } });
    expect(watch.addWatch).toEqual({});
    const failed = await session.request({ getData: { path: `${root}/none` } });
    expect(failed.error).toMatchObject({ code: -101, name: 'NoNode', path: `${root}/none` });

    await call(base, 'POST', `/v1/znodes${root}/from-rest`, { body: 'x' });
    await waitFor(() => session.events.some((event) => event.path === `${root}/from-rest`), 10_000, 'the event of a REST write');
    expect(session.events.find((event) => event.path === `${root}/from-rest`)).toMatchObject({ type: 'EVENT_TYPE_NODE_CREATED', state: 'KEEPER_STATE_SYNC_CONNECTED' });

    session.send({ ping: { id: '7' } });
    await waitFor(() => session.messages.some((message) => message.pong?.id === '7'), 5000, 'pong');

    // The socket dies without a close: the session lives on (detached) until it expires.
    session.socket.terminate();
    expect((await call(base, 'GET', `/v1/znodes${root}/mine`)).status).toBe(200);
    await waitFor(async () => (await call(base, 'GET', `/v1/znodes${root}/mine`)).status === 404, 10_000, 'the session to expire');
  });

  it('closes a silent socket and leaves its session to expire', async () => {
    const root = `/${uniqueName('silent')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const session = await WsSession.open(wsUrl);
    await session.connect(600);
    await session.request({ create: { path: `${root}/e`, acl: OPEN_ACL, mode: 'CREATE_MODE_EPHEMERAL' } });
    await waitFor(() => session.closeCode !== undefined, 10_000, 'the server to close the silent socket');
    expect(session.closeCode).toBe(4004);
    expect(session.closeReason).toMatch(/no message for the session timeout/);
    await waitFor(async () => (await call(base, 'GET', `/v1/znodes${root}/e`)).status === 404, 10_000, 'the session to expire');
  });

  it('closes the session on request: ephemerals go at once', async () => {
    const root = `/${uniqueName('wsclose')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const session = await WsSession.open(wsUrl);
    await session.connect(10_000);
    await session.request({ create: { path: `${root}/e`, acl: OPEN_ACL, mode: 'CREATE_MODE_EPHEMERAL' } });
    session.send({ close: {} });
    await waitFor(() => session.messages.some((message) => message.closed !== undefined), 10_000, 'closed');
    expect(session.messages.find((message) => message.closed !== undefined).closed.reason).toBe('CLOSE_REASON_CLOSED');
    expect((await call(base, 'GET', `/v1/znodes${root}/e`)).status).toBe(404);
  });
});

describe('slow clients', () => {
  it('cuts SSE and WebSocket clients that do not read, while a reading client keeps up', async () => {
    const root = `/${uniqueName('slow')}`;
    await call(base, 'POST', `/v1/znodes${root}`);
    const fast = new SseReader(`${base}/v1/watch${root}?recursive=true`);
    await fast.waitFor((event) => event.event === 'ready', 'ready');

    // A raw SSE client that does not read its socket until it is cut.
    const slowSse: Socket = netConnect(server.httpPort, '127.0.0.1');
    const slowSseData: Buffer[] = [];
    slowSse.on('data', (chunk) => slowSseData.push(chunk));
    slowSse.write(`GET /v1/watch${root}?recursive=true HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await waitFor(() => Buffer.concat(slowSseData).includes('event: ready'), 10_000, 'slow SSE ready');
    slowSse.pause();

    // A WebSocket client that sends nothing more and does not read until it is cut. Its session
    // timeout is longer than this test: it is cut for not reading, never closed for silence.
    const slowWs = await WsSession.open(wsUrl);
    const slowConnected = await slowWs.connect(2 * SLOW_CLIENT_TEST_MS);
    expect(slowConnected.timeoutMs).toBe(2 * SLOW_CLIENT_TEST_MS);
    await slowWs.request({ addWatch: { path: root, mode: 'ADD_WATCH_MODE_PERSISTENT_RECURSIVE' } });
    slowWs.socket.pause();

    const cutCounts = async () => {
      const text = (await call(base, 'GET', '/metrics')).text;
      const count = (kind: string) => Number(new RegExp(`cairn_http_slow_clients_cut_total\\{kind="${kind}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      return { sse: count('sse'), websocket: count('websocket') };
    };
    // Events until both are cut. How much a paused client's socket buffers absorb first depends on
    // the kernel (loopback buffers grow to megabytes): the flood is bounded by time, not by size.
    const longName = 'n'.repeat(900);
    let created = 0;
    const deadline = Date.now() + SLOW_CLIENT_TEST_MS / 2;
    let cut = await cutCounts();
    for (let batch = 0; (cut.sse < 1 || cut.websocket < 1) && Date.now() < deadline; batch++) {
      const ops = Array.from({ length: 50 }, (_, index) => ({ op: 'create', path: `${root}/${longName}-${batch}-${index}` }));
      expect((await call(base, 'POST', '/v1/txn', jsonBody({ ops }))).status).toBe(200);
      created += ops.length;
      cut = await cutCounts();
      // A cut client's last message says why: each slow client reads again once its cut shows.
      if (cut.sse >= 1) slowSse.resume();
      if (cut.websocket >= 1) slowWs.socket.resume();
    }
    const slowLogs = server.logs.filter((entry) => /client cut|session stream cut|session expired/.test(String(entry.msg)));
    expect(cut, `after ${created} events; ${JSON.stringify(slowLogs)}`).toMatchObject({ sse: 1, websocket: 1 });

    // The reading client got every event: nobody waited for the two that never read.
    const marker = `${root}/marker`;
    await call(base, 'POST', `/v1/znodes${marker}`);
    await fast.waitFor((event) => event.data.path === marker, 'the marker event', 60_000);
    expect(fast.events.filter((event) => event.event === 'NodeCreated').length).toBe(created + 1);
    fast.close();

    // Reading again, the slow clients learn why they were cut.
    await waitFor(() => Buffer.concat(slowSseData).includes('event: overflow'), 30_000, 'the overflow event');
    slowSse.destroy();
    await waitFor(() => slowWs.closeCode !== undefined, 30_000, 'the slow WebSocket to be closed');
    expect(slowWs.closeCode).toBe(1008);
    expect(slowWs.closeReason).toMatch(/client too slow/);
  }, SLOW_CLIENT_TEST_MS);
});
