// Persistent watches report changes anywhere under their path; a watcher must only hear of
// nodes it may read (and of deletions only where it may list the parent).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CairnClient } from '../../src/client/session.js';
import { digest } from '../../src/core/acl.js';
import { AddWatchMode, EventType, Perms, type ACL, type WatchEvent } from '../../src/core/types.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { connect, uniquePath } from './grpc-helpers.js';

const OWNER = digest('owner', 'owner-secret');
const ownerOnly: ACL = { perms: Perms.ALL, id: { scheme: 'digest', id: OWNER } };
const open: ACL = { perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } };

let server: ServerProcess;
let owner: CairnClient;
let stranger: CairnClient;

beforeAll(async () => {
  server = await startServerProcess();
  owner = await connect(server.grpcAddress);
  await owner.addAuth('digest', 'owner:owner-secret');
  stranger = await connect(server.grpcAddress);
});

afterAll(async () => {
  for (const client of [owner, stranger]) await client?.close().catch(() => undefined);
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

describe('persistent recursive watches and ACLs', () => {
  it('deliver events only for nodes the watcher may read', async () => {
    const root = uniquePath('watch-acl');
    await owner.create(root, null, { acl: [open] });
    const strangerEvents: WatchEvent[] = [];
    const ownerEvents: WatchEvent[] = [];
    stranger.on('event', (event) => strangerEvents.push(event));
    owner.on('event', (event) => ownerEvents.push(event));
    await stranger.addWatch(root, AddWatchMode.PERSISTENT_RECURSIVE);
    await owner.addWatch(root, AddWatchMode.PERSISTENT_RECURSIVE);

    await owner.create(`${root}/secret`, 'x', { acl: [ownerOnly] });
    await owner.setData(`${root}/secret`, 'y');
    await owner.create(`${root}/secret/inner`, null, { acl: [open] });
    await owner.delete(`${root}/secret/inner`);
    await owner.create(`${root}/public`, 'p', { acl: [open] });

    // The owner hears all five; the stranger hears only the public node (the inner node's
    // creation is readable, but its deletion is under a parent the stranger may not list).
    await waitFor(() => ownerEvents.length >= 5 && strangerEvents.some((event) => event.path === `${root}/public`), 20_000, 'watch events');
    expect(ownerEvents.map((event) => [event.type, event.path])).toEqual([
      [EventType.NodeCreated, `${root}/secret`],
      [EventType.NodeDataChanged, `${root}/secret`],
      [EventType.NodeCreated, `${root}/secret/inner`],
      [EventType.NodeDeleted, `${root}/secret/inner`],
      [EventType.NodeCreated, `${root}/public`],
    ]);
    expect(strangerEvents.map((event) => [event.type, event.path])).toEqual([
      [EventType.NodeCreated, `${root}/secret/inner`],
      [EventType.NodeCreated, `${root}/public`],
    ]);
  });
});
