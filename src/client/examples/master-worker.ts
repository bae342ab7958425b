// The master–worker pattern: a master (elected, with fail-over) assigns the tasks under /mw/tasks
// to the live workers (/mw/workers/<id>, ephemeral) by creating /mw/assign/<worker>/<task>; a
// worker does its tasks and reports /mw/status/<task>. When a worker dies, its ephemeral goes and
// the master gives its unfinished tasks to another.
//
//   node dist/src/client/examples/master-worker.js master ID
//   node dist/src/client/examples/master-worker.js worker ID
//   node dist/src/client/examples/master-worker.js submit TASK…
//   node dist/src/client/examples/master-worker.js status N    waits for N finished tasks and prints who did them

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import type { Cairn } from '../sdk.js';
import { LeaderLatch } from '../recipes/leader.js';
import { createWithParents } from '../recipes/paths.js';
import { runExample, say, forever } from './common.js';

const ROOT = '/mw';
const TEXT = new TextDecoder();

async function ensure(client: Cairn, path: string): Promise<void> {
  await createWithParents(client, path, null, CreateMode.PERSISTENT).catch((error: unknown) => {
    if (!(isKeeperError(error) && error.codeName === 'NodeExists')) throw error;
  });
}

async function childrenOf(client: Cairn, path: string): Promise<string[]> {
  try {
    return (await client.getChildren(path)).children.sort();
  } catch (error) {
    if (isKeeperError(error) && error.codeName === 'NoNode') return [];
    throw error;
  }
}

/** Calls `onChange` now and whenever the children of any of `paths` change, one call at a time. */
function onChildrenChange(client: Cairn, paths: string[], onChange: () => Promise<void>): void {
  let running = false;
  let again = false;
  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      await onChange().catch(() => (again = true));
    } while (again);
    running = false;
  };
  for (const path of paths) {
    void (async () => {
      for (;;) {
        try {
          const { watch } = await client.getChildren(path, { watch: true });
          await run();
          await watch;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    })();
  }
}

async function master(client: Cairn, id: string): Promise<void> {
  const latch = new LeaderLatch(client, `${ROOT}/master`, id);
  await latch.start();
  await latch.await();
  say(`${id} is the master`);
  let next = 0;
  onChildrenChange(client, [`${ROOT}/tasks`, `${ROOT}/workers`, `${ROOT}/status`], async () => {
    const workers = await childrenOf(client, `${ROOT}/workers`);
    const done = new Set(await childrenOf(client, `${ROOT}/status`));
    const assigned = new Map<string, string>();
    for (const worker of await childrenOf(client, `${ROOT}/assign`)) {
      for (const task of await childrenOf(client, `${ROOT}/assign/${worker}`)) {
        if (workers.includes(worker) || done.has(task)) assigned.set(task, worker);
        else {
          // A dead worker's unfinished task: take it back, to give it to a live one below.
          await client.delete(`${ROOT}/assign/${worker}/${task}`).catch(() => undefined);
          say(`reassigning ${task} from ${worker}`);
        }
      }
    }
    if (workers.length === 0) return;
    for (const task of await childrenOf(client, `${ROOT}/tasks`)) {
      if (done.has(task) || assigned.has(task)) continue;
      const worker = workers[next++ % workers.length]!;
      await createWithParents(client, `${ROOT}/assign/${worker}/${task}`, null, CreateMode.PERSISTENT).catch(() => undefined);
      say(`assigned ${task} to ${worker}`);
    }
  });
  await forever();
}

async function worker(client: Cairn, id: string): Promise<void> {
  await ensure(client, `${ROOT}/assign/${id}`);
  await createWithParents(client, `${ROOT}/workers/${id}`, null, CreateMode.EPHEMERAL);
  say(`${id} is working`);
  onChildrenChange(client, [`${ROOT}/assign/${id}`], async () => {
    for (const task of await childrenOf(client, `${ROOT}/assign/${id}`)) {
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.WORK_MS ?? 100))); // the work
      await createWithParents(client, `${ROOT}/status/${task}`, `done by ${id}`, CreateMode.PERSISTENT).catch(() => undefined);
      await client.delete(`${ROOT}/assign/${id}/${task}`).catch(() => undefined);
      say(`${id} did ${task}`);
    }
  });
  await forever();
}

void runExample('usage: master-worker (master ID | worker ID | submit TASK… | status N) [--server HOST:PORT]', 2, async (client, [role, ...rest]) => {
  for (const path of ['tasks', 'workers', 'assign', 'status']) await ensure(client, `${ROOT}/${path}`);
  switch (role) {
    case 'master':
      return master(client, rest[0]!);
    case 'worker':
      return worker(client, rest[0]!);
    case 'submit':
      for (const task of rest) await createWithParents(client, `${ROOT}/tasks/${task}`, null, CreateMode.PERSISTENT);
      return;
    default: {
      const wanted = Number(rest[0]);
      for (;;) {
        const { children, watch } = await client.getChildren(`${ROOT}/status`, { watch: true });
        if (children.length >= wanted) {
          for (const task of children.sort()) say(`${task}: ${TEXT.decode((await client.getData(`${ROOT}/status/${task}`)).data ?? new Uint8Array(0))}`);
          return;
        }
        await watch;
      }
    }
  }
});
