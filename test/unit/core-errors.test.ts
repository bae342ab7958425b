import { describe, expect, it } from 'vitest';
import { digest, ipIdentity, type AuthId } from '../../src/core/acl.js';
import { ERRORS } from '../../src/core/errors.js';
import { CreateMode, OPEN_ACL_UNSAFE, Perms, READ_ACL_UNSAFE, type ACL, type WriteRequest } from '../../src/core/types.js';
import { bytes, codeOf, CoreHarness, DEFAULT_MAX_DATA_BYTES, multiFailureOf } from './core-harness.js';

const open = (): ACL[] => [...OPEN_ACL_UNSAFE];
const create = (path: string, mode: CreateMode = CreateMode.PERSISTENT, acl: ACL[] = open()): WriteRequest => ({ op: 'create', path, data: null, acl, mode });

const BOB: AuthId = { scheme: 'digest', id: digest('bob', 'secret') };
const EVE: AuthId = { scheme: 'digest', id: digest('eve', 'secret') };

/** The prep of `request` fails with `name`, and nothing is prepared or changed. */
function expectRefused(h: CoreHarness, request: WriteRequest, name: keyof typeof ERRORS, origin: Parameters<CoreHarness['prepare']>[1] = {}): void {
  const digestBefore = h.tree.digest();
  const sizeBefore = h.tree.size;
  const pendingBefore = h.prep.pendingCount;
  const code = request.op === 'multi' ? multiFailureOf(() => h.prepare(request, origin)).error.code : codeOf(() => h.prepare(request, origin));
  expect(code).toBe(ERRORS[name].code);
  expect(h.prep.pendingCount).toBe(pendingBefore);
  expect(h.pendingCount).toBe(0);
  expect(h.tree.digest()).toBe(digestBefore);
  expect(h.tree.size).toBe(sizeBefore);
}

describe('write errors', () => {
  it('NoNode: missing parent, missing node', () => {
    const h = new CoreHarness();
    expectRefused(h, create('/a/b'), 'NoNode');
    expectRefused(h, { op: 'delete', path: '/a', version: -1 }, 'NoNode');
    expectRefused(h, { op: 'setData', path: '/a', data: null, version: -1 }, 'NoNode');
    expectRefused(h, { op: 'setACL', path: '/a', acl: open(), version: -1 }, 'NoNode');
    expectRefused(h, { op: 'check', path: '/a', version: -1 }, 'NoNode');
    expectRefused(h, create('/a/', CreateMode.PERSISTENT_SEQUENTIAL), 'NoNode');
  });

  it('NodeExists', () => {
    const h = new CoreHarness();
    h.create('/a');
    expectRefused(h, create('/a'), 'NodeExists');
    expectRefused(h, create('/a', CreateMode.CONTAINER), 'NodeExists');
  });

  it('NotEmpty', () => {
    const h = new CoreHarness();
    h.create('/a');
    h.create('/a/b');
    expectRefused(h, { op: 'delete', path: '/a', version: -1 }, 'NotEmpty');
  });

  it('NoChildrenForEphemerals', () => {
    const h = new CoreHarness();
    h.createSession(5);
    h.create('/e', null, CreateMode.EPHEMERAL, { sessionId: 5 });
    expectRefused(h, create('/e/child'), 'NoChildrenForEphemerals');
    expectRefused(h, create('/e/child', CreateMode.EPHEMERAL), 'NoChildrenForEphemerals', { sessionId: 5 });
    expectRefused(h, create('/e/s-', CreateMode.PERSISTENT_SEQUENTIAL), 'NoChildrenForEphemerals');
  });

  it('BadArguments for bad paths, deleting the root or a system node, and unknown modes', () => {
    const h = new CoreHarness();
    h.create('/a');
    for (const path of ['', 'a', '/a/', '//a', '/a//b', '/a/./b', '/a/..', '/a\u0000b', '/a\u0001']) {
      expectRefused(h, create(path), 'BadArguments');
      expectRefused(h, { op: 'setData', path, data: null, version: -1 }, 'BadArguments');
      expectRefused(h, { op: 'delete', path, version: -1 }, 'BadArguments');
    }
    expectRefused(h, { op: 'delete', path: '/', version: -1 }, 'BadArguments');
    for (const path of ['/zookeeper', '/zookeeper/quota', '/zookeeper/config']) expectRefused(h, { op: 'delete', path, version: -1 }, 'BadArguments');
    expectRefused(h, create('/zookeeper'), 'NodeExists');
    expectRefused(h, create('/a', 9 as CreateMode), 'BadArguments');
    expectRefused(h, { op: 'create', path: '/b', data: null, acl: open(), mode: CreateMode.PERSISTENT, ttl: 100 }, 'BadArguments');
    expect(codeOf(() => h.read({ op: 'getData', path: 'a', watch: false }))).toBe(ERRORS.BadArguments.code);
  });

  it('InvalidACL: empty, unknown scheme, malformed id, auth without an identity', () => {
    const h = new CoreHarness();
    h.create('/a');
    expectRefused(h, create('/b', CreateMode.PERSISTENT, []), 'InvalidACL');
    expectRefused(h, create('/b', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'nope', id: 'x' } }]), 'InvalidACL');
    expectRefused(h, create('/b', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'world', id: 'someone' } }]), 'InvalidACL');
    expectRefused(h, create('/b', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'ip', id: '10.0.0.300' } }]), 'InvalidACL');
    expectRefused(h, create('/b', CreateMode.PERSISTENT, [{ perms: 64, id: { scheme: 'world', id: 'anyone' } }]), 'InvalidACL');
    expectRefused(h, create('/b', CreateMode.PERSISTENT, [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }]), 'InvalidACL');
    expectRefused(h, { op: 'setACL', path: '/a', acl: [], version: -1 }, 'InvalidACL');
    // With an identity, 'auth' expands to it.
    h.create('/b', null, CreateMode.PERSISTENT, { identities: [BOB] }, [{ perms: Perms.ALL, id: { scheme: 'auth', id: '' } }]);
    expect(h.tree.get('/b')!.acl).toEqual([{ perms: Perms.ALL, id: BOB }]);
  });

  it('NoAuth: digest ACL', () => {
    const h = new CoreHarness();
    h.create('/d', bytes('x'), CreateMode.PERSISTENT, {}, [{ perms: Perms.ALL, id: BOB }]);
    expectRefused(h, { op: 'setData', path: '/d', data: null, version: -1 }, 'NoAuth');
    expectRefused(h, { op: 'setData', path: '/d', data: null, version: -1 }, 'NoAuth', { identities: [EVE] });
    expectRefused(h, create('/d/c'), 'NoAuth', { identities: [EVE] });
    expectRefused(h, { op: 'setACL', path: '/d', acl: open(), version: -1 }, 'NoAuth');
    expectRefused(h, { op: 'check', path: '/d', version: -1 }, 'NoAuth');
    expect(codeOf(() => h.read({ op: 'getData', path: '/d', watch: false }, { identities: [EVE] }))).toBe(ERRORS.NoAuth.code);
    // Bob may; so may the super user.
    h.setData('/d', bytes('y'), -1, { identities: [BOB] });
    h.create('/d/c', null, CreateMode.PERSISTENT, { identities: [BOB] });
    const superId: AuthId = { scheme: 'digest', id: digest('super', 'pw') };
    h.setData('/d', bytes('z'), -1, { identities: [superId], superDigest: digest('super', 'pw') });
    // Deleting a child needs DELETE on the parent, not on the child.
    expectRefused(h, { op: 'delete', path: '/d/c', version: -1 }, 'NoAuth', { identities: [EVE] });
    h.delete('/d/c', -1, { identities: [BOB] });
  });

  it('NoAuth: ip ACL', () => {
    const h = new CoreHarness();
    h.create('/ip', null, CreateMode.PERSISTENT, {}, [{ perms: Perms.ALL, id: { scheme: 'ip', id: '10.0.0.0/8' } }]);
    expectRefused(h, { op: 'setData', path: '/ip', data: null, version: -1 }, 'NoAuth', { identities: [ipIdentity('192.168.1.1')] });
    h.setData('/ip', bytes('ok'), -1, { identities: [ipIdentity('::ffff:10.1.2.3')] });
    expect(h.stat('/ip').version).toBe(1);
  });

  it('NoAuth: world read-only', () => {
    const h = new CoreHarness();
    h.create('/ro', bytes('v'), CreateMode.PERSISTENT, {}, [...READ_ACL_UNSAFE]);
    expectRefused(h, { op: 'setData', path: '/ro', data: null, version: -1 }, 'NoAuth');
    expectRefused(h, create('/ro/c'), 'NoAuth');
    expectRefused(h, { op: 'setACL', path: '/ro', acl: open(), version: -1 }, 'NoAuth');
    expect(h.read({ op: 'getData', path: '/ro', watch: false })).toMatchObject({ op: 'getData', data: bytes('v') });
    h.run({ op: 'check', path: '/ro', version: 0 });
  });

  it('refuses data over maxDataBytes and changes nothing', () => {
    const h = new CoreHarness();
    h.create('/n', bytes('keep'));
    const big = new Uint8Array(DEFAULT_MAX_DATA_BYTES + 1);
    expectRefused(h, { op: 'setData', path: '/n', data: big, version: -1 }, 'BadArguments');
    expectRefused(h, { op: 'create', path: '/m', data: big, acl: open(), mode: 0 }, 'BadArguments');
    expectRefused(h, { op: 'multi', ops: [{ op: 'setData', path: '/n', data: big, version: -1 }] }, 'BadArguments');
    expect(h.read({ op: 'getData', path: '/n', watch: false })).toMatchObject({ data: bytes('keep'), stat: { version: 0 } });
    expect(h.tree.has('/m')).toBe(false);
    // Exactly the limit is fine.
    h.setData('/n', new Uint8Array(DEFAULT_MAX_DATA_BYTES));
    expect(h.stat('/n').dataLength).toBe(DEFAULT_MAX_DATA_BYTES);
  });

  it('refuses a multi inside a multi', () => {
    const h = new CoreHarness();
    expectRefused(h, { op: 'multi', ops: [{ op: 'multi', ops: [] } as unknown as WriteRequest & { op: 'check' }] }, 'BadArguments');
  });
});
