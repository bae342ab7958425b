// One order per session for responses and events, as ZooKeeper sends them: when a batch of the
// session's own writes is applied, each write's response goes out before the event of any later
// write of the batch.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { RawSession, uniquePath } from './grpc-helpers.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  if (server !== undefined) {
    await server.stop();
    await removeDir(server.dataDir);
  }
});

describe('responses and events on one session stream', () => {
  it('keep the order in which the server applied the writes', async () => {
    const parent = uniquePath('order-batch');
    const session = new RawSession(server.grpcAddress);
    try {
      await session.connect();
      const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
      await session.response(session.send({ create: { path: parent, acl: open, mode: 0 } }));
      await session.response(session.send({ addWatch: { path: parent, mode: 1 } }));
      const count = 200;
      // Pipelined, so that many are made durable by one fsync and applied back to back.
      const xids = Array.from({ length: count }, (_, index) => session.send({ create: { path: `${parent}/c${index}`, data: Buffer.from('x'), acl: open, mode: 0 } }));
      const responses = await Promise.all(xids.map((xid) => session.response(xid)));
      await session.until(() => session.messages.filter((message) => message.kind === 'event').length >= count, 15_000, 'every event');
      const eventIndex = (index: number) => session.messages.findIndex((message) => message.kind === 'event' && message.event!.path === `${parent}/c${index}`);
      for (let index = 0; index + 1 < count; index++) {
        expect(responses[index]!.response.error ?? null).toBeNull();
        expect(responses[index]!.index, `the response to create c${index} comes before the event for c${index + 1}`).toBeLessThan(eventIndex(index + 1));
      }
    } finally {
      session.close();
    }
  });
});
