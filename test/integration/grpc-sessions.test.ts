// Sessions through gRPC against a real server process with short timeouts (tickTime=200, so
// sessions may be as short as 400 ms): ephemerals on close and on expiry, resuming a session on
// a new stream, setWatches after a resume, and the refusals of a wrong password or an expired
// session.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEnd } from '../../src/client/session.js';
import { CairnClient } from '../../src/client/session.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { CreateMode, EventType } from '../../src/core/types.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { connect, EventLog, expectKeeperError, uniquePath } from './grpc-helpers.js';

let server: ServerProcess;
let observer: CairnClient;
let log: EventLog;
const extraClients: CairnClient[] = [];

beforeAll(async () => {
  server = await startServerProcess({ config: { tickTime: 200 } });
  observer = await connect(server.grpcAddress);
  log = new EventLog(observer);
});

afterAll(async () => {
  for (const client of extraClients) client.detach();
  await observer?.close().catch(() => undefined);
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

async function session(timeoutMs: number, extra: Partial<Parameters<typeof connect>[1]> = {}): Promise<CairnClient> {
  const client = await connect(server.grpcAddress, { timeoutMs, ...extra });
  extraClients.push(client);
  return client;
}

function endOf(client: CairnClient): Promise<SessionEnd> {
  return new Promise((resolve) => {
    if (client.ended !== undefined) resolve(client.ended);
    else client.once('end', resolve);
  });
}

describe('ephemeral nodes', () => {
  it('belong to their session and are deleted when it closes; watchers see NodeDeleted', async () => {
    const owner = await session(4_000);
    const base = uniquePath('eph');
    await observer.create(base, null);
    const created = await owner.create(`${base}/e`, 'mine', { mode: CreateMode.EPHEMERAL });
    expect(created.stat.ephemeralOwner).toBe(owner.sessionId);
    const seq = await owner.create(`${base}/s-`, null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL });
    expect(seq.path).toBe(`${base}/s-0000000001`);
    expect((await observer.exists(seq.path))!.ephemeralOwner).toBe(owner.sessionId);

    const from = log.events.length;
    expect(await observer.exists(`${base}/e`, { watch: true })).not.toBeNull();
    await observer.getChildren(base, { watch: true });
    const ended = endOf(owner);
    await owner.close();
    expect(await ended).toEqual({ kind: 'closed', reason: 'closed' });

    await log.waitFor((event) => event.path === `${base}/e`, 'NodeDeleted of the ephemeral', 15_000, from);
    await log.waitFor((event) => event.path === base, 'NodeChildrenChanged of the parent', 15_000, from);
    expect(log.events.slice(from).map((event) => [event.type, event.path])).toEqual([
      [EventType.NodeDeleted, `${base}/e`],
      [EventType.NodeChildrenChanged, base],
    ]);
    expect(await observer.exists(`${base}/e`)).toBeNull();
    expect(await observer.exists(seq.path)).toBeNull();
    // A closed session cannot be used any more.
    await expectKeeperError(owner.getData(base), -112);
  });

  it('are deleted when the client vanishes without closing and the session expires', async () => {
    const owner = await session(400);
    expect(owner.timeoutMs).toBe(400);
    const path = uniquePath('vanish');
    const beforeLastRequest = Date.now();
    await owner.create(path, null, { mode: CreateMode.EPHEMERAL });
    const from = log.events.length;
    expect(await observer.getData(path, { watch: true })).toBeDefined();

    owner.destroy();
    const deleted = await log.waitFor((event) => event.path === path, 'NodeDeleted after expiry', 20_000, from);
    expect(deleted.type).toBe(EventType.NodeDeleted);
    // Not before the session timeout after the session was last heard: the expiry, not the
    // dropped stream, removed it.
    expect(Date.now() - beforeLastRequest).toBeGreaterThanOrEqual(390);
    expect(await observer.exists(path)).toBeNull();
  });

  it('survive a dropped stream for as long as the session lives', async () => {
    const owner = await session(4_000);
    const path = uniquePath('survive');
    await owner.create(path, null, { mode: CreateMode.EPHEMERAL });
    owner.detach();
    // Well within the 4 s timeout: still there. (The expiry case is covered above.)
    const stat = await observer.exists(path);
    expect(stat?.ephemeralOwner).toBe(owner.sessionId);
  });

  it('cannot have children (NoChildrenForEphemerals, -108)', async () => {
    const owner = await session(4_000);
    const path = uniquePath('nokids');
    await owner.create(path, null, { mode: CreateMode.EPHEMERAL });
    await expectKeeperError(owner.create(`${path}/child`, null), -108);
    await expectKeeperError(observer.create(`${path}/child`, null, { mode: CreateMode.EPHEMERAL }), -108);
    expect((await observer.exists(path))!.numChildren).toBe(0);
    await owner.close();
  });

  it('cannot be created without a session (unary Create answers BadArguments)', async () => {
    const unary = new CairnUnaryClient(server.grpcAddress, { timeoutMs: 15_000 });
    try {
      const path = uniquePath('unaryeph');
      await expectKeeperError(unary.create(path, null, { mode: CreateMode.EPHEMERAL }), -8);
      await expectKeeperError(unary.create(path, null, { mode: CreateMode.EPHEMERAL_SEQUENTIAL }), -8);
      expect(await unary.exists(path)).toBeNull();
    } finally {
      unary.close();
    }
  });

  it('are listed by getEphemerals for their own session only, under a prefix', async () => {
    const owner = await session(4_000);
    const other = await session(4_000);
    const base = uniquePath('list');
    await observer.create(base, null);
    await observer.create(`${base}/sub`, null);
    await owner.create(`${base}/a`, null, { mode: CreateMode.EPHEMERAL });
    await owner.create(`${base}/sub/b`, null, { mode: CreateMode.EPHEMERAL });
    await owner.create(`${base}-outside`, null, { mode: CreateMode.EPHEMERAL });
    await other.create(`${base}/theirs`, null, { mode: CreateMode.EPHEMERAL });

    expect(await owner.getEphemerals(base)).toEqual([`${base}-outside`, `${base}/a`, `${base}/sub/b`]);
    // A plain string prefix, as in ZooKeeper; the prefix must itself be a valid path.
    await expectKeeperError(owner.getEphemerals(`${base}/`), -8);
    expect((await owner.getEphemerals(`${base}/sub`)).sort()).toEqual([`${base}/sub/b`]);
    const all = await owner.getEphemerals('/');
    expect(all).toEqual(expect.arrayContaining([`${base}/a`, `${base}/sub/b`, `${base}-outside`]));
    expect(all).not.toContain(`${base}/theirs`);
    expect(await other.getEphemerals(base)).toEqual([`${base}/theirs`]);
    expect(await observer.getEphemerals('/')).toEqual([]);
    await owner.close();
    await other.close();
  });
});

describe('resuming a session on a new stream', () => {
  it('keeps the session and its ephemerals, and ends the old stream as moved', async () => {
    const first = await session(4_000);
    const path = uniquePath('resume');
    await first.create(path, null, { mode: CreateMode.EPHEMERAL });

    // Resume while the first stream is still attached: it is told the session moved.
    const firstEnded = endOf(first);
    const second = await session(4_000, { sessionId: first.sessionId, password: first.password, lastZxidSeen: first.lastZxid });
    expect(second.sessionId).toBe(first.sessionId);
    expect(await firstEnded).toEqual({ kind: 'closed', reason: 'moved' });
    expect((await second.exists(path))!.ephemeralOwner).toBe(first.sessionId);
    expect(await second.getEphemerals('/')).toEqual([path]);

    // Detach, resume once more: still the same session.
    second.detach();
    const third = await session(4_000, { sessionId: first.sessionId, password: first.password });
    expect(third.sessionId).toBe(first.sessionId);
    expect(await observer.exists(path)).not.toBeNull();
    await third.setData(path, 'still mine');
    await third.close();
    expect(await observer.exists(path)).toBeNull();
  });

  it('setWatches with the last zxid seen delivers what changed while detached, and re-arms the rest', async () => {
    const base = uniquePath('setwatches');
    await observer.create(base, null);
    await observer.create(`${base}/changed`, 'v0');
    await observer.create(`${base}/same`, 'v0');
    await observer.create(`${base}/parent`, null);
    const first = await session(4_000);
    await first.getData(`${base}/changed`, { watch: true });
    await first.getData(`${base}/same`, { watch: true });
    expect(await first.exists(`${base}/born`, { watch: true })).toBeNull();
    await first.getChildren(`${base}/parent`, { watch: true });
    const lastSeen = first.lastZxid;
    first.detach();

    // Changes made while nobody listens.
    await observer.setData(`${base}/changed`, 'v1');
    await observer.create(`${base}/born`, null);
    await observer.create(`${base}/parent/kid`, null);

    const resumed = await session(4_000, { sessionId: first.sessionId, password: first.password, lastZxidSeen: lastSeen });
    const events = new EventLog(resumed);
    await resumed.setWatches({
      relativeZxid: lastSeen,
      dataWatches: [`${base}/changed`, `${base}/same`],
      existWatches: [`${base}/born`],
      childWatches: [`${base}/parent`],
    });
    await events.waitFor((event) => event.path === `${base}/parent`, 'the missed child change');
    const missed = events.events.map((event) => [event.type, event.path]).sort();
    expect(missed).toEqual(
      [
        [EventType.NodeDataChanged, `${base}/changed`],
        [EventType.NodeCreated, `${base}/born`],
        [EventType.NodeChildrenChanged, `${base}/parent`],
      ].sort(),
    );
    // The unchanged node's watch is armed again and fires on the next change.
    await observer.setData(`${base}/same`, 'v1');
    const later = await events.waitFor((event) => event.path === `${base}/same`, 'the re-armed data watch');
    expect(later.type).toBe(EventType.NodeDataChanged);
    await resumed.close();
  });

  it('refuses a wrong password with SessionExpired (-112), leaving the session alive', async () => {
    const owner = await session(4_000);
    const path = uniquePath('password');
    await owner.create(path, null, { mode: CreateMode.EPHEMERAL });
    const wrong = new Uint8Array(owner.password);
    wrong[0] = wrong[0]! ^ 0xff;
    await expectKeeperError(CairnClient.connect(server.grpcAddress, { timeoutMs: 4_000, sessionId: owner.sessionId, password: wrong }), -112);
    await expectKeeperError(CairnClient.connect(server.grpcAddress, { timeoutMs: 4_000, sessionId: owner.sessionId, password: new Uint8Array(0) }), -112);
    // The owner was not disturbed.
    expect(owner.ended).toBeUndefined();
    await owner.setData(path, 'fine');
    expect(await observer.exists(path)).not.toBeNull();
    await owner.close();
  });

  it('refuses to resume an expired session with SessionExpired (-112)', async () => {
    const owner = await session(400);
    const path = uniquePath('expired');
    await owner.create(path, null, { mode: CreateMode.EPHEMERAL });
    const from = log.events.length;
    await observer.exists(path, { watch: true });
    const { sessionId, password } = owner;
    owner.detach();
    await log.waitFor((event) => event.path === path && event.type === EventType.NodeDeleted, 'the expiry', 20_000, from);
    await expectKeeperError(CairnClient.connect(server.grpcAddress, { timeoutMs: 4_000, sessionId, password }), -112);
    // An unknown session id as well.
    await expectKeeperError(CairnClient.connect(server.grpcAddress, { timeoutMs: 4_000, sessionId: 12_345, password }), -112);
  });

  it('negotiates the timeout into [2, 20] × tickTime', async () => {
    const short = await session(50);
    const long = await session(600_000);
    expect([short.timeoutMs, long.timeoutMs]).toEqual([400, 4_000]);
    await short.close();
    await long.close();
  });
});
