// CRUD, Stat bookkeeping, versions, multi and FIFO order through gRPC against a real server
// process: the session stream (CairnClient) and the unary calls (CairnUnaryClient and raw
// grpc-js calls, to see statuses and trailers).

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnClient } from '../../src/client/session.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { CreateMode, OPEN_ACL_UNSAFE, Perms, type Stat } from '../../src/core/types.js';
import type { GrpcCairnClient } from '../../src/client/channel.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { connect, expectKeeperError, expectStatus, rawClient, rawUnary, uniquePath } from './grpc-helpers.js';

let server: ServerProcess;
let client: CairnClient;
let unary: CairnUnaryClient;
let raw: GrpcCairnClient;

beforeAll(async () => {
  server = await startServerProcess();
  client = await connect(server.grpcAddress);
  unary = new CairnUnaryClient(server.grpcAddress, { timeoutMs: 15_000 });
  raw = rawClient(server.grpcAddress);
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  unary?.close();
  raw?.close();
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

const text = (data: Uint8Array | null): string | null => (data === null ? null : Buffer.from(data).toString('utf8'));

describe('a fresh server', () => {
  // Must run before anything is created: the system nodes as a fresh ZooKeeper 3.8 shows them.
  it('shows the root with cversion -1 and /zookeeper with cversion -2', async () => {
    const root = await client.exists('/');
    const zookeeper = await client.exists('/zookeeper');
    expect(root).toMatchObject({ cversion: -1, numChildren: 1, version: 0, ephemeralOwner: 0 });
    expect(zookeeper).toMatchObject({ cversion: -2, numChildren: 2 });
    expect((await client.getChildren('/zookeeper')).children.sort()).toEqual(['config', 'quota']);
  });
});

describe('CRUD and Stat', () => {
  it('creates, reads, updates and deletes with exact Stat bookkeeping', async () => {
    const before = Date.now();
    const parent = uniquePath('crud');
    const created = await client.create(parent, 'hello');
    expect(created.path).toBe(parent);
    const s1 = created.stat;
    expect(s1.czxid).toBeGreaterThan(0);
    expect(s1).toMatchObject<Partial<Stat>>({
      mzxid: s1.czxid,
      pzxid: s1.czxid,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: 0,
      dataLength: 5,
      numChildren: 0,
      mtime: s1.ctime,
    });
    expect(s1.ctime).toBeGreaterThanOrEqual(before - 1_000);
    expect(s1.ctime).toBeLessThanOrEqual(Date.now() + 1_000);

    // The read shows what the create answered.
    const read1 = await client.getData(parent);
    expect(text(read1.data)).toBe('hello');
    expect(read1.stat).toEqual(s1);

    // A child moves the parent's pzxid, cversion and numChildren, not its mzxid or version.
    const child = await client.create(`${parent}/child`, 'c');
    expect(child.stat.czxid).toBeGreaterThan(s1.czxid);
    const s2 = (await client.exists(parent))!;
    expect(s2).toEqual({ ...s1, pzxid: child.stat.czxid, cversion: 1, numChildren: 1 });

    // setData: mzxid, mtime, version and dataLength move; czxid and pzxid stay.
    const s3 = await client.setData(parent, 'x');
    expect(s3.mzxid).toBeGreaterThan(child.stat.czxid);
    expect(s3).toMatchObject({ czxid: s1.czxid, ctime: s1.ctime, pzxid: child.stat.czxid, version: 1, cversion: 1, dataLength: 1, numChildren: 1 });
    expect(s3.mtime).toBeGreaterThanOrEqual(s1.mtime);

    // Deleting the child: cversion counts creates + deletes; pzxid is the delete's zxid.
    await client.delete(`${parent}/child`);
    const deleteZxid = client.lastZxid;
    const s4 = (await client.exists(parent))!;
    expect(s4).toMatchObject({ mzxid: s3.mzxid, version: 1, cversion: 2, numChildren: 0 });
    expect(s4.pzxid).toBeGreaterThan(s3.mzxid);
    expect(s4.pzxid).toBeLessThanOrEqual(deleteZxid);
    expect(await client.exists(`${parent}/child`)).toBeNull();

    // The unary calls see the same node.
    const viaUnary = await unary.get(parent);
    expect(text(viaUnary.data)).toBe('x');
    expect(viaUnary.stat).toEqual(s4);

    await client.delete(parent, 1);
    expect(await client.exists(parent)).toBeNull();
    expect(await unary.exists(parent)).toBeNull();
    await expectKeeperError(client.getData(parent), -101);
    await expectKeeperError(unary.get(parent), -101);
  });

  it('keeps null data apart from empty data', async () => {
    const base = uniquePath('nulls');
    await client.create(base, null);
    const nullRead = await client.getData(base);
    expect(nullRead.data).toBeNull();
    expect(nullRead.stat.dataLength).toBe(0);
    expect((await unary.get(base)).data).toBeNull();

    await client.setData(base, '');
    const emptyRead = await client.getData(base);
    expect(emptyRead.data).not.toBeNull();
    expect(emptyRead.data!.length).toBe(0);
    const emptyUnary = (await unary.get(base)).data;
    expect(emptyUnary).not.toBeNull();
    expect(emptyUnary!.length).toBe(0);

    await unary.set(base, null);
    expect((await client.getData(base)).data).toBeNull();

    await unary.create(`${base}/empty`, new Uint8Array(0));
    const created = (await client.getData(`${base}/empty`)).data;
    expect(created).not.toBeNull();
    expect(created!.length).toBe(0);
  });

  it('names sequential nodes by the number of children ever created under the parent', async () => {
    const parent = uniquePath('seq');
    await client.create(parent, null);
    const a = await client.create(`${parent}/a-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    const b = await client.create(`${parent}/b-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    await client.create(`${parent}/plain`, null);
    const c = await unary.create(`${parent}/a-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect([a.path, b.path, c.path]).toEqual([`${parent}/a-0000000000`, `${parent}/b-0000000001`, `${parent}/a-0000000003`]);

    // Deletes do not move the counter, and a deleted name is never reused.
    await client.delete(c.path);
    await client.delete(`${parent}/plain`);
    const d = await client.create(`${parent}/a-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect(d.path).toBe(`${parent}/a-0000000004`);
    const e = await client.create(`${parent}/`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect(e.path).toBe(`${parent}/0000000005`);

    // Visible cversion: 6 creates + 2 deletes.
    const listed = await client.getChildren(parent);
    expect([...listed.children].sort()).toEqual(['0000000005', 'a-0000000000', 'a-0000000004', 'b-0000000001']);
    expect(listed.stat).toMatchObject({ cversion: 8, numChildren: 4 });
  });

  it('lists children (sorted here; the server gives no order) and counts all descendants', async () => {
    const parent = uniquePath('kids');
    await client.create(parent, null);
    for (const name of ['m', 'b', 'z', 'a']) await client.create(`${parent}/${name}`, null);
    await client.create(`${parent}/m/1`, null);
    await client.create(`${parent}/m/2`, null);
    await client.create(`${parent}/m/2/deep`, null);

    const { children, stat } = await client.getChildren(parent);
    expect([...children].sort()).toEqual(['a', 'b', 'm', 'z']);
    expect(stat.numChildren).toBe(4);
    const viaUnary = await unary.children(parent);
    expect([...viaUnary.children].sort()).toEqual(['a', 'b', 'm', 'z']);
    expect(viaUnary.stat).toEqual(stat);

    expect(await client.getAllChildrenNumber(parent)).toBe(7);
    expect(await client.getAllChildrenNumber(`${parent}/m`)).toBe(3);
    expect(await client.getAllChildrenNumber(`${parent}/a`)).toBe(0);
    await expectKeeperError(client.getAllChildrenNumber(`${parent}/missing`), -101);
    expect((await client.getChildren(`${parent}/a`)).children).toEqual([]);
  });

  it('answers exists on a missing node with null, not an error', async () => {
    const missing = uniquePath('missing');
    expect(await client.exists(missing)).toBeNull();
    expect(await unary.exists(missing)).toBeNull();
    const outcome = await rawUnary(raw, 'Exists', { path: missing, watch: false });
    expect(outcome.error).toBeNull();
    expect((outcome.value as { stat: unknown }).stat).toBeNull();
  });

  it('refuses to create an existing node, under a missing parent, or a non-empty delete', async () => {
    const base = uniquePath('refuse');
    await client.create(base, null);
    await client.create(`${base}/x`, null);
    await expectKeeperError(client.create(base, null), -110);
    await expectKeeperError(client.create(`${base}/missing/child`, null), -101);
    await expectKeeperError(client.delete(base), -111);
    expectStatus(await rawUnary(raw, 'Create', { path: base, acl: [...OPEN_ACL_UNSAFE], mode: 0 }), grpc.status.ALREADY_EXISTS, -110, 'NodeExists');
    expectStatus(await rawUnary(raw, 'Delete', { path: `${base}/nope`, version: -1 }), grpc.status.NOT_FOUND, -101, 'NoNode');
  });
});

describe('system nodes and extended types', () => {
  it('refuses to delete /, /zookeeper, /zookeeper/quota and /zookeeper/config with BadArguments', async () => {
    for (const path of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']) {
      await expectKeeperError(client.delete(path), -8);
      expectStatus(await rawUnary(raw, 'Delete', { path, version: -1 }), grpc.status.INVALID_ARGUMENT, -8, 'BadArguments');
    }
    expect(await client.exists('/zookeeper/config')).not.toBeNull();
  });

  it('keeps /zookeeper/config world-readable only', async () => {
    const { acl } = await client.getACL('/zookeeper/config');
    expect(acl).toEqual([{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }]);
    await expectKeeperError(client.create('/zookeeper/config/x', null), -102);
    await expectKeeperError(client.setData('/zookeeper/config', 'x'), -102);
  });

  it('refuses TTL nodes without extendedTypesEnabled (Unimplemented)', async () => {
    const path = uniquePath('ttl');
    await expectKeeperError(client.create(path, null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 1_000 }), -6);
    expectStatus(await rawUnary(raw, 'Create', { path, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 1_000 }), grpc.status.UNIMPLEMENTED, -6, 'Unimplemented');
    expect(await client.exists(path)).toBeNull();
  });
});

describe('version conflicts', () => {
  it('answers BadVersion (-103) on the session stream for setData, delete, setACL and check', async () => {
    const path = uniquePath('versions');
    await client.create(path, 'v0');
    await client.setData(path, 'v1', 0);
    const e1 = await expectKeeperError(client.setData(path, 'nope', 0), -103);
    expect(e1.path).toBe(path);
    await expectKeeperError(client.delete(path, 0), -103);
    await expectKeeperError(client.setACL(path, [...OPEN_ACL_UNSAFE], 3), -103);
    await expectKeeperError(client.submit({ op: 'check', path, version: 7 }), -103);
    // Nothing changed, and the right versions still work.
    const { data, stat } = await client.getData(path);
    expect(text(data)).toBe('v1');
    expect(stat).toMatchObject({ version: 1, aversion: 0 });
    await client.submit({ op: 'check', path, version: 1 });
    expect((await client.setACL(path, [...OPEN_ACL_UNSAFE], 0)).aversion).toBe(1);
    expect((await client.setData(path, 'v2', 1)).version).toBe(2);
    await client.delete(path, 2);
    expect(await client.exists(path)).toBeNull();
  });

  it('fails unary calls with FAILED_PRECONDITION and zk-code -103 / zk-name BadVersion trailers', async () => {
    const path = uniquePath('uversions');
    await unary.create(path, 'v0');
    const set = await rawUnary(raw, 'Set', { path, data: Buffer.from('x'), version: 5 });
    expectStatus(set, grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
    expect(set.trailers.get('zk-path')[0]).toBe(path);
    expectStatus(await rawUnary(raw, 'Delete', { path, version: 5 }), grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
    expectStatus(await rawUnary(raw, 'SetACL', { path, acl: [...OPEN_ACL_UNSAFE], version: 5 }), grpc.status.FAILED_PRECONDITION, -103, 'BadVersion');
    // The unary client turns the trailers back into the KeeperError.
    const error = await expectKeeperError(unary.set(path, 'x', 9), -103);
    expect(error.codeName).toBe('BadVersion');
    expect(error.path).toBe(path);
    expect(text((await unary.get(path)).data)).toBe('v0');
  });
});

describe('multi', () => {
  it('applies every op of a successful multi, on the session stream and unary', async () => {
    const base = uniquePath('multi');
    await client.create(base, null);
    const results = await client.multi([
      { op: 'create', path: `${base}/a`, data: Buffer.from('a'), acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
      { op: 'create', path: `${base}/s-`, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT_SEQUENTIAL },
      { op: 'setData', path: `${base}/a`, data: Buffer.from('b'), version: 0 },
      { op: 'check', path: `${base}/a`, version: 1 },
      { op: 'delete', path: `${base}/a`, version: 1 },
    ]);
    expect(results.map((result) => result.op)).toEqual(['create', 'create', 'setData', 'check', 'delete']);
    expect(results[1]).toMatchObject({ op: 'create', path: `${base}/s-0000000001` });
    expect(results[2]).toMatchObject({ op: 'setData', stat: { version: 1 } });
    // One txn: every op has the same zxid.
    const created = results[0] as { stat: Stat };
    expect((results[2] as { stat: Stat }).stat.mzxid).toBe(created.stat.czxid);
    expect(await client.exists(`${base}/a`)).toBeNull();
    expect((await client.getChildren(base)).children).toEqual(['s-0000000001']);

    const viaUnary = await unary.multi([
      { op: 'create', path: `${base}/u`, data: Buffer.from('u'), acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
      { op: 'check', path: base, version: 0 },
    ]);
    expect(viaUnary.map((result) => result.op)).toEqual(['create', 'check']);
    expect(text((await client.getData(`${base}/u`)).data)).toBe('u');
  });

  it('answers a failed multi with Ok before, the code at, and RuntimeInconsistency after the failure; nothing applied', async () => {
    const base = uniquePath('multifail');
    await client.create(base, 'orig');
    const ops = [
      { op: 'create' as const, path: `${base}/a`, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
      { op: 'setData' as const, path: base, data: Buffer.from('changed'), version: -1 },
      { op: 'setData' as const, path: `${base}/missing`, data: null, version: -1 },
      { op: 'create' as const, path: `${base}/b`, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
      { op: 'delete' as const, path: base, version: -1 },
    ];
    const expected = [
      { op: 'error', code: 0 },
      { op: 'error', code: 0 },
      { op: 'error', code: -101 },
      { op: 'error', code: -2 },
      { op: 'error', code: -2 },
    ];
    expect(await client.multi(ops)).toEqual(expected);
    expect(await unary.multi(ops)).toEqual(expected);

    const versionFailure = await client.multi([
      { op: 'check', path: base, version: 3 },
      { op: 'create', path: `${base}/c`, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
    ]);
    expect(versionFailure).toEqual([
      { op: 'error', code: -103 },
      { op: 'error', code: -2 },
    ]);

    const { data, stat } = await client.getData(base);
    expect(text(data)).toBe('orig');
    expect(stat).toMatchObject({ version: 0, cversion: 0, numChildren: 0 });
    for (const name of ['a', 'b', 'c']) expect(await client.exists(`${base}/${name}`)).toBeNull();
  });
});

describe('FIFO order on one session', () => {
  it('answers 1000 pipelined mixed writes and reads in order, each read seeing the earlier writes', async () => {
    const base = uniquePath('fifo');
    await client.create(base, '-1');
    const order: number[] = [];
    const pending: Promise<void>[] = [];
    let lastWritten = '-1';
    let version = 0;
    let children = 0;
    for (let i = 0; i < 1_000; i++) {
      const index = i;
      const note = () => order.push(index);
      switch (i % 4) {
        case 0: {
          const expectedVersion = ++version;
          lastWritten = String(i);
          pending.push(
            client.setData(base, lastWritten).then((stat) => {
              note();
              expect(stat.version).toBe(expectedVersion);
            }),
          );
          break;
        }
        case 1: {
          const expectedData = lastWritten;
          const expectedVersion = version;
          pending.push(
            client.getData(base).then(({ data, stat }) => {
              note();
              expect({ data: text(data), version: stat.version }).toEqual({ data: expectedData, version: expectedVersion });
            }),
          );
          break;
        }
        case 2: {
          const expectedName = `${base}/n-${String(children).padStart(10, '0')}`;
          children++;
          pending.push(
            client.create(`${base}/n-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL }).then(({ path }) => {
              note();
              expect(path).toBe(expectedName);
            }),
          );
          break;
        }
        default: {
          const expectedChildren = children;
          const expectedVersion = version;
          pending.push(
            client.exists(base).then((stat) => {
              note();
              expect(stat).toMatchObject({ numChildren: expectedChildren, version: expectedVersion });
            }),
          );
        }
      }
    }
    await Promise.all(pending);
    expect(order).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(text((await unary.get(base)).data)).toBe(lastWritten);
  });
});
