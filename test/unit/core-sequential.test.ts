import { describe, expect, it } from 'vitest';
import { sequenceSuffix } from '../../src/core/prep.js';
import { CreateMode, OPEN_ACL_UNSAFE } from '../../src/core/types.js';
import { CoreHarness } from './core-harness.js';

const SEQ = CreateMode.PERSISTENT_SEQUENTIAL;

describe('sequential names', () => {
  it('formats the counter as 10 zero-padded digits, wrapping like a Java int', () => {
    expect(sequenceSuffix(0)).toBe('0000000000');
    expect(sequenceSuffix(42)).toBe('0000000042');
    expect(sequenceSuffix(2147483647)).toBe('2147483647');
    expect(sequenceSuffix(2147483648)).toBe('-2147483648');
  });

  it("takes the suffix from the parent's cversion and bumps it", () => {
    const h = new CoreHarness();
    h.create('/p');
    expect(h.create('/p/n-', null, SEQ)).toBe('/p/n-0000000000');
    expect(h.stat('/p').cversion).toBe(1);
    expect(h.create('/p/n-', null, SEQ)).toBe('/p/n-0000000001');
    expect(h.stat('/p').cversion).toBe(2);
  });

  it('shares one counter per parent among all prefixes and plain creates', () => {
    const h = new CoreHarness();
    h.create('/p');
    expect(h.create('/p/a-', null, SEQ)).toBe('/p/a-0000000000');
    expect(h.create('/p/b-', null, SEQ)).toBe('/p/b-0000000001');
    h.create('/p/plain');
    expect(h.create('/p/a-', null, SEQ)).toBe('/p/a-0000000003');
    expect(h.create('/p/b-', null, CreateMode.EPHEMERAL_SEQUENTIAL, { sessionId: 7 })).toBe('/p/b-0000000004');
    // Another parent has its own counter.
    h.create('/q');
    expect(h.create('/q/a-', null, SEQ)).toBe('/q/a-0000000000');
  });

  it('allows a prefix ending in "/" (the name is just the number)', () => {
    const h = new CoreHarness();
    h.create('/p');
    expect(h.create('/p/', null, SEQ)).toBe('/p/0000000000');
    // The root's counter already counts /p.
    expect(h.create('/', null, SEQ)).toBe('/0000000001');
  });

  it('never reuses a number after a delete', () => {
    const h = new CoreHarness();
    h.create('/p');
    const first = h.create('/p/n-', null, SEQ);
    const second = h.create('/p/n-', null, SEQ);
    h.delete(second);
    h.delete(first);
    // The suffix counter counts creates only; deletes never give a number back.
    expect(h.tree.get('/p')!.cversion).toBe(2);
    // ZooKeeper 3.8 fact: the stat's cversion counts creates and deletes (DataNode.copyStat reports
    // 2 * creates - numChildren); to be confirmed against a running server.
    expect(h.stat('/p').cversion).toBe(4);
    expect(h.create('/p/n-', null, SEQ)).toBe('/p/n-0000000002');
  });

  it('gives distinct consecutive names to sequential creates prepared before any is applied', () => {
    const h = new CoreHarness();
    h.create('/p');
    const records = [0, 1, 2, 3].map((i) =>
      h.prepare({ op: 'create', path: i % 2 === 0 ? '/p/a-' : '/p/b-', data: null, acl: [...OPEN_ACL_UNSAFE], mode: SEQ }),
    );
    const names = records.map((r) => (r.txn.type === 'create' ? r.txn.path : ''));
    expect(names).toEqual(['/p/a-0000000000', '/p/b-0000000001', '/p/a-0000000002', '/p/b-0000000003']);
    expect(h.tree.has('/p/a-0000000000')).toBe(false);
    const responses = h.applyAll().map((a) => a.response);
    expect(responses.map((r) => (r?.op === 'create' ? r.path : ''))).toEqual(names);
    expect(h.children('/p')).toEqual(['a-0000000000', 'a-0000000002', 'b-0000000001', 'b-0000000003']);
    expect(h.stat('/p').cversion).toBe(4);
  });

  it('counts a pending delete-and-recreate in the numbering', () => {
    const h = new CoreHarness();
    h.create('/p');
    h.create('/p/x');
    h.prepare({ op: 'delete', path: '/p/x', version: -1 });
    h.prepare({ op: 'create', path: '/p/x', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 });
    const seq = h.prepare({ op: 'create', path: '/p/s-', data: null, acl: [...OPEN_ACL_UNSAFE], mode: SEQ });
    expect(seq.txn.type === 'create' && seq.txn.path).toBe('/p/s-0000000002');
    h.applyAll();
    expect(h.tree.get('/p')!.cversion).toBe(3);
    expect(h.stat('/p').cversion).toBe(4); // three creates, one delete
  });
});
