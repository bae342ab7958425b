// The client's watch bookkeeping (src/client/watches.ts): which events reach which watches, as
// ZooKeeper's client routes them, and what a resumed session sends again.

import { describe, expect, it } from 'vitest';
import { ClientWatches, OneShotWatch, PersistentWatch } from '../../src/client/watches.js';
import { keeperError } from '../../src/core/errors.js';
import { EventType, KeeperState, type WatchEvent } from '../../src/core/types.js';

const event = (type: EventType, path: string, zxid = 1): WatchEvent => ({ type, path, zxid, state: KeeperState.SyncConnected });

describe('client watches', () => {
  it('routes events as ZooKeeper does: data and exist on change and create, every kind on delete, child on children', () => {
    const watches = new ClientWatches();
    const data = new OneShotWatch('data', '/a');
    const exist = new OneShotWatch('exist', '/a');
    const child = new OneShotWatch('child', '/a');
    for (const watch of [data, exist, child]) watches.addOneShot(watch);
    watches.dispatch(event(EventType.NodeChildrenChanged, '/a'));
    expect([data.settled, exist.settled, child.settled]).toEqual([false, false, true]);
    watches.dispatch(event(EventType.NodeDataChanged, '/a'));
    expect([data.settled, exist.settled]).toEqual([true, true]);
    const again = new OneShotWatch('child', '/a');
    watches.addOneShot(again);
    watches.dispatch(event(EventType.NodeDeleted, '/a'));
    expect(again.settled).toBe(true);
    expect(watches.size).toBe(0);
  });

  it('delivers to persistent watches on the path and recursive ones above it, which skip child events', async () => {
    const watches = new ClientWatches();
    const closed: PersistentWatch[] = [];
    const onClose = async (watch: PersistentWatch) => void closed.push(watch);
    const exact = new PersistentWatch('/app', false, onClose);
    const subtree = new PersistentWatch('/app', true, onClose);
    const root = new PersistentWatch('/', true, onClose);
    for (const watch of [exact, subtree, root]) watches.addPersistent(watch);
    watches.dispatch(event(EventType.NodeCreated, '/app/x', 1));
    watches.dispatch(event(EventType.NodeChildrenChanged, '/app', 2));
    watches.dispatch(event(EventType.NodeDataChanged, '/application', 3));
    await exact.close();
    await subtree.close();
    await root.close();
    const read = async (watch: PersistentWatch) => {
      const seen: number[] = [];
      for await (const item of watch) seen.push(item.zxid);
      return seen;
    };
    expect(await read(exact)).toEqual([2]);
    expect(await read(subtree)).toEqual([1]);
    expect(await read(root)).toEqual([1, 3]);
    expect(closed).toHaveLength(3);
  });

  it('asks a resumed session for every watch it still waits on, and fails them all when the session is lost', async () => {
    const watches = new ClientWatches();
    const data = new OneShotWatch('data', '/d');
    watches.addOneShot(data);
    watches.addOneShot(new OneShotWatch('exist', '/e'));
    watches.addOneShot(new OneShotWatch('child', '/c'));
    const persistent = new PersistentWatch('/p', false, async () => undefined);
    watches.addPersistent(persistent);
    watches.addPersistent(new PersistentWatch('/r', true, async () => undefined));
    expect(watches.toSetWatches(42)).toEqual({
      op: 'setWatches',
      relativeZxid: 42,
      dataWatches: ['/d'],
      existWatches: ['/e'],
      childWatches: ['/c'],
      persistentWatches: ['/p'],
      persistentRecursiveWatches: ['/r'],
    });
    watches.failAll(keeperError('SessionExpired'));
    await expect(data.then(() => 'fired')).rejects.toMatchObject({ codeName: 'SessionExpired' });
    await expect(persistent[Symbol.asyncIterator]().next()).rejects.toMatchObject({ codeName: 'SessionExpired' });
    expect(watches.toSetWatches(42)).toBeNull();
  });
});
