// Which Driver speaks which protocol. Drivers are imported when first used: a generator process
// (or the bench itself, preparing keys) loads only the clients it runs.

import type { DriverFactory } from './driver.js';
import type { Protocol } from './protocol.js';

const DRIVERS: Record<Exclude<Protocol, 'rest'>, () => Promise<DriverFactory>> = {
  jute: async () => (await import('./jute-client.js')).connectJute,
  'cairn-stream': async () => (await import('./cairn-grpc.js')).connectCairnStream,
  'cairn-unary': async () => (await import('./cairn-grpc.js')).connectCairnUnary,
  'etcd-grpc': async () => (await import('./etcd-grpc.js')).connectEtcdGrpc,
};

export function driverFactory(protocol: Exclude<Protocol, 'rest'>): Promise<DriverFactory> {
  return DRIVERS[protocol]();
}
