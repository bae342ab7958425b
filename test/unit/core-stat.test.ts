import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/core/errors.js';
import { CreateMode, OPEN_ACL_UNSAFE, Perms, type ACL } from '../../src/core/types.js';
import { bytes, codeOf, CoreHarness } from './core-harness.js';

const BAD_VERSION = ERRORS.BadVersion.code;
const READ_ONLY_WORLD: ACL[] = [{ perms: Perms.READ | Perms.ADMIN | Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }];

describe('stat fields', () => {
  it('after create: zxids and times from the txn, counters at zero, parent updated', () => {
    const h = new CoreHarness();
    h.clock = 5_000;
    h.create('/p');
    h.clock = 6_000;
    const applied = h.write({ op: 'create', path: '/p/c', data: bytes('hello'), acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT });
    const zxid = applied.record.header.zxid;
    expect(zxid).toBe(2);
    const stat = h.stat('/p/c');
    expect(stat).toEqual({
      czxid: zxid,
      mzxid: zxid,
      pzxid: zxid,
      ctime: 6_000,
      mtime: 6_000,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: 0,
      dataLength: 5,
      numChildren: 0,
    });
    expect(applied.response).toEqual({ op: 'create', path: '/p/c', stat });
    const parent = h.stat('/p');
    expect(parent).toMatchObject({ czxid: 1, mzxid: 1, pzxid: zxid, ctime: 5_000, mtime: 5_000, version: 0, cversion: 1, numChildren: 1 });
  });

  it('after setData: mzxid, mtime, version, dataLength move; czxid, ctime, pzxid do not', () => {
    const h = new CoreHarness();
    h.clock = 10;
    h.create('/n', bytes('ab'));
    h.clock = 20;
    const stat = h.setData('/n', bytes('abcdef'));
    expect(stat).toEqual({ ...h.stat('/n') });
    expect(stat).toMatchObject({ czxid: 1, mzxid: 2, pzxid: 1, ctime: 10, mtime: 20, version: 1, cversion: 0, aversion: 0, dataLength: 6 });
    h.clock = 30;
    expect(h.setData('/n', bytes('x'))).toMatchObject({ mzxid: 3, mtime: 30, version: 2, dataLength: 1 });
  });

  it('after setACL: only aversion moves', () => {
    const h = new CoreHarness();
    h.create('/n', bytes('ab'));
    const before = h.stat('/n');
    h.clock = 99_999;
    const response = h.run({ op: 'setACL', path: '/n', acl: READ_ONLY_WORLD, version: -1 });
    expect(response).toEqual({ op: 'setACL', stat: { ...before, aversion: 1 } });
    expect(h.stat('/n')).toEqual({ ...before, aversion: 1 });
    expect(h.read({ op: 'getACL', path: '/n' })).toEqual({ op: 'getACL', acl: READ_ONLY_WORLD, stat: { ...before, aversion: 1 } });
  });

  it("after deleting a child: the parent's pzxid and numChildren move, not its mzxid or version", () => {
    const h = new CoreHarness();
    h.create('/p');
    h.create('/p/a');
    h.create('/p/b');
    const before = h.stat('/p');
    expect(before).toMatchObject({ cversion: 2, numChildren: 2, pzxid: 3 });
    const deleted = h.write({ op: 'delete', path: '/p/a', version: -1 });
    expect(deleted.response).toEqual({ op: 'delete' });
    const after = h.stat('/p');
    // ZooKeeper 3.8 fact: a child delete shows in the parent's cversion (DataNode.copyStat reports
    // 2 * creates - numChildren), while the sequence counter does not move; to be confirmed
    // against a running server.
    expect(after).toEqual({ ...before, pzxid: deleted.record.header.zxid, numChildren: 1, cversion: 3 });
    expect(h.tree.get('/p')!.cversion).toBe(2);
    expect(h.tree.has('/p/a')).toBe(false);
  });

  it('records the owner of an ephemeral', () => {
    const h = new CoreHarness();
    h.createSession(0x1234);
    h.create('/e', null, CreateMode.EPHEMERAL, { sessionId: 0x1234 });
    expect(h.stat('/e').ephemeralOwner).toBe(0x1234);
    h.create('/c', null, CreateMode.CONTAINER);
    expect(h.stat('/c').ephemeralOwner).toBe(0);
  });

  it('keeps null data and empty data apart (dataLength 0 for both)', () => {
    const h = new CoreHarness();
    h.create('/null', null);
    h.create('/empty', new Uint8Array(0));
    expect(h.stat('/null').dataLength).toBe(0);
    expect(h.stat('/empty').dataLength).toBe(0);
    const nullRead = h.read({ op: 'getData', path: '/null', watch: false });
    const emptyRead = h.read({ op: 'getData', path: '/empty', watch: false });
    expect(nullRead.op === 'getData' && nullRead.data).toBeNull();
    expect(emptyRead.op === 'getData' && emptyRead.data).toEqual(new Uint8Array(0));
    h.setData('/empty', null);
    const nowNull = h.read({ op: 'getData', path: '/empty', watch: false });
    expect(nowNull.op === 'getData' && nowNull.data).toBeNull();
    // The digest tells the two apart.
    const other = new CoreHarness();
    other.create('/null', new Uint8Array(0));
    other.create('/empty', new Uint8Array(0));
    other.setData('/empty', null);
    expect(other.tree.digest()).not.toBe(h.tree.digest());
  });
});

describe('versions', () => {
  it('setData: -1 matches any version, a wrong one is BadVersion', () => {
    const h = new CoreHarness();
    h.create('/n');
    expect(codeOf(() => h.prepare({ op: 'setData', path: '/n', data: null, version: 1 }))).toBe(BAD_VERSION);
    expect(h.setData('/n', bytes('a'), 0).version).toBe(1);
    expect(h.setData('/n', bytes('b'), -1).version).toBe(2);
    expect(codeOf(() => h.prepare({ op: 'setData', path: '/n', data: null, version: 1 }))).toBe(BAD_VERSION);
    expect(h.setData('/n', bytes('c'), 2).version).toBe(3);
    expect(h.prep.pendingCount).toBe(0);
  });

  it('delete: -1 or the exact version', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.setData('/n', null);
    expect(codeOf(() => h.prepare({ op: 'delete', path: '/n', version: 0 }))).toBe(BAD_VERSION);
    expect(h.tree.has('/n')).toBe(true);
    h.delete('/n', 1);
    expect(h.tree.has('/n')).toBe(false);
    h.create('/m');
    h.delete('/m', -1);
    expect(h.tree.has('/m')).toBe(false);
  });

  it('setACL checks the aversion, not the data version', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.setData('/n', null);
    expect(codeOf(() => h.prepare({ op: 'setACL', path: '/n', acl: READ_ONLY_WORLD, version: 1 }))).toBe(BAD_VERSION);
    h.run({ op: 'setACL', path: '/n', acl: READ_ONLY_WORLD, version: 0 });
    expect(h.stat('/n').aversion).toBe(1);
    h.run({ op: 'setACL', path: '/n', acl: [...OPEN_ACL_UNSAFE], version: -1 });
    expect(h.stat('/n').aversion).toBe(2);
  });

  it('check: -1 or the exact version; a check changes nothing', () => {
    const h = new CoreHarness();
    h.create('/n');
    const digest = h.tree.digest();
    expect(h.run({ op: 'check', path: '/n', version: 0 })).toEqual({ op: 'check' });
    expect(h.run({ op: 'check', path: '/n', version: -1 })).toEqual({ op: 'check' });
    expect(codeOf(() => h.prepare({ op: 'check', path: '/n', version: 3 }))).toBe(BAD_VERSION);
    expect(h.tree.digest()).toBe(digest);
    expect(h.stat('/n').version).toBe(0);
  });

  it('sees pending changes: two setData with versions 0 and 1 prepared before applying both succeed; a third with 0 fails', () => {
    const h = new CoreHarness();
    h.create('/n');
    const first = h.prepare({ op: 'setData', path: '/n', data: bytes('1'), version: 0 });
    const second = h.prepare({ op: 'setData', path: '/n', data: bytes('2'), version: 1 });
    expect(codeOf(() => h.prepare({ op: 'setData', path: '/n', data: bytes('3'), version: 0 }))).toBe(BAD_VERSION);
    expect(first.txn).toMatchObject({ type: 'setData', version: 1 });
    expect(second.txn).toMatchObject({ type: 'setData', version: 2 });
    expect(h.stat('/n').version).toBe(0);
    const [a, b] = h.applyAll();
    expect(a!.response).toMatchObject({ op: 'setData', stat: { version: 1 } });
    expect(b!.response).toMatchObject({ op: 'setData', stat: { version: 2 } });
    expect(h.stat('/n').version).toBe(2);
    expect(h.prep.pendingCount).toBe(0);
    // After the pending changes are applied and forgotten, the tree answers.
    expect(codeOf(() => h.prepare({ op: 'setData', path: '/n', data: null, version: 1 }))).toBe(BAD_VERSION);
    h.setData('/n', null, 2);
  });

  it('sees a pending delete and a pending create', () => {
    const h = new CoreHarness();
    h.create('/n');
    h.prepare({ op: 'delete', path: '/n', version: 0 });
    expect(codeOf(() => h.prepare({ op: 'setData', path: '/n', data: null, version: -1 }))).toBe(ERRORS.NoNode.code);
    h.prepare({ op: 'create', path: '/n', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 });
    expect(codeOf(() => h.prepare({ op: 'create', path: '/n', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 }))).toBe(ERRORS.NodeExists.code);
    h.prepare({ op: 'setData', path: '/n', data: null, version: 0 });
    h.prepare({ op: 'create', path: '/n/child', data: null, acl: [...OPEN_ACL_UNSAFE], mode: 0 });
    expect(codeOf(() => h.prepare({ op: 'delete', path: '/n', version: -1 }))).toBe(ERRORS.NotEmpty.code);
    h.applyAll();
    expect(h.stat('/n')).toMatchObject({ version: 1, numChildren: 1, czxid: 3 });
  });
});
