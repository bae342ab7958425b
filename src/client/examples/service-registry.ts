// A service registry with client-side load balancing (Curator x-discovery's layout, so Java
// services using Curator find these instances and the other way round):
//
//   node dist/src/client/examples/service-registry.js register NAME ID PORT   registers until stopped
//   node dist/src/client/examples/service-registry.js call NAME N             picks N instances, round robin

import { ServiceDiscovery, serviceInstance } from '../recipes/discovery.js';
import { runExample, say, forever } from './common.js';

void runExample('usage: service-registry (register NAME ID PORT | call NAME N) [--server HOST:PORT]', 3, async (client, [command, name, third, fourth]) => {
  const discovery = new ServiceDiscovery(client, '/services');
  if (command === 'register') {
    await discovery.register(serviceInstance({ name: name!, id: third!, address: '127.0.0.1', port: Number(fourth), uriSpec: '{scheme}://{address}:{port}' }));
    say(`registered ${name}/${third}`);
    await forever();
  }
  const provider = discovery.provider(name!);
  await provider.start();
  for (let index = 0; index < Number(third); index++) {
    const instance = provider.getInstance();
    say(instance === null ? 'none' : `${instance.id} ${instance.address}:${instance.port}`);
  }
  await provider.close();
});
