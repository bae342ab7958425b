import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/core/errors.js';
import { CreateMode, EventType, KeeperState, OPEN_ACL_UNSAFE, Perms, WatcherType } from '../../src/core/types.js';
import type { Notification } from '../../src/core/watches.js';
import { bytes, codeOf, CoreHarness } from './core-harness.js';

const W1 = 1;
const W2 = 2;
const W3 = 3;

const seen = (notifications: readonly Notification[]): [number, number, string][] =>
  notifications.map((n) => [n.watcher, n.event.type, n.event.path]);

describe('one-shot watches', () => {
  it('data watch: NodeDataChanged on setData, exactly once', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W1 });
    const first = h.write({ op: 'setData', path: '/n', data: bytes('1'), version: -1 });
    expect(first.notifications).toEqual([
      { watcher: W1, event: { type: EventType.NodeDataChanged, state: KeeperState.SyncConnected, path: '/n', zxid: first.record.header.zxid }, lasting: false },
    ]);
    expect(h.write({ op: 'setData', path: '/n', data: bytes('2'), version: -1 }).notifications).toEqual([]);
    expect(h.watches.watchCount).toBe(0);
  });

  it('exists watch on a missing node: NodeCreated once', () => {
    const h = new CoreHarness();
    expect(h.read({ op: 'exists', path: '/n', watch: true }, { watcher: W1 })).toEqual({ op: 'exists', stat: null });
    expect(seen(h.write({ op: 'create', path: '/n', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }).notifications)).toEqual([[W1, EventType.NodeCreated, '/n']]);
    expect(h.write({ op: 'setData', path: '/n', data: null, version: -1 }).notifications).toEqual([]);
  });

  it('exists watch on an existing node: NodeDataChanged or NodeDeleted', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.read({ op: 'exists', path: '/n', watch: true }, { watcher: W1 });
    expect(seen(h.write({ op: 'setData', path: '/n', data: null, version: -1 }).notifications)).toEqual([[W1, EventType.NodeDataChanged, '/n']]);
    h.read({ op: 'exists', path: '/n', watch: true }, { watcher: W1 });
    expect(seen(h.write({ op: 'delete', path: '/n', version: -1 }).notifications)).toEqual([[W1, EventType.NodeDeleted, '/n']]);
  });

  it('child watch: NodeChildrenChanged on child create and on child delete, not on data change', () => {
    const h = new CoreHarness();
    h.create('/p');
    h.create('/p/a');
    h.read({ op: 'getChildren', path: '/p', watch: true }, { watcher: W1 });
    expect(h.write({ op: 'setData', path: '/p', data: null, version: -1 }).notifications).toEqual([]);
    expect(h.write({ op: 'setData', path: '/p/a', data: null, version: -1 }).notifications).toEqual([]);
    expect(seen(h.write({ op: 'create', path: '/p/b', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }).notifications)).toEqual([
      [W1, EventType.NodeChildrenChanged, '/p'],
    ]);
    expect(h.write({ op: 'create', path: '/p/c', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }).notifications).toEqual([]);
    h.read({ op: 'getChildren', path: '/p', watch: true }, { watcher: W1 });
    expect(seen(h.write({ op: 'delete', path: '/p/a', version: -1 }).notifications)).toEqual([[W1, EventType.NodeChildrenChanged, '/p']]);
  });

  it('NodeDeleted goes to data and child watchers, one event per watcher', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W1 });
    h.read({ op: 'getChildren', path: '/n', watch: true }, { watcher: W1 });
    h.read({ op: 'getChildren', path: '/n', watch: true }, { watcher: W2 });
    h.read({ op: 'exists', path: '/n', watch: true }, { watcher: W3 });
    h.read({ op: 'getChildren', path: '/', watch: true }, { watcher: W3 });
    const deleted = h.write({ op: 'delete', path: '/n', version: -1 });
    expect(seen(deleted.notifications)).toEqual([
      [W1, EventType.NodeDeleted, '/n'],
      [W3, EventType.NodeDeleted, '/n'],
      [W2, EventType.NodeDeleted, '/n'],
      [W3, EventType.NodeChildrenChanged, '/'],
    ]);
    expect(h.watches.watchCount).toBe(0);
  });

  it('a read that fails leaves no watch; a session-less read leaves none either', () => {
    const h = new CoreHarness();
    expect(codeOf(() => h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W1 }))).toBe(ERRORS.NoNode.code);
    expect(codeOf(() => h.read({ op: 'getChildren', path: '/n', watch: true }, { watcher: W1 }))).toBe(ERRORS.NoNode.code);
    h.create('/secret', null, CreateMode.PERSISTENT, {}, [{ perms: Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }]);
    expect(codeOf(() => h.read({ op: 'getData', path: '/secret', watch: true }, { watcher: W1 }))).toBe(ERRORS.NoAuth.code);
    h.read({ op: 'exists', path: '/x', watch: true }, { watcher: null });
    expect(h.watches.watchCount).toBe(0);
  });
});

describe('persistent watches', () => {
  it('a persistent watch keeps firing, for data, children, create and delete of its path', () => {
    const h = new CoreHarness();
    h.watches.add('persistent', '/n', W1);
    const events = [
      h.write({ op: 'create', path: '/n', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
      h.write({ op: 'setData', path: '/n', data: null, version: -1 }),
      h.write({ op: 'setData', path: '/n', data: null, version: -1 }),
      h.write({ op: 'create', path: '/n/c', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
      h.write({ op: 'setData', path: '/n/c', data: null, version: -1 }),
      h.write({ op: 'delete', path: '/n/c', version: -1 }),
      h.write({ op: 'delete', path: '/n', version: -1 }),
      h.write({ op: 'create', path: '/n', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
    ].flatMap((a) => seen(a.notifications));
    expect(events).toEqual([
      [W1, EventType.NodeCreated, '/n'],
      [W1, EventType.NodeDataChanged, '/n'],
      [W1, EventType.NodeDataChanged, '/n'],
      [W1, EventType.NodeChildrenChanged, '/n'],
      [W1, EventType.NodeChildrenChanged, '/n'],
      [W1, EventType.NodeDeleted, '/n'],
      [W1, EventType.NodeCreated, '/n'],
    ]);
    expect(h.watches.has('/n', W1, WatcherType.PERSISTENT)).toBe(true);
  });

  it('a persistent recursive watch fires for the subtree but not NodeChildrenChanged', () => {
    const h = new CoreHarness();
    h.watches.add('persistentRecursive', '/r', W1);
    const events = [
      h.write({ op: 'create', path: '/r', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
      h.write({ op: 'create', path: '/r/a', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
      h.write({ op: 'create', path: '/r/a/b', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
      h.write({ op: 'setData', path: '/r/a/b', data: null, version: -1 }),
      h.write({ op: 'create', path: '/rx', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }),
      h.write({ op: 'delete', path: '/r/a/b', version: -1 }),
      h.write({ op: 'setData', path: '/', data: null, version: -1 }),
    ].flatMap((a) => seen(a.notifications));
    expect(events).toEqual([
      [W1, EventType.NodeCreated, '/r'],
      [W1, EventType.NodeCreated, '/r/a'],
      [W1, EventType.NodeCreated, '/r/a/b'],
      [W1, EventType.NodeDataChanged, '/r/a/b'],
      [W1, EventType.NodeDeleted, '/r/a/b'],
    ]);
  });

  it('marks events only persistent watches fired as lasting (the server checks READ for those)', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.watches.add('persistentRecursive', '/', W1);
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W2 });
    const fired = h.write({ op: 'setData', path: '/n', data: null, version: -1 }).notifications;
    expect(fired.map((notification) => [notification.watcher, notification.lasting])).toEqual([
      [W2, false],
      [W1, true],
    ]);
  });

  it('a watcher with several matching watches hears each event once', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.watches.add('persistent', '/n', W1);
    h.watches.add('persistentRecursive', '/', W1);
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W1 });
    expect(seen(h.write({ op: 'setData', path: '/n', data: null, version: -1 }).notifications)).toEqual([[W1, EventType.NodeDataChanged, '/n']]);
  });
});

describe('removeWatches and checkWatches', () => {
  it('removes by type, returns the removal events, and null (NoWatcher) when there is none', () => {
    const h = new CoreHarness();
    h.create('/n');
    expect(h.watches.remove('/n', W1, WatcherType.ANY, 7)).toBeNull();
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W1 });
    h.read({ op: 'getChildren', path: '/n', watch: true }, { watcher: W1 });
    h.watches.add('persistent', '/n', W1);
    expect(h.watches.remove('/n', W1, WatcherType.PERSISTENT_RECURSIVE, 7)).toBeNull();
    expect(h.watches.has('/n', W1, WatcherType.CHILDREN)).toBe(true);
    expect(h.watches.remove('/n', W1, WatcherType.CHILDREN, 7)).toEqual([{ type: EventType.ChildWatchRemoved, state: KeeperState.SyncConnected, path: '/n', zxid: 7 }]);
    expect(h.watches.has('/n', W1, WatcherType.CHILDREN)).toBe(false);
    expect(h.watches.remove('/n', W1, WatcherType.CHILDREN, 7)).toBeNull();
    expect(h.watches.remove('/n', W2, WatcherType.ANY, 7)).toBeNull();
    expect(h.watches.remove('/n', W1, WatcherType.ANY, 8)?.map((e) => e.type)).toEqual([EventType.DataWatchRemoved, EventType.PersistentWatchRemoved]);
    expect(h.watches.watchCount).toBe(0);
    expect(h.write({ op: 'setData', path: '/n', data: null, version: -1 }).notifications).toEqual([]);
  });

  it('removeWatcher drops every watch of a watcher', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W1 });
    h.read({ op: 'getData', path: '/n', watch: true }, { watcher: W2 });
    h.watches.add('persistentRecursive', '/', W1);
    h.watches.removeWatcher(W1);
    expect(seen(h.write({ op: 'setData', path: '/n', data: null, version: -1 }).notifications)).toEqual([[W2, EventType.NodeDataChanged, '/n']]);
  });
});

describe('setWatches', () => {
  it('fires what changed after relativeZxid and registers the rest', () => {
    const h = new CoreHarness();
    h.create('/same'); // 1
    h.create('/changed'); // 2
    h.create('/kids'); // 3
    h.create('/quiet'); // 4
    h.create('/gone'); // 5
    const relativeZxid = h.state.lastZxid;
    h.setData('/changed', bytes('x')); // 6
    h.create('/kids/k'); // 7
    h.delete('/gone'); // 8
    h.create('/born'); // 9
    const events = h.setWatches(
      {
        relativeZxid,
        dataWatches: ['/same', '/changed', '/gone'],
        existWatches: ['/born', '/unborn'],
        childWatches: ['/quiet', '/kids', '/gone'],
        persistentWatches: ['/p'],
        persistentRecursiveWatches: ['/r'],
      },
      W1,
    );
    expect(events.map((e) => [e.type, e.path, e.zxid, e.state])).toEqual([
      [EventType.NodeDataChanged, '/changed', 9, KeeperState.SyncConnected],
      [EventType.NodeDeleted, '/gone', 9, KeeperState.SyncConnected],
      [EventType.NodeCreated, '/born', 9, KeeperState.SyncConnected],
      [EventType.NodeChildrenChanged, '/kids', 9, KeeperState.SyncConnected],
      [EventType.NodeDeleted, '/gone', 9, KeeperState.SyncConnected],
    ]);
    expect(h.watches.has('/same', W1, WatcherType.DATA)).toBe(true);
    expect(h.watches.has('/unborn', W1, WatcherType.DATA)).toBe(true);
    expect(h.watches.has('/quiet', W1, WatcherType.CHILDREN)).toBe(true);
    expect(h.watches.has('/changed', W1, WatcherType.ANY)).toBe(false);
    expect(h.watches.has('/kids', W1, WatcherType.ANY)).toBe(false);
    expect(h.watches.has('/p', W1, WatcherType.PERSISTENT)).toBe(true);
    expect(h.watches.has('/r', W1, WatcherType.PERSISTENT_RECURSIVE)).toBe(true);
    // The registered ones fire later.
    expect(seen(h.write({ op: 'create', path: '/unborn', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }).notifications)).toEqual([
      [W1, EventType.NodeCreated, '/unborn'],
    ]);
    expect(seen(h.write({ op: 'create', path: '/quiet/q', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }).notifications)).toEqual([
      [W1, EventType.NodeChildrenChanged, '/quiet'],
    ]);
  });

  it('nothing fires when relativeZxid is current', () => {
    const h = new CoreHarness();
    h.create('/a');
    h.create('/a/b');
    const events = h.setWatches(
      { relativeZxid: h.state.lastZxid, dataWatches: ['/a'], existWatches: [], childWatches: ['/a'], persistentWatches: [], persistentRecursiveWatches: [] },
      W1,
    );
    expect(events).toEqual([]);
    expect(h.watches.watchCount).toBe(2);
  });
});
