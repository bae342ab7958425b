// Globally unique, increasing IDs from sequential nodes (ZooKeeper's naming recipe): each create
// under /ids gets the parent's next 10-digit counter; the node itself is not needed afterwards.
//
//   node dist/src/client/examples/unique-ids.js N     prints N IDs

import { CreateMode } from '../../core/types.js';
import { createWithParents } from '../recipes/paths.js';
import { runExample, say } from './common.js';

void runExample('usage: unique-ids N [--server HOST:PORT]', 1, async (client, [count]) => {
  for (let index = 0; index < Number(count); index++) {
    const path = await createWithParents(client, '/ids/id-', null, CreateMode.PERSISTENT_SEQUENTIAL);
    await client.delete(path);
    say(String(Number(path.slice('/ids/id-'.length))));
  }
});
