// Watches through gRPC against a real server process: one-shot and persistent watches on the
// session stream, removeWatches/checkWatches, the event-before-data guarantee, and the
// session-less Watch stream.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnClient } from '../../src/client/session.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { AddWatchMode, EventType, KeeperState, WatcherType, type WatchEvent } from '../../src/core/types.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { connect, EventLog, expectKeeperError, RawSession, uniquePath } from './grpc-helpers.js';

let server: ServerProcess;
let watcher: CairnClient;
let writer: CairnClient;
let log: EventLog;
let unary: CairnUnaryClient;

beforeAll(async () => {
  server = await startServerProcess();
  watcher = await connect(server.grpcAddress);
  writer = await connect(server.grpcAddress);
  log = new EventLog(watcher);
  unary = new CairnUnaryClient(server.grpcAddress, { timeoutMs: 15_000 });
});

afterAll(async () => {
  await watcher?.close().catch(() => undefined);
  await writer?.close().catch(() => undefined);
  unary?.close();
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

const typeName = (type: number): string => Object.entries(EventType).find(([, value]) => value === type)?.[0] ?? String(type);
const summary = (events: WatchEvent[]): string[] => events.map((event) => `${typeName(event.type)} ${event.path}`);

/**
 * Proves that no further event is pending for the watcher: arms a one-shot exists watch on a
 * fresh marker, creates it, and waits for its NodeCreated. Events on a session stream arrive in
 * zxid order, so anything fired before the marker arrives before it. Returns the events that
 * arrived from `from` up to (not including) the marker's.
 */
async function eventsUntilMarker(from: number): Promise<WatchEvent[]> {
  const marker = uniquePath('marker');
  expect(await watcher.exists(marker, { watch: true })).toBeNull();
  await writer.create(marker, null);
  await log.waitFor((event) => event.path === marker, `NodeCreated of ${marker}`, 15_000, from);
  const since = log.events.slice(from);
  const index = since.findIndex((event) => event.path === marker);
  expect(since[index]).toMatchObject({ type: EventType.NodeCreated, state: KeeperState.SyncConnected });
  return since.slice(0, index);
}

describe('one-shot watches on the session stream', () => {
  it('a data watch fires NodeDataChanged once, with the zxid of the change', async () => {
    const path = uniquePath('data');
    await writer.create(path, 'a');
    const from = log.events.length;
    await watcher.getData(path, { watch: true });
    const stat = await writer.setData(path, 'b');
    await writer.setData(path, 'c'); // the watch is used up: no second event
    const events = await eventsUntilMarker(from);
    expect(summary(events)).toEqual([`NodeDataChanged ${path}`]);
    expect(events[0]!.zxid).toBe(stat.mzxid);
  });

  it('a data watch fires NodeDeleted (and nothing else) when the node goes', async () => {
    const path = uniquePath('datadel');
    await writer.create(path, 'a');
    const from = log.events.length;
    await watcher.getData(path, { watch: true });
    await writer.delete(path);
    await writer.create(path, 'again');
    await writer.delete(path);
    expect(summary(await eventsUntilMarker(from))).toEqual([`NodeDeleted ${path}`]);
  });

  it('an exists watch on a missing node fires NodeCreated once', async () => {
    const path = uniquePath('exists');
    const from = log.events.length;
    expect(await watcher.exists(path, { watch: true })).toBeNull();
    await writer.create(path, null);
    await writer.setData(path, 'x');
    expect(summary(await eventsUntilMarker(from))).toEqual([`NodeCreated ${path}`]);
  });

  it('an exists watch on an existing node fires on data change', async () => {
    const path = uniquePath('existsdata');
    await writer.create(path, null);
    const from = log.events.length;
    expect(await watcher.exists(path, { watch: true })).not.toBeNull();
    await writer.setData(path, 'x');
    await writer.delete(path);
    expect(summary(await eventsUntilMarker(from))).toEqual([`NodeDataChanged ${path}`]);
  });

  it('a child watch fires NodeChildrenChanged on create and, set again, on delete; not on data changes', async () => {
    const path = uniquePath('children');
    await writer.create(path, null);
    let from = log.events.length;
    await watcher.getChildren(path, { watch: true });
    await writer.setData(path, 'data changes do not fire child watches');
    await writer.setData(`${path}`, 'again');
    await writer.create(`${path}/kid`, null);
    await writer.create(`${path}/kid2`, null);
    expect(summary(await eventsUntilMarker(from))).toEqual([`NodeChildrenChanged ${path}`]);

    from = log.events.length;
    expect((await watcher.getChildren(path, { watch: true })).children.sort()).toEqual(['kid', 'kid2']);
    await writer.setData(`${path}/kid`, 'grandchild data does not count');
    await writer.delete(`${path}/kid`);
    await writer.delete(`${path}/kid2`);
    expect(summary(await eventsUntilMarker(from))).toEqual([`NodeChildrenChanged ${path}`]);
  });

  it('a data and a child watch of one session on a deleted node give one NodeDeleted, and both are used up', async () => {
    const path = uniquePath('both');
    await writer.create(path, null);
    const from = log.events.length;
    await watcher.getData(path, { watch: true });
    await watcher.getChildren(path, { watch: true });
    await writer.delete(path);
    await writer.create(path, null);
    await writer.create(`${path}/kid`, null);
    // ZooKeeper's DataTree passes the watchers already notified to the child watches, so a
    // session holding both hears of the delete once.
    expect(summary(await eventsUntilMarker(from))).toEqual([`NodeDeleted ${path}`]);
    await expectKeeperError(watcher.checkWatches(path, WatcherType.ANY), -121);
  });
});

describe('persistent watches', () => {
  it('a persistent watch keeps firing for the node and its children list, not for grandchildren', async () => {
    const path = uniquePath('persistent');
    await writer.create(path, 'a');
    const from = log.events.length;
    await watcher.addWatch(path, AddWatchMode.PERSISTENT);
    await writer.setData(path, 'b');
    await writer.setData(path, 'c');
    await writer.create(`${path}/kid`, null);
    await writer.create(`${path}/kid/grand`, null);
    await writer.setData(`${path}/kid`, 'x');
    await writer.delete(`${path}/kid/grand`);
    await writer.delete(`${path}/kid`);
    await writer.delete(path);
    await writer.create(path, null);
    expect(summary(await eventsUntilMarker(from))).toEqual([
      `NodeDataChanged ${path}`,
      `NodeDataChanged ${path}`,
      `NodeChildrenChanged ${path}`,
      `NodeChildrenChanged ${path}`,
      `NodeDeleted ${path}`,
      `NodeCreated ${path}`,
    ]);
    await watcher.checkWatches(path, WatcherType.PERSISTENT);
    await watcher.removeWatches(path, WatcherType.PERSISTENT);
  });

  it('a persistent recursive watch fires for every descendant and never NodeChildrenChanged', async () => {
    const path = uniquePath('recursive');
    await writer.create(path, null);
    const from = log.events.length;
    await watcher.addWatch(path, AddWatchMode.PERSISTENT_RECURSIVE);
    await writer.create(`${path}/a`, null);
    await writer.create(`${path}/a/b`, null);
    await writer.setData(`${path}/a/b`, 'x');
    await writer.setData(`${path}/a/b`, 'y');
    await writer.delete(`${path}/a/b`);
    await writer.setData(path, 'top');
    await writer.create(`${path}-sibling`, null); // not under the watched path
    expect(summary(await eventsUntilMarker(from))).toEqual([
      `NodeCreated ${path}/a`,
      `NodeCreated ${path}/a/b`,
      `NodeDataChanged ${path}/a/b`,
      `NodeDataChanged ${path}/a/b`,
      `NodeDeleted ${path}/a/b`,
      `NodeDataChanged ${path}`,
    ]);
    await watcher.removeWatches(path, WatcherType.PERSISTENT_RECURSIVE);
  });
});

describe('checkWatches and removeWatches', () => {
  it('answers NoWatcher (-121) when there is no such watch', async () => {
    const path = uniquePath('nowatch');
    await writer.create(path, null);
    await expectKeeperError(watcher.checkWatches(path, WatcherType.DATA), -121);
    await expectKeeperError(watcher.checkWatches(path, WatcherType.ANY), -121);
    await expectKeeperError(watcher.removeWatches(path, WatcherType.CHILDREN), -121);
    // Another session's watch is not this session's.
    await writer.getData(path, { watch: true });
    await expectKeeperError(watcher.checkWatches(path, WatcherType.DATA), -121);
  });

  it('removes a data watch: it no longer fires, and checkWatches then answers NoWatcher', async () => {
    const path = uniquePath('remove');
    await writer.create(path, null);
    const from = log.events.length;
    await watcher.getData(path, { watch: true });
    await watcher.getChildren(path, { watch: true });
    await watcher.checkWatches(path, WatcherType.DATA);
    await watcher.checkWatches(path, WatcherType.CHILDREN);
    await watcher.checkWatches(path, WatcherType.ANY);
    await watcher.removeWatches(path, WatcherType.DATA);
    await expectKeeperError(watcher.checkWatches(path, WatcherType.DATA), -121);
    await watcher.checkWatches(path, WatcherType.CHILDREN);
    await writer.setData(path, 'no event for this');
    await writer.create(`${path}/kid`, null);
    const events = await eventsUntilMarker(from);
    // The removal is announced (DataWatchRemoved), the child watch still fires, the data watch not.
    expect(summary(events)).toEqual([`DataWatchRemoved ${path}`, `NodeChildrenChanged ${path}`]);
    await expectKeeperError(watcher.removeWatches(path, WatcherType.DATA), -121);
  });
});

describe('event-before-data ordering', () => {
  it('a watcher always receives the event before any read response that shows the change', async () => {
    const path = uniquePath('order');
    const noise = uniquePath('noise');
    await writer.create(path, '0');
    await writer.create(noise, null);
    const reader = new RawSession(server.grpcAddress);
    try {
      await reader.connect();
      const rounds = 200;
      const writes: Promise<unknown>[] = [];
      for (let round = 1; round <= rounds; round++) {
        // Arm a one-shot data watch and learn the version it watches.
        const armed = await reader.response(reader.send({ getData: { path, watch: true } }));
        expect(armed.response.error ?? null).toBeNull();
        const watchedVersion = armed.response.getData!.stat!.version;
        expect(watchedVersion).toBe(round - 1);
        // The writer pipelines: the change plus unrelated writes, none awaited here.
        writes.push(writer.setData(path, String(round)));
        for (let i = 0; i < 3; i++) writes.push(writer.setData(noise, `${round}.${i}`));
        // The reader pipelines reads until one shows the new version.
        let shown: number | undefined;
        for (let attempt = 0; shown === undefined; attempt++) {
          if (attempt > 2_000) throw new Error(`round ${round}: the change never became visible`);
          const xids = [0, 1, 2].map(() => reader.send({ getData: { path, watch: false } }));
          for (const xid of xids) {
            const { index, response } = await reader.response(xid);
            if (shown === undefined && response.getData!.stat!.version > watchedVersion) shown = index;
          }
        }
        const eventIndex = reader.messages.findIndex(
          (message, index) => index > armed.index && message.kind === 'event' && message.event!.path === path,
        );
        expect(eventIndex, `round ${round}: no event before the response showing the change`).toBeGreaterThan(armed.index);
        expect(eventIndex, `round ${round}: the event came after the response showing the change`).toBeLessThan(shown);
        expect(reader.messages[eventIndex]!.event!.type).toBe(EventType.NodeDataChanged);
      }
      await Promise.all(writes);
      // Exactly one event per round: one-shot watches, each armed once.
      await waitFor(
        () => reader.messages.filter((message) => message.kind === 'event').length >= rounds,
        15_000,
        'all events',
      );
      const events = reader.messages.filter((message) => message.kind === 'event');
      expect(events.length).toBe(rounds);
      expect(events.every((message) => message.event!.path === path && message.event!.type === EventType.NodeDataChanged)).toBe(true);
    } finally {
      reader.close();
    }
  });
});

describe('the session-less Watch stream', () => {
  it('streams the events of a subtree with recursive=true, and ends cleanly on cancel', async () => {
    const path = uniquePath('feed');
    await unary.create(path, null);
    const subscription = unary.watch(path, { recursive: true });
    const startZxid = await subscription.ready;
    expect(startZxid).toBeGreaterThan(0);
    const received: WatchEvent[] = [];
    const reading = (async () => {
      for await (const event of subscription) received.push(event);
    })();

    await unary.create(`${path}/a`, null);
    await unary.create(`${path}/a/b`, 'x');
    await unary.set(`${path}/a/b`, 'y');
    await unary.delete(`${path}/a/b`);
    await unary.set(path, 'top');
    await unary.create(`${path}x`, null); // a sibling with the same prefix is not in the subtree
    await waitFor(() => received.length >= 5, 15_000, 'watch stream events');
    // One more change through a session proves the stream also carries others' writes, in order.
    await writer.setData(`${path}/a`, 'last');
    await waitFor(() => received.length >= 6, 15_000, 'the last event');

    subscription.cancel();
    await reading; // ends without throwing
    expect(summary(received)).toEqual([
      `NodeCreated ${path}/a`,
      `NodeCreated ${path}/a/b`,
      `NodeDataChanged ${path}/a/b`,
      `NodeDeleted ${path}/a/b`,
      `NodeDataChanged ${path}`,
      `NodeDataChanged ${path}/a`,
    ]);
    const zxids = received.map((event) => event.zxid);
    expect(zxids.every((zxid, index) => zxid > startZxid && (index === 0 || zxid > zxids[index - 1]!))).toBe(true);
  });

  it('streams only the node itself (data and children changes) without recursive', async () => {
    const path = uniquePath('feedflat');
    await unary.create(path, null);
    const subscription = unary.watch(path);
    await subscription.ready;
    const received: WatchEvent[] = [];
    const reading = (async () => {
      for await (const event of subscription) received.push(event);
    })();
    await unary.create(`${path}/a`, null);
    await unary.set(`${path}/a`, 'not for a flat watch');
    await unary.set(path, 'x');
    await waitFor(() => received.length >= 2, 15_000, 'flat watch events');
    // A marker change on the path itself: if the child's data change had been sent, it would be before it.
    await unary.set(path, 'y');
    await waitFor(() => received.length >= 3, 15_000, 'the marker event');
    subscription.cancel();
    await reading;
    expect(summary(received)).toEqual([`NodeChildrenChanged ${path}`, `NodeDataChanged ${path}`, `NodeDataChanged ${path}`]);
  });

  it('refuses a bad path on the Watch stream', async () => {
    const subscription = unary.watch('no-slash', { recursive: true });
    await expectKeeperError(subscription.ready, -8);
    subscription.cancel();
  });
});
