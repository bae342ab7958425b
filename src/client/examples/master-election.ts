// Master election with fail-over: every process joins a LeaderLatch; the leader says so and works
// as master until it dies, when the next one takes over.
//
//   node dist/src/client/examples/master-election.js ID

import { LeaderLatch } from '../recipes/leader.js';
import { runExample, say, forever } from './common.js';

void runExample('usage: master-election ID [--server HOST:PORT]', 1, async (client, [id]) => {
  const latch = new LeaderLatch(client, '/election/master', id);
  latch.on('isLeader', () => say(`${id} is the master`));
  latch.on('notLeader', () => say(`${id} is no longer the master`));
  await latch.start();
  say(`${id} joined`);
  await forever();
});
