// ACLs through gRPC against a real server process: digest and ip schemes, addAuth on the
// session stream, the super digest from zoo.cfg, and getACL's redaction of digests.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcCairnClient } from '../../src/client/channel.js';
import { CairnClient } from '../../src/client/session.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { digest } from '../../src/core/acl.js';
import { CREATOR_ALL_ACL, Perms, type ACL } from '../../src/core/types.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { connect, expectKeeperError, expectStatus, rawClient, rawUnary, uniquePath } from './grpc-helpers.js';

const ALICE = digest('alice', 'alice-secret');
const SUPER = digest('super', 'super-secret');

let server: ServerProcess;
let anonymous: CairnClient;
let alice: CairnClient;
let unary: CairnUnaryClient;
let raw: GrpcCairnClient;
const clients: CairnClient[] = [];

beforeAll(async () => {
  server = await startServerProcess({ config: { 'DigestAuthenticationProvider.superDigest': SUPER } });
  anonymous = await connect(server.grpcAddress);
  alice = await connect(server.grpcAddress);
  await alice.addAuth('digest', 'alice:alice-secret');
  unary = new CairnUnaryClient(server.grpcAddress, { timeoutMs: 15_000 });
  raw = rawClient(server.grpcAddress);
});

afterAll(async () => {
  for (const client of [anonymous, alice, ...clients]) await client?.close().catch(() => undefined);
  unary?.close();
  raw?.close();
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

async function fresh(): Promise<CairnClient> {
  const client = await connect(server.grpcAddress);
  clients.push(client);
  return client;
}

const aliceAll: ACL = { perms: Perms.ALL, id: { scheme: 'digest', id: ALICE } };
const worldRead: ACL = { perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } };

/** A raw unary Get with `authorization` metadata: its status code, and the data when it worked. */
function getWithAuthorization(path: string, authorization: string): Promise<{ code: grpc.status; data?: string }> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', authorization);
  type Get = (argument: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, value?: { data?: Buffer }) => void) => void;
  return new Promise((resolve) =>
    (raw as unknown as { Get: Get }).Get({ path }, metadata, (error, value) =>
      resolve(error === null ? { code: grpc.status.OK, data: Buffer.from(value?.data ?? []).toString() } : { code: error.code }),
    ),
  );
}

describe('digest credentials as call metadata', () => {
  it('authorization: Basic gives a unary call the digest identity; a wrong password does not; anything else is UNAUTHENTICATED', async () => {
    const path = uniquePath('metadata');
    await alice.create(path, 'secret', { acl: [aliceAll] });
    const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;
    expect(await getWithAuthorization(path, basic('alice:alice-secret'))).toEqual({ code: grpc.status.OK, data: 'secret' });
    expect((await getWithAuthorization(path, basic('alice:wrong'))).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await getWithAuthorization(path, 'Bearer nothing')).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await getWithAuthorization(path, basic('no-colon'))).code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('digest ACLs', () => {
  it('keep a node unreadable without auth (NoAuth -102) and readable after addAuth digest', async () => {
    const path = uniquePath('digest');
    await alice.create(path, 'secret', { acl: [aliceAll] });
    await alice.create(`${path}/kid`, null, { acl: [aliceAll] });

    const stranger = await fresh();
    await expectKeeperError(stranger.getData(path), -102);
    await expectKeeperError(stranger.getChildren(path), -102);
    await expectKeeperError(stranger.setData(path, 'x'), -102);
    await expectKeeperError(stranger.create(`${path}/new`, null), -102);
    await expectKeeperError(stranger.delete(`${path}/kid`), -102);
    // exists needs no permission (as in ZooKeeper).
    expect(await stranger.exists(path)).not.toBeNull();
    // Unary calls carry only the transport identity.
    expectStatus(await rawUnary(raw, 'Get', { path, watch: false }), grpc.status.PERMISSION_DENIED, -102, 'NoAuth');
    await expectKeeperError(unary.get(path), -102);

    // A wrong password gives an identity that does not match.
    await stranger.addAuth('digest', 'alice:wrong');
    await expectKeeperError(stranger.getData(path), -102);

    await stranger.addAuth('digest', 'alice:alice-secret');
    expect(Buffer.from((await stranger.getData(path)).data!).toString()).toBe('secret');
    // Named by the user alone, as ZooKeeper's whoami does on every port (the hash stands in for a secret).
    expect((await stranger.whoAmI()).filter((info) => info.authScheme === 'digest').map((info) => info.user)).toEqual(['alice', 'alice']);
    await stranger.setData(path, 'changed');
    await stranger.delete(`${path}/kid`);
  });

  it('the auth scheme takes the creator identity, and needs one (InvalidACL -114 otherwise)', async () => {
    const path = uniquePath('creator');
    const created = await alice.create(path, null, { acl: CREATOR_ALL_ACL });
    expect(created.path).toBe(path);
    const { acl } = await alice.getACL(path);
    expect(acl).toEqual([{ perms: Perms.ALL, id: { scheme: 'digest', id: ALICE } }]);
    await expectKeeperError(anonymous.create(uniquePath('noauth'), null, { acl: CREATOR_ALL_ACL }), -114);
    await expectKeeperError(anonymous.getData(path), -102);
  });

  it('an unsupported auth scheme fails with AuthFailed', async () => {
    const client = await fresh();
    await expectKeeperError(client.addAuth('kerberos', 'whatever'), -115);
  });
});

describe('ip ACLs', () => {
  it('grant loopback clients what ip:127.0.0.1 allows, and nothing for other addresses', async () => {
    const local = uniquePath('ip');
    await anonymous.create(local, 'here', { acl: [{ perms: Perms.READ | Perms.WRITE | Perms.ADMIN, id: { scheme: 'ip', id: '127.0.0.1' } }] });
    expect(Buffer.from((await anonymous.getData(local)).data!).toString()).toBe('here');
    expect(Buffer.from((await unary.get(local)).data!).toString()).toBe('here');
    await unary.set(local, 'there');
    // CREATE was not granted.
    await expectKeeperError(anonymous.create(`${local}/kid`, null), -102);

    const subnet = uniquePath('ipnet');
    await anonymous.create(subnet, null, { acl: [{ perms: Perms.ALL, id: { scheme: 'ip', id: '127.0.0.0/8' } }] });
    await unary.create(`${subnet}/kid`, null);

    const remote = uniquePath('ipremote');
    await anonymous.create(remote, null, { acl: [{ perms: Perms.ALL, id: { scheme: 'ip', id: '10.1.2.3' } }] });
    await expectKeeperError(anonymous.getData(remote), -102);
    await expectKeeperError(unary.get(remote), -102);
  });
});

describe('the super digest from zoo.cfg', () => {
  it('grants every permission on every node', async () => {
    const path = uniquePath('super');
    await alice.create(path, 'alice only', { acl: [aliceAll] });
    await alice.create(`${path}/kid`, null, { acl: [{ perms: Perms.READ, id: { scheme: 'digest', id: ALICE } }] });
    const root = await fresh();
    await expectKeeperError(root.getData(path), -102);
    await root.addAuth('digest', 'super:super-secret');
    expect(Buffer.from((await root.getData(path)).data!).toString()).toBe('alice only');
    await root.setData(`${path}/kid`, 'written by super');
    const { acl } = await root.getACL(path);
    expect(acl).toEqual([aliceAll]); // ADMIN: unredacted
    await root.setACL(path, [worldRead, { perms: Perms.ALL, id: { scheme: 'digest', id: SUPER } }]);
    await root.delete(`${path}/kid`);
    expect(Buffer.from((await anonymous.getData(path)).data!).toString()).toBe('alice only');
    // A wrong super password is just another identity.
    const impostor = await fresh();
    await impostor.addAuth('digest', 'super:guess');
    await expectKeeperError(impostor.setData(path, 'no'), -102);
  });
});

describe('getACL', () => {
  it('shows digest ids as user:x to a reader without ADMIN, and in full with ADMIN', async () => {
    const path = uniquePath('redact');
    await alice.create(path, null, { acl: [aliceAll, worldRead] });
    const anonymousView = await anonymous.getACL(path);
    expect(anonymousView.acl).toEqual([{ perms: Perms.ALL, id: { scheme: 'digest', id: 'alice:x' } }, worldRead]);
    expect((await unary.getACL(path)).acl).toEqual(anonymousView.acl);
    const aliceView = await alice.getACL(path);
    expect(aliceView.acl).toEqual([aliceAll, worldRead]);
    expect(aliceView.stat).toEqual(anonymousView.stat);
  });

  it('needs READ or ADMIN, and setACL needs ADMIN', async () => {
    const path = uniquePath('aclperm');
    await alice.create(path, null, { acl: [aliceAll, { perms: Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }] });
    await expectKeeperError(anonymous.getACL(path), -102);
    await expectKeeperError(anonymous.setACL(path, [worldRead]), -102);
    expectStatus(await rawUnary(raw, 'SetACL', { path, acl: [worldRead], version: -1 }), grpc.status.PERMISSION_DENIED, -102, 'NoAuth');
    const stat = await alice.setACL(path, [aliceAll, worldRead], 0);
    expect(stat.aversion).toBe(1);
    expect((await anonymous.getACL(path)).stat.aversion).toBe(1);
  });
});
