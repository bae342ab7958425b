import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/core/errors.js';
import { CreateMode, EventType, OPEN_ACL_UNSAFE, type MultiOp } from '../../src/core/types.js';
import { bytes, CoreHarness, multiFailureOf } from './core-harness.js';

const create = (path: string, mode: CreateMode = CreateMode.PERSISTENT): MultiOp => ({ op: 'create', path, data: null, acl: [...OPEN_ACL_UNSAFE], mode });

describe('multi', () => {
  it('is all or nothing: a failing op leaves the tree unchanged and prepares nothing', () => {
    const h = new CoreHarness();
    h.create('/x', bytes('x'));
    const digest = h.tree.digest();
    const size = h.tree.size;
    const failure = multiFailureOf(() =>
      h.prepare({
        op: 'multi',
        ops: [create('/a'), { op: 'setData', path: '/x', data: bytes('y'), version: -1 }, { op: 'delete', path: '/missing', version: -1 }, create('/b'), { op: 'check', path: '/x', version: 0 }],
      }),
    );
    expect(failure.error.code).toBe(ERRORS.NoNode.code);
    expect(failure.results).toEqual([
      { op: 'error', code: 0 },
      { op: 'error', code: 0 },
      { op: 'error', code: ERRORS.NoNode.code },
      { op: 'error', code: ERRORS.RuntimeInconsistency.code },
      { op: 'error', code: ERRORS.RuntimeInconsistency.code },
    ]);
    expect(h.prep.pendingCount).toBe(0);
    expect(h.pendingCount).toBe(0);
    expect(h.tree.digest()).toBe(digest);
    expect(h.tree.size).toBe(size);
    // Nothing of the failed multi leaks into later preps: /a is still free, /x still at version 0.
    h.create('/a');
    h.setData('/x', bytes('z'), 0);
  });

  it('reports the failing op code for a version mismatch in the middle', () => {
    const h = new CoreHarness();
    h.create('/x');
    const failure = multiFailureOf(() =>
      h.prepare({ op: 'multi', ops: [{ op: 'check', path: '/x', version: 0 }, { op: 'check', path: '/x', version: 5 }, create('/y')] }),
    );
    expect(failure.results.map((r) => (r.op === 'error' ? r.code : 'ok'))).toEqual([0, ERRORS.BadVersion.code, -2]);
  });

  it('applies a successful multi atomically, with triggers for every op', () => {
    const h = new CoreHarness();
    h.create('/x');
    h.create('/gone');
    const watcher = 9;
    h.read({ op: 'getData', path: '/x', watch: true }, { watcher });
    h.read({ op: 'getChildren', path: '/', watch: true }, { watcher: 10 });
    h.read({ op: 'exists', path: '/a', watch: true }, { watcher: 11 });
    h.read({ op: 'exists', path: '/gone', watch: true }, { watcher: 12 });
    const applied = h.write({
      op: 'multi',
      ops: [create('/a'), { op: 'setData', path: '/x', data: bytes('1'), version: 0 }, { op: 'delete', path: '/gone', version: -1 }, { op: 'check', path: '/x', version: 1 }],
    });
    const zxid = applied.record.header.zxid;
    expect(applied.response).toEqual({
      op: 'multi',
      results: [
        { op: 'create', path: '/a', stat: h.stat('/a') },
        { op: 'setData', stat: h.stat('/x') },
        { op: 'delete' },
        { op: 'check' },
      ],
    });
    expect(applied.triggers).toEqual([
      { path: '/a', type: EventType.NodeCreated },
      { path: '/', type: EventType.NodeChildrenChanged },
      { path: '/x', type: EventType.NodeDataChanged },
      { path: '/gone', type: EventType.NodeDeleted },
      { path: '/', type: EventType.NodeChildrenChanged },
    ]);
    // Every op carries the multi's zxid.
    expect(h.stat('/a').czxid).toBe(zxid);
    expect(h.stat('/x').mzxid).toBe(zxid);
    expect(h.stat('/').pzxid).toBe(zxid);
    const byWatcher = new Map(applied.notifications.map((n) => [n.watcher, n.event.type]));
    expect(byWatcher).toEqual(
      new Map([
        [11, EventType.NodeCreated],
        [10, EventType.NodeChildrenChanged],
        [9, EventType.NodeDataChanged],
        [12, EventType.NodeDeleted],
      ]),
    );
  });

  it('lets later ops see earlier ops of the same multi', () => {
    const h = new CoreHarness();
    const applied = h.write({
      op: 'multi',
      ops: [
        create('/a'),
        create('/a/b'),
        create('/a/s-', CreateMode.PERSISTENT_SEQUENTIAL),
        { op: 'setData', path: '/a/b', data: bytes('v'), version: 0 },
        { op: 'check', path: '/a/b', version: 1 },
        { op: 'delete', path: '/a/s-0000000001', version: 0 },
        create('/a/s-', CreateMode.PERSISTENT_SEQUENTIAL),
      ],
    });
    const response = applied.response;
    expect(response?.op).toBe('multi');
    expect(h.children('/a')).toEqual(['b', 's-0000000002']);
    expect(h.stat('/a/b').version).toBe(1);
    expect(h.tree.get('/a')!.cversion).toBe(3);
    expect(h.stat('/a').cversion).toBe(4); // three creates and a delete
  });

  it('fails when an op depends on a node an earlier op deleted', () => {
    const h = new CoreHarness();
    h.create('/a');
    const failure = multiFailureOf(() =>
      h.prepare({ op: 'multi', ops: [{ op: 'delete', path: '/a', version: -1 }, { op: 'setData', path: '/a', data: null, version: -1 }] }),
    );
    expect(failure.results).toEqual([
      { op: 'error', code: 0 },
      { op: 'error', code: ERRORS.NoNode.code },
    ]);
    expect(h.tree.has('/a')).toBe(true);
  });

  it('sees, and is seen by, other pending changes', () => {
    const h = new CoreHarness();
    h.prepare({ op: 'create', path: '/a', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 });
    h.prepare({ op: 'multi', ops: [create('/a/b'), { op: 'setData', path: '/a', data: null, version: 0 }] });
    h.prepare({ op: 'setData', path: '/a', data: null, version: 1 });
    expect(multiFailureOf(() => h.prepare({ op: 'multi', ops: [create('/a/b')] })).error.code).toBe(ERRORS.NodeExists.code);
    h.applyAll();
    expect(h.stat('/a')).toMatchObject({ version: 2, numChildren: 1 });
    expect(h.prep.pendingCount).toBe(0);
  });

  it('an empty multi is a no-op txn', () => {
    const h = new CoreHarness();
    const digest = h.tree.digest();
    expect(h.run({ op: 'multi', ops: [] })).toEqual({ op: 'multi', results: [] });
    expect(h.tree.digest()).toBe(digest);
  });
});
