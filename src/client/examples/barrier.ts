// A barrier for a group of processes (Curator's DistributedDoubleBarrier): none starts its phase
// before all N have arrived, and none goes on before all N have finished it.
//
//   node dist/src/client/examples/barrier.js NAME N

import { DoubleBarrier } from '../recipes/barrier.js';
import { runExample, say } from './common.js';

void runExample('usage: barrier NAME N [--server HOST:PORT]', 2, async (client, [name, count]) => {
  const barrier = new DoubleBarrier(client, `/barriers/${name}`, Number(count));
  await barrier.enter();
  say(`started ${Date.now()}`);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the phase's work
  await barrier.leave();
  say(`finished ${Date.now()}`);
});
