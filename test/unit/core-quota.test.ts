// Quotas in the pure core: the limits and stats nodes zkCli's setquota writes, the usage the tree
// keeps as txns apply (as ZooKeeper's DataTree does), and the refusals prep makes with
// enforceQuota (ZooKeeper's checkQuota), including pending changes and multi.

import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/core/errors.js';
import { formatQuotaUsage, limitsPathOf, NO_LIMITS, parseQuotaLimits, parseStatsTrack, quotaBreach, statsPathOf } from '../../src/core/quota.js';
import { loadChunk, serializeState } from '../../src/core/snapshot.js';
import { CreateMode, OPEN_ACL_UNSAFE, type Data } from '../../src/core/types.js';
import { bytes, codeOf, CoreHarness, multiFailureOf } from './core-harness.js';

const text = (data: Data) => (data === null ? null : new TextDecoder().decode(data));
const ENFORCING = { enforceQuota: true } as const;

/** What zkCli's `setquota` writes: the mirror's parents, the limits node, then the stats node. */
function setQuota(h: CoreHarness, subject: string, limits: string): void {
  const parts = subject.split('/').slice(1);
  for (let depth = 1; depth <= parts.length; depth++) {
    const mirror = `/zookeeper/quota/${parts.slice(0, depth).join('/')}`;
    if (!h.tree.has(mirror)) h.create(mirror);
  }
  h.create(limitsPathOf(subject), bytes(limits));
  h.create(statsPathOf(subject), bytes('count=0,bytes=0'));
}

/** zkCli's limits text for `setquota -N count -B bytes` (and -n/-b for the soft ones). */
function limitsText({ count = -1, bytes: byteCount = -1, countHard = -1, bytesHard = -1 }: { count?: number; bytes?: number; countHard?: number; bytesHard?: number }): string {
  return `count=${count},bytes=${byteCount}=;byteHardLimit=${bytesHard};countHardLimit=${countHard}`;
}

const statsOf = (h: CoreHarness, subject: string) => text(h.tree.get(statsPathOf(subject))!.data);

/** The kept usage equals a fresh count of every quota'd subtree. */
function expectUsageMeasured(h: CoreHarness): void {
  for (const subject of h.tree.quotaSubjects()) expect(h.tree.quotaUsageOf(subject), subject).toEqual(h.tree.measureQuotaUsage(subject));
}

describe('StatsTrack text', () => {
  it("reads zkCli's 3.7+ limits, the legacy form, and nothing from text that is neither", () => {
    expect(parseQuotaLimits(bytes('count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2'))).toEqual({ count: -1, bytes: -1, countHardLimit: 2, byteHardLimit: -1 });
    expect(parseQuotaLimits(bytes('count=5,bytes=-1=;byteHardLimit=10;countHardLimit=2'))).toEqual({ count: 5, bytes: -1, countHardLimit: 2, byteHardLimit: 10 });
    expect(parseQuotaLimits(bytes('count=3,bytes=100'))).toEqual({ count: 3, bytes: 100, countHardLimit: -1, byteHardLimit: -1 });
    expect(parseQuotaLimits(bytes('hello'))).toEqual(NO_LIMITS);
    expect(parseQuotaLimits(bytes('count=x,bytes=1'))).toEqual(NO_LIMITS);
    expect(parseQuotaLimits(null)).toEqual(NO_LIMITS);
    expect(parseStatsTrack('count=2,bytes=7')).toEqual(new Map([['count', 2], ['bytes', 7]]));
  });

  it('writes stats as ZooKeeper does', () => {
    expect(text(formatQuotaUsage({ count: 2, bytes: 0 }))).toBe('count=2,bytes=0');
  });

  it('a field the change leaves alone is not checked; hard limits win over soft ones', () => {
    const limits = parseQuotaLimits(bytes(limitsText({ count: 1, bytesHard: 10 })));
    expect(quotaBreach('/q', limits, { count: 5, bytes: 20 }, { count: 5, bytes: 20 })).toBeNull();
    expect(quotaBreach('/q', limits, { count: 5, bytes: 20 }, { count: 5, bytes: 15 })).toMatchObject({ what: 'bytes', hard: true, value: 15 });
    expect(quotaBreach('/q', limits, { count: 1, bytes: 0 }, { count: 2, bytes: 11 })).toMatchObject({ what: 'bytes', hard: true, limit: 10, value: 11 });
    expect(quotaBreach('/q', limits, { count: 1, bytes: 0 }, { count: 2, bytes: 5 })).toMatchObject({ what: 'count', hard: false, limit: 1, value: 2 });
  });
});

describe('the stats node follows every change under its quota', () => {
  it('counts the subtree, its root included, from the moment the stats node is created', () => {
    const h = new CoreHarness();
    h.create('/q', bytes('abc'));
    h.create('/q/old', bytes('12'));
    setQuota(h, '/q', limitsText({ countHard: 10 }));
    expect(statsOf(h, '/q')).toBe('count=2,bytes=5');
    h.create('/q/a', bytes('xyz'));
    expect(statsOf(h, '/q')).toBe('count=3,bytes=8');
    h.create('/q/a/s-', null, CreateMode.PERSISTENT_SEQUENTIAL);
    expect(statsOf(h, '/q')).toBe('count=4,bytes=8');
    expectUsageMeasured(h);
  });

  it('setData changes the bytes by the difference; delete takes the node and its bytes off', () => {
    const h = new CoreHarness();
    h.create('/q');
    setQuota(h, '/q', limitsText({ count: 5 }));
    h.create('/q/a', bytes('12345'));
    h.setData('/q/a', bytes('1234567890'));
    expect(statsOf(h, '/q')).toBe('count=2,bytes=10');
    h.setData('/q/a', bytes('1'));
    expect(statsOf(h, '/q')).toBe('count=2,bytes=1');
    h.setData('/q', bytes('root'));
    expect(statsOf(h, '/q')).toBe('count=2,bytes=5');
    h.delete('/q/a');
    expect(statsOf(h, '/q')).toBe('count=1,bytes=4');
    expectUsageMeasured(h);
  });

  it("a closed session's ephemerals leave the count", () => {
    const h = new CoreHarness();
    h.create('/q');
    setQuota(h, '/q', limitsText({ count: 5 }));
    h.createSession(7);
    h.create('/q/e', bytes('ee'), CreateMode.EPHEMERAL, { sessionId: 7 });
    expect(statsOf(h, '/q')).toBe('count=2,bytes=2');
    h.closeSession(7);
    expect(statsOf(h, '/q')).toBe('count=1,bytes=0');
  });

  it('the stats node changes data only: its version and mzxid stay (ZooKeeper updateQuotaStat)', () => {
    const h = new CoreHarness();
    h.create('/q');
    setQuota(h, '/q', limitsText({ count: 5 }));
    const before = h.stat(statsPathOf('/q'));
    h.create('/q/a');
    const after = h.stat(statsPathOf('/q'));
    expect({ ...after, dataLength: before.dataLength }).toEqual(before);
  });

  it('a client writing the stats node finds the usage put back', () => {
    const h = new CoreHarness();
    h.create('/q');
    setQuota(h, '/q', limitsText({ count: 5 }));
    h.setData(statsPathOf('/q'), bytes('count=99,bytes=99'));
    expect(statsOf(h, '/q')).toBe('count=1,bytes=0');
  });

  it('a stats node follows the usage while its limits node is gone; without either, nothing is counted', () => {
    const h = new CoreHarness();
    h.create('/q');
    setQuota(h, '/q', limitsText({ count: 5 }));
    h.create('/q/a', bytes('x'));
    h.delete(limitsPathOf('/q'));
    h.create('/q/b');
    expect(statsOf(h, '/q')).toBe('count=3,bytes=1');
    expect(h.tree.quotaLimitsOf('/q')).toEqual(NO_LIMITS);
    h.delete(statsPathOf('/q'));
    expect(h.tree.quotaSubjects()).toEqual([]);
    h.create('/q/c', null, CreateMode.PERSISTENT, ENFORCING);
  });

  it('nested quotas: a node counts toward the innermost one only; removing it gives its nodes back', () => {
    const h = new CoreHarness();
    h.create('/a');
    h.create('/a/b');
    h.create('/a/b/c', bytes('cc'));
    setQuota(h, '/a', limitsText({ count: 10 }));
    expect(statsOf(h, '/a')).toBe('count=3,bytes=2');
    setQuota(h, '/a/b', limitsText({ count: 10 }));
    expect(statsOf(h, '/a')).toBe('count=1,bytes=0');
    expect(statsOf(h, '/a/b')).toBe('count=2,bytes=2');
    h.create('/a/b/d');
    h.create('/a/x');
    expect(statsOf(h, '/a')).toBe('count=2,bytes=0');
    expect(statsOf(h, '/a/b')).toBe('count=3,bytes=2');
    expectUsageMeasured(h);
    h.delete(limitsPathOf('/a/b'));
    h.delete(statsPathOf('/a/b'));
    expect(statsOf(h, '/a')).toBe('count=5,bytes=2');
    expectUsageMeasured(h);
  });

  it('the quota nodes themselves, the root and /zookeeper carry no quota', () => {
    const h = new CoreHarness();
    h.create('/zookeeper/quota/zookeeper');
    h.create(limitsPathOf('/zookeeper'), bytes(limitsText({ countHard: 1 })));
    expect(h.tree.quotaSubjects()).toEqual([]);
    h.create('/zookeeper/quota/zookeeper_limits', bytes(limitsText({ countHard: 1 })));
    expect(h.tree.quotaSubjects()).toEqual([]);
    h.create('/zookeeper/x', null, CreateMode.PERSISTENT, ENFORCING);
  });
});

describe('enforceQuota: prep refuses what goes over a hard limit', () => {
  function quotaOnQ(limits: string): CoreHarness {
    const h = new CoreHarness();
    h.create('/q');
    setQuota(h, '/q', limits);
    return h;
  }

  it('setquota -N 2 /q: the first child is created, the second is refused with QuotaExceeded and makes no txn', () => {
    const h = quotaOnQ(limitsText({ countHard: 2 }));
    h.create('/q/a', null, CreateMode.PERSISTENT, ENFORCING);
    const logged = h.log.length;
    expect(codeOf(() => h.prepare({ op: 'create', path: '/q/b', data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT }, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
    expect(h.pendingCount).toBe(0);
    expect(h.log.length).toBe(logged);
    expect(h.prep.pendingCount).toBe(0);
    expect(statsOf(h, '/q')).toBe('count=2,bytes=0');
    // Without enforceQuota, ZooKeeper checks nothing.
    h.create('/q/b');
    expect(statsOf(h, '/q')).toBe('count=3,bytes=0');
  });

  it('setquota -B 10: a setData past it is refused; over it already, even a shrinking one is (as ZooKeeper 3.8)', () => {
    const h = quotaOnQ(limitsText({ bytesHard: 10 }));
    h.create('/q/a', bytes('12345'), CreateMode.PERSISTENT, ENFORCING);
    h.setData('/q/a', bytes('1234567890'), -1, ENFORCING); // exactly at the limit
    expect(codeOf(() => h.setData('/q/a', bytes('12345678901'), -1, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
    // Over the limit by a write made without enforceQuota: a smaller setData is still over it.
    h.setData('/q', bytes('xyz'));
    expect(statsOf(h, '/q')).toBe('count=2,bytes=13');
    expect(codeOf(() => h.setData('/q/a', bytes('123456789'), -1, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
    // A delete is never checked; under the limit again, writes that fit pass.
    h.delete('/q/a', -1, ENFORCING);
    h.create('/q/small', bytes('1234'), CreateMode.PERSISTENT, ENFORCING);
    expect(codeOf(() => h.create('/q/big', bytes('123456'), CreateMode.PERSISTENT, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
    expect(statsOf(h, '/q')).toBe('count=2,bytes=7');
  });

  it('the quota is checked before the version, as ZooKeeper does', () => {
    const h = quotaOnQ(limitsText({ bytesHard: 2 }));
    expect(codeOf(() => h.setData('/q', bytes('abc'), 7, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
  });

  it('soft limits only warn', () => {
    const h = quotaOnQ(limitsText({ count: 1 }));
    h.create('/q/a', null, CreateMode.PERSISTENT, ENFORCING);
    const { warnings, dropped } = h.prep.takeSoftQuotaWarnings();
    expect(warnings).toEqual(['quota of /q exceeded: count would be 2, soft limit 1 (by /q/a); allowed']);
    expect(dropped).toBe(0);
    expect(h.prep.takeSoftQuotaWarnings().warnings).toEqual([]);
  });

  it('counts changes prepared but not yet applied', () => {
    const h = quotaOnQ(limitsText({ countHard: 3 }));
    const create = (path: string) => h.prepare({ op: 'create', path, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT }, ENFORCING);
    create('/q/a');
    create('/q/b');
    expect(codeOf(() => create('/q/c'))).toBe(ERRORS.QuotaExceeded.code);
    h.prepare({ op: 'delete', path: '/q/a', version: -1 }, ENFORCING);
    create('/q/c');
    h.applyAll();
    expect(statsOf(h, '/q')).toBe('count=3,bytes=0');
    expect(h.prep.pendingCount).toBe(0);
  });

  it('a multi is checked op by op against what its earlier ops left', () => {
    const h = quotaOnQ(limitsText({ countHard: 2 }));
    const create = (path: string) => ({ op: 'create' as const, path, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT });
    const failure = multiFailureOf(() => h.prepare({ op: 'multi', ops: [create('/q/a'), create('/q/b')] }, ENFORCING));
    expect(failure.results).toEqual([
      { op: 'error', code: 0 },
      { op: 'error', code: ERRORS.QuotaExceeded.code },
    ]);
    expect(h.pendingCount).toBe(0);
    h.create('/q/a', null, CreateMode.PERSISTENT, ENFORCING);
    // A delete earlier in the multi makes room for a create after it.
    h.run({ op: 'multi', ops: [{ op: 'delete', path: '/q/a', version: -1 }, create('/q/b')] }, ENFORCING);
    expect(statsOf(h, '/q')).toBe('count=2,bytes=0');
    // A setData growing the bytes counts for the create after it.
    const g = quotaOnQ(limitsText({ bytesHard: 4 }));
    const grown = multiFailureOf(() => g.prepare({ op: 'multi', ops: [{ op: 'setData', path: '/q', data: bytes('abc'), version: -1 }, { ...create('/q/x'), data: bytes('yz') }] }, ENFORCING));
    expect(grown.results.map((result) => (result.op === 'error' ? result.code : null))).toEqual([0, ERRORS.QuotaExceeded.code]);
  });

  it('the nested quota decides for its subtree', () => {
    const h = new CoreHarness();
    h.create('/a');
    h.create('/a/b');
    setQuota(h, '/a', limitsText({ countHard: 1 }));
    setQuota(h, '/a/b', limitsText({ countHard: 5 }));
    h.create('/a/b/c', null, CreateMode.PERSISTENT, ENFORCING);
    expect(codeOf(() => h.create('/a/c', null, CreateMode.PERSISTENT, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
  });

  it('the error names the path written and the quota it breaks', () => {
    const h = quotaOnQ(limitsText({ countHard: 1 }));
    try {
      h.create('/q/a', null, CreateMode.PERSISTENT, ENFORCING);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ path: '/q/a', message: 'quota of /q exceeded: count would be 2, hard limit 1' });
    }
  });
});

describe('snapshots keep quotas', () => {
  it('a restored state has the same stats, digest and usage, and goes on enforcing', () => {
    const h = new CoreHarness();
    h.create('/q', bytes('root'));
    h.create('/q/a', bytes('aa'));
    setQuota(h, '/q', limitsText({ countHard: 4, bytesHard: 100 }));
    h.create('/q/a/b', bytes('bbb'));
    h.create('/other', bytes('zz'));
    for (const perChunk of [1, 2, 4096]) {
      const again = new CoreHarness();
      for (const chunk of serializeState(h.state, perChunk)) loadChunk(again.state, chunk);
      again.resumeAfter(h.state.lastZxid);
      expect(statsOf(again, '/q')).toBe('count=3,bytes=9');
      expect(again.tree.digest()).toBe(h.tree.digest());
      expect(again.tree.quotaSubjects()).toEqual(['/q']);
      expectUsageMeasured(again);
      again.create('/q/c', null, CreateMode.PERSISTENT, ENFORCING);
      expect(codeOf(() => again.create('/q/d', null, CreateMode.PERSISTENT, ENFORCING))).toBe(ERRORS.QuotaExceeded.code);
    }
  });
});
