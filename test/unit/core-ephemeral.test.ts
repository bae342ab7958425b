import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/core/errors.js';
import { TTL_MAX_MS } from '../../src/core/prep.js';
import { CreateMode, EventType, OPEN_ACL_UNSAFE, type CreateRequest } from '../../src/core/types.js';
import { bytes, codeOf, CoreHarness } from './core-harness.js';

const S1 = 0x101;
const S2 = 0x202;
const create = (path: string, mode: CreateMode, ttl?: number): CreateRequest => ({
  op: 'create',
  path,
  data: null,
  acl: [...OPEN_ACL_UNSAFE],
  mode,
  ...(ttl === undefined ? {} : { ttl }),
});

describe('ephemerals', () => {
  it('records the owner and indexes the node by session', () => {
    const h = new CoreHarness();
    h.createSession(S1);
    h.create('/p');
    const seq = h.create('/p/e-', null, CreateMode.EPHEMERAL_SEQUENTIAL, { sessionId: S1 });
    h.create('/e', null, CreateMode.EPHEMERAL, { sessionId: S1 });
    expect(h.stat(seq).ephemeralOwner).toBe(S1);
    expect([...h.tree.ephemeralsOf(S1)].sort()).toEqual(['/e', seq]);
    expect(h.read({ op: 'getEphemerals', prefixPath: '/' }, { sessionId: S1 })).toEqual({ op: 'getEphemerals', paths: ['/e', seq] });
    expect(h.read({ op: 'getEphemerals', prefixPath: '/p' }, { sessionId: S1 })).toEqual({ op: 'getEphemerals', paths: [seq] });
    h.delete('/e');
    expect([...h.tree.ephemeralsOf(S1)]).toEqual([seq]);
  });

  it("closeSession deletes all of the session's ephemerals, including pending ones, and fires events", () => {
    const h = new CoreHarness();
    h.createSession(S1);
    h.createSession(S2);
    h.create('/p');
    h.create('/p/a', null, CreateMode.EPHEMERAL, { sessionId: S1 });
    h.create('/b', null, CreateMode.EPHEMERAL, { sessionId: S1 });
    h.create('/p/other', null, CreateMode.EPHEMERAL, { sessionId: S2 });
    h.read({ op: 'getData', path: '/p/a', watch: true }, { watcher: 1 });
    h.watches.add('persistent', '/p', 2);
    h.read({ op: 'exists', path: '/b', watch: true }, { watcher: 3 });
    // Still pending when the close is prepared.
    h.prepare(create('/p/pending', CreateMode.EPHEMERAL), { sessionId: S1 });
    h.prepare({ op: 'setData', path: '/b', data: bytes('x'), version: -1 }, { sessionId: S1 });
    h.prepareCloseSession(S1);
    expect(h.prep.isClosing(S1)).toBe(true);
    // After the close is prepared, the pending and the tree's ephemerals count as deleted.
    expect(codeOf(() => h.prepare({ op: 'setData', path: '/p/pending', data: null, version: -1 }))).toBe(ERRORS.NoNode.code);
    expect(codeOf(() => h.prepare({ op: 'delete', path: '/b', version: -1 }))).toBe(ERRORS.NoNode.code);
    const applied = h.applyAll();
    const close = applied.at(-1)!;
    // The txn lists the ephemerals prep found, pending ones included.
    expect(close.record.txn).toEqual({ type: 'closeSession', paths: ['/b', '/p/a', '/p/pending'] });
    expect(close.response).toBeUndefined();
    expect(close.triggers).toEqual([
      { path: '/b', type: EventType.NodeDeleted },
      { path: '/', type: EventType.NodeChildrenChanged },
      { path: '/p/a', type: EventType.NodeDeleted },
      { path: '/p', type: EventType.NodeChildrenChanged },
      { path: '/p/pending', type: EventType.NodeDeleted },
      { path: '/p', type: EventType.NodeChildrenChanged },
    ]);
    // Watcher 3's one-shot watch on /b was used up by the pending setData.
    expect(applied[1]!.notifications.map((n) => [n.watcher, n.event.type])).toEqual([[3, EventType.NodeDataChanged]]);
    expect(close.notifications.map((n) => [n.watcher, n.event.type, n.event.path])).toEqual([
      [1, EventType.NodeDeleted, '/p/a'],
      [2, EventType.NodeChildrenChanged, '/p'],
      [2, EventType.NodeChildrenChanged, '/p'],
    ]);
    expect(h.children('/p')).toEqual(['other']);
    expect(h.tree.has('/b')).toBe(false);
    expect([...h.tree.ephemeralsOf(S1)]).toEqual([]);
    expect(h.state.sessions.has(S1)).toBe(false);
    expect(h.state.sessions.has(S2)).toBe(true);
    expect(h.prep.isClosing(S1)).toBe(false);
    expect(h.prep.pendingCount).toBe(0);
  });

  it("closeSession leaves alone a path whose ephemeral was deleted and re-created by another owner, still pending", () => {
    const h = new CoreHarness();
    h.createSession(S1);
    h.createSession(S2);
    h.create('/e', null, CreateMode.EPHEMERAL, { sessionId: S1 });
    h.create('/f', null, CreateMode.EPHEMERAL, { sessionId: S1 });
    h.prepare({ op: 'delete', path: '/e', version: -1 });
    h.prepare(create('/e', CreateMode.EPHEMERAL), { sessionId: S2 });
    h.prepare({ op: 'multi', ops: [{ op: 'delete', path: '/f', version: -1 }, create('/f', CreateMode.PERSISTENT)] });
    const close = h.prepareCloseSession(S1);
    expect(close.txn).toEqual({ type: 'closeSession' });
    // The close does not make prep believe /e or /f are gone.
    expect(codeOf(() => h.prepare(create('/e', CreateMode.PERSISTENT)))).toBe(ERRORS.NodeExists.code);
    h.applyAll();
    expect(h.stat('/e').ephemeralOwner).toBe(S2);
    expect(h.stat('/f').ephemeralOwner).toBe(0);
  });

  it('refuses an ephemeral create of a closing session with SessionExpired', () => {
    const h = new CoreHarness();
    h.createSession(S1);
    h.prepareCloseSession(S1);
    expect(codeOf(() => h.prepare(create('/e', CreateMode.EPHEMERAL), { sessionId: S1 }))).toBe(ERRORS.SessionExpired.code);
    expect(codeOf(() => h.prepare(create('/e-', CreateMode.EPHEMERAL_SEQUENTIAL), { sessionId: S1 }))).toBe(ERRORS.SessionExpired.code);
    expect(h.prep.pendingCount).toBe(0);
    // Other sessions are unaffected.
    h.prepare(create('/e', CreateMode.EPHEMERAL), { sessionId: S2 });
    h.applyAll();
    expect(h.stat('/e').ephemeralOwner).toBe(S2);
  });
});

describe('containers and TTL nodes', () => {
  it('reaps a container only after it had a child and has none', () => {
    const h = new CoreHarness();
    h.create('/c', null, CreateMode.CONTAINER);
    expect(h.reapCandidates(1e12)).toEqual([]);
    h.create('/c/child');
    expect(h.reapCandidates(1e12)).toEqual([]);
    h.delete('/c/child');
    expect(h.reapCandidates(0)).toEqual(['/c']);
    h.read({ op: 'getData', path: '/c', watch: true }, { watcher: 4 });
    const record = h.prepareDeleteContainer('/c');
    expect(record?.txn).toEqual({ type: 'deleteContainer', path: '/c' });
    const applied = h.applyAll()[0]!;
    expect(applied.triggers).toEqual([
      { path: '/c', type: EventType.NodeDeleted },
      { path: '/', type: EventType.NodeChildrenChanged },
    ]);
    expect(applied.notifications.map((n) => n.watcher)).toEqual([4]);
    expect(h.tree.has('/c')).toBe(false);
    expect(h.tree.containers.size).toBe(0);
  });

  it('reaps a TTL node only when childless and now - mtime > ttl', () => {
    const h = new CoreHarness();
    h.clock = 1_000;
    h.create('/t', null, CreateMode.PERSISTENT_WITH_TTL, {}, undefined, 500);
    expect(h.reapCandidates(1_500)).toEqual([]);
    expect(h.reapCandidates(1_501)).toEqual(['/t']);
    h.clock = 2_000;
    h.setData('/t', bytes('touch'));
    expect(h.reapCandidates(2_400)).toEqual([]);
    expect(h.reapCandidates(2_501)).toEqual(['/t']);
    h.create('/t/child');
    expect(h.reapCandidates(1e12)).toEqual([]);
    h.delete('/t/child');
    expect(h.reapCandidates(1e12)).toEqual(['/t']);
    const seq = h.create('/s-', null, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, {}, undefined, 10);
    expect(h.reapCandidates(1e12)).toEqual([seq, '/t']);
    expect(h.prepareDeleteContainer('/t')).not.toBeNull();
    h.applyAll();
    expect(h.tree.ttlNodes.has('/t')).toBe(false);
  });

  it('prepareDeleteContainer returns null when the node gained a child, is gone, or is not reapable, in a pending change', () => {
    const h = new CoreHarness();
    h.create('/c', null, CreateMode.CONTAINER);
    h.create('/c/x');
    h.delete('/c/x');
    expect(h.reapCandidates(0)).toEqual(['/c']);
    h.prepare(create('/c/y', CreateMode.PERSISTENT));
    expect(h.prepareDeleteContainer('/c')).toBeNull();
    h.applyAll();
    h.delete('/c/y');
    h.prepare({ op: 'delete', path: '/c', version: -1 });
    expect(h.prepareDeleteContainer('/c')).toBeNull();
    h.prepare(create('/c', CreateMode.PERSISTENT));
    expect(h.prepareDeleteContainer('/c')).toBeNull();
    h.applyAll();
    expect(h.prepareDeleteContainer('/c')).toBeNull();
    expect(h.prepareDeleteContainer('/missing')).toBeNull();
    expect(h.prep.pendingCount).toBe(0);
  });

  it('prepareDeleteContainer returns null for a container recreated in a pending change that never had a child', () => {
    const h = new CoreHarness();
    h.create('/c', null, CreateMode.CONTAINER);
    h.create('/c/x');
    h.delete('/c/x');
    expect(h.reapCandidates(0)).toEqual(['/c']);
    h.prepare({ op: 'delete', path: '/c', version: -1 });
    h.prepare(create('/c', CreateMode.CONTAINER));
    expect(h.prepareDeleteContainer('/c')).toBeNull();
    h.applyAll();
    expect(h.tree.has('/c')).toBe(true);
  });

  it('prepareDeleteContainer returns null for a TTL node with a setData in flight', () => {
    const h = new CoreHarness();
    h.clock = 0;
    h.create('/t', null, CreateMode.PERSISTENT_WITH_TTL, {}, undefined, 100);
    h.clock = 1_000;
    expect(h.reapCandidates(1_000)).toEqual(['/t']);
    h.prepare({ op: 'setData', path: '/t', data: null, version: -1 });
    expect(h.prepareDeleteContainer('/t')).toBeNull();
    h.applyAll();
    expect(h.reapCandidates(1_000)).toEqual([]);
    expect(h.tree.has('/t')).toBe(true);
  });

  it('a prepared reap makes later preps see the node as gone', () => {
    const h = new CoreHarness();
    h.create('/c', null, CreateMode.CONTAINER);
    h.create('/c/x');
    h.delete('/c/x');
    h.prepareDeleteContainer('/c');
    expect(codeOf(() => h.prepare(create('/c/y', CreateMode.PERSISTENT)))).toBe(ERRORS.NoNode.code);
    h.applyAll();
    expect(h.tree.has('/c')).toBe(false);
  });

  it('TTL creates need extendedTypesEnabled and a TTL in range', () => {
    const h = new CoreHarness();
    const off = { extendedTypesEnabled: false };
    expect(codeOf(() => h.prepare(create('/t', CreateMode.PERSISTENT_WITH_TTL, 100), off))).toBe(ERRORS.Unimplemented.code);
    expect(codeOf(() => h.prepare(create('/t-', CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 100), off))).toBe(ERRORS.Unimplemented.code);
    for (const ttl of [0, -1, 1.5, TTL_MAX_MS + 1, Number.NaN]) {
      expect(codeOf(() => h.prepare(create('/t', CreateMode.PERSISTENT_WITH_TTL, ttl)))).toBe(ERRORS.BadArguments.code);
    }
    expect(codeOf(() => h.prepare(create('/t', CreateMode.PERSISTENT_WITH_TTL)))).toBe(ERRORS.BadArguments.code);
    expect(h.prep.pendingCount).toBe(0);
    h.create('/t', null, CreateMode.PERSISTENT_WITH_TTL, {}, undefined, TTL_MAX_MS);
    expect(h.tree.get('/t')!.ttlMs).toBe(TTL_MAX_MS);
    expect(h.tree.ttlNodes.has('/t')).toBe(true);
    // A container needs no flag.
    h.create('/c', null, CreateMode.CONTAINER, off);
    expect(h.tree.containers.has('/c')).toBe(true);
  });
});
