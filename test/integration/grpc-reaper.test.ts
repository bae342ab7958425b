// Containers and TTL nodes through gRPC against a real server process that reaps every 200 ms
// (znode.container.checkIntervalMs=200) and allows TTL nodes (extendedTypesEnabled=true).
// "Not removed" is shown without sleeping: another node, made removable later, is seen removed
// first, so the reaper has run since the kept node became what it is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnClient } from '../../src/client/session.js';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { CreateMode, EventType } from '../../src/core/types.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { connect, EventLog, expectKeeperError, uniquePath } from './grpc-helpers.js';

let server: ServerProcess;
let client: CairnClient;
let log: EventLog;
let unary: CairnUnaryClient;

beforeAll(async () => {
  server = await startServerProcess({ config: { extendedTypesEnabled: true, 'znode.container.checkIntervalMs': 200 } });
  client = await connect(server.grpcAddress);
  log = new EventLog(client);
  unary = new CairnUnaryClient(server.grpcAddress, { timeoutMs: 15_000 });
});

afterAll(async () => {
  await client?.close().catch(() => undefined);
  unary?.close();
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

async function gone(path: string, what: string): Promise<void> {
  await waitFor(async () => (await client.exists(path)) === null, 20_000, what);
}

/** A container that had a child, now removable: once it is gone, the reaper has run since. */
async function reaperRound(): Promise<void> {
  const probe = uniquePath('probe');
  await client.create(probe, null, { mode: CreateMode.CONTAINER });
  await client.create(`${probe}/x`, null);
  await client.delete(`${probe}/x`);
  await gone(probe, 'a reaper round');
}

describe('containers', () => {
  it('are removed once their last child is gone, with NodeDeleted for watchers; never-used ones stay', async () => {
    const unused = uniquePath('unused');
    await client.create(unused, null, { mode: CreateMode.CONTAINER });
    const container = uniquePath('container');
    const created = await client.create(container, 'c', { mode: CreateMode.CONTAINER });
    expect(created.stat.ephemeralOwner).toBe(0);
    await client.create(`${container}/a`, null);
    await client.create(`${container}/b`, null);
    await client.delete(`${container}/a`);
    // One child left: the container stays (proved by a later container being reaped first).
    await reaperRound();
    expect(await client.exists(container)).not.toBeNull();

    const from = log.events.length;
    await client.exists(container, { watch: true });
    await client.delete(`${container}/b`);
    const deleted = await log.waitFor((event) => event.path === container, 'the container NodeDeleted', 20_000, from);
    expect(deleted.type).toBe(EventType.NodeDeleted);
    expect(await client.exists(container)).toBeNull();

    await reaperRound();
    expect(await client.exists(unused)).not.toBeNull();
  });

  it('can be created through the unary call and the container is reaped the same way', async () => {
    const container = uniquePath('ucontainer');
    await unary.create(container, null, { mode: CreateMode.CONTAINER });
    await unary.create(`${container}/kid`, null);
    await unary.delete(`${container}/kid`);
    await waitFor(async () => (await unary.exists(container)) === null, 20_000, 'the unary container to go');
  });
});

describe('TTL nodes', () => {
  it('are removed after their TTL when childless and unmodified', async () => {
    const path = uniquePath('ttl');
    const createdAt = Date.now();
    await client.create(path, 'short-lived', { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 600 });
    const from = log.events.length;
    await client.exists(path, { watch: true });
    await log.waitFor((event) => event.path === path, 'the TTL NodeDeleted', 20_000, from);
    expect(Date.now() - createdAt).toBeGreaterThanOrEqual(550);
    expect(await client.exists(path)).toBeNull();
  });

  it('are sequential with PERSISTENT_SEQUENTIAL_WITH_TTL, and kept while they have children', async () => {
    const parent = uniquePath('ttlseq');
    await client.create(parent, null);
    const seq = await client.create(`${parent}/t-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl: 300 });
    expect(seq.path).toBe(`${parent}/t-0000000000`);
    const holder = await unary.create(`${parent}/holder`, null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 300 });
    await client.create(`${holder.path}/kid`, null);
    await gone(seq.path, 'the sequential TTL node');
    // Past its TTL, but it has a child; a later reaper round proves it was considered.
    await reaperRound();
    expect(await client.exists(holder.path)).not.toBeNull();
    await client.delete(`${holder.path}/kid`);
    await gone(holder.path, 'the TTL node once childless');
  });

  it('refuses a missing or out-of-range TTL, and a TTL on a mode without one (BadArguments)', async () => {
    const path = uniquePath('badttl');
    await expectKeeperError(client.create(path, null, { mode: CreateMode.PERSISTENT_WITH_TTL }), -8);
    await expectKeeperError(client.create(path, null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: -5 }), -8);
    await expectKeeperError(client.create(path, null, { mode: CreateMode.PERSISTENT, ttl: 1_000 }), -8);
    await expectKeeperError(unary.create(path, null, { mode: CreateMode.PERSISTENT_WITH_TTL, ttl: 0 }), -8);
    expect(await client.exists(path)).toBeNull();
  });
});
