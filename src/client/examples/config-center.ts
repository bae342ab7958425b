// A configuration center with live reload: every key of an application's configuration is a node
// under /config/<app>; a service follows it with a TreeCache and reloads on each change.
//
//   node dist/src/client/examples/config-center.js set APP KEY VALUE
//   node dist/src/client/examples/config-center.js follow APP     prints the whole config as JSON, again on every change

import { isKeeperError } from '../../core/errors.js';
import { CreateMode } from '../../core/types.js';
import { TreeCache } from '../recipes/cache.js';
import { createWithParents } from '../recipes/paths.js';
import { runExample, say, forever } from './common.js';

const TEXT = new TextDecoder();

void runExample('usage: config-center (set APP KEY VALUE | follow APP) [--server HOST:PORT]', 2, async (client, [command, app, key, value]) => {
  const root = `/config/${app}`;
  if (command === 'set') {
    try {
      await client.setData(`${root}/${key}`, value ?? '');
    } catch (error) {
      if (!(isKeeperError(error) && error.codeName === 'NoNode')) throw error;
      await createWithParents(client, `${root}/${key}`, value ?? '', CreateMode.PERSISTENT);
    }
    return;
  }
  const cache = new TreeCache(client, root);
  const print = () => {
    const config: Record<string, string> = {};
    for (const name of cache.children(root).sort()) config[name] = TEXT.decode(cache.get(`${root}/${name}`)?.data ?? new Uint8Array(0));
    say(JSON.stringify(config));
  };
  await createWithParents(client, root, null, CreateMode.PERSISTENT).catch(() => undefined);
  await cache.start();
  print();
  // Reload on every change (a real service would apply the new config here).
  cache.on('added', print);
  cache.on('updated', print);
  cache.on('removed', print);
  await forever();
});
