// A FIFO work queue (Curator's DistributedQueue layout): producers put jobs, any number of workers
// take them, each job once, in order.
//
//   node dist/src/client/examples/work-queue.js put JOB…
//   node dist/src/client/examples/work-queue.js work N     takes N jobs and prints them

import { DistributedQueue, TEXT_SERIALIZER } from '../recipes/queue.js';
import { runExample, say } from './common.js';

void runExample('usage: work-queue (put JOB… | work N) [--server HOST:PORT]', 2, async (client, [command, ...rest]) => {
  const queue = new DistributedQueue(client, '/jobs', TEXT_SERIALIZER);
  if (command === 'put') {
    for (const job of rest) await queue.put(job);
    return;
  }
  for (let index = 0; index < Number(rest[0]); index++) {
    const job = await queue.take();
    say(`done ${job}`);
  }
});
