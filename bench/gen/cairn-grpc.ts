// Cairn's gRPC API as a load generator's Driver: a Session stream (every call of a connection
// multiplexed on one bidirectional stream, as Cairn's own client does) or the unary calls (one
// HTTP/2 stream per call, as a client in any gRPC language does without a session).

import { CairnClient, CairnUnaryClient, isKeeperError } from '../../src/client/index.js';
import { DriverError, type Driver } from './driver.js';

/** A connection per driver, as the etcd driver has: grpc-js would share one per endpoint and process. */
const OWN_CONNECTION = { channelOptions: { 'grpc.use_local_subchannel_pool': 1 } };

function driverError(error: unknown): DriverError {
  if (isKeeperError(error)) return new DriverError(error.codeName, error.message);
  return new DriverError('unknown', error instanceof Error ? error.message : String(error));
}

function isNodeExists(error: unknown): boolean {
  return isKeeperError(error) && error.codeName === 'NodeExists';
}

function parents(prefix: string): string[] {
  const parts = prefix.split('/').filter((part) => part !== '');
  return parts.map((_, index) => `/${parts.slice(0, index + 1).join('/')}`);
}

/** The three calls a Cairn client makes for the bench, session stream or unary alike. */
interface CairnCalls {
  create(path: string, data: Uint8Array | null): Promise<unknown>;
  set(path: string, data: Uint8Array): Promise<unknown>;
  get(path: string): Promise<unknown>;
}

function cairnDriver(calls: CairnCalls, fail: (error: unknown) => never, broken: () => boolean, close: () => Promise<void>): Driver {
  return {
    get broken() {
      return broken();
    },
    async prepare(prefix) {
      for (const path of parents(prefix)) {
        await calls.create(path, null).catch((error: unknown) => {
          if (!isNodeExists(error)) fail(error);
        });
      }
    },
    async create(key, value) {
      await calls.create(key, value).catch(fail);
    },
    async write(key, value) {
      await calls.set(key, value).catch(fail);
    },
    async read(key) {
      await calls.get(key).catch(fail);
    },
    close,
  };
}

export async function connectCairnStream(endpoint: string): Promise<Driver> {
  const session = await CairnClient.connect(endpoint, { timeoutMs: 30_000, connectTimeoutMs: 10_000, ...OWN_CONNECTION });
  let closed = false;
  const fail = (error: unknown): never => {
    throw driverError(error);
  };
  const calls: CairnCalls = {
    create: (path, data) => session.create(path, data),
    set: (path, data) => session.setData(path, data),
    get: (path) => session.getData(path),
  };
  return cairnDriver(
    calls,
    fail,
    () => closed || session.ended !== undefined,
    async () => {
      if (closed) return;
      closed = true;
      if (session.ended !== undefined) return;
      await Promise.race([session.close(), new Promise((done) => setTimeout(done, 2_000).unref())]);
      session.destroy();
    },
  );
}

export async function connectCairnUnary(endpoint: string): Promise<Driver> {
  const client = new CairnUnaryClient(endpoint, { timeoutMs: 30_000, ...OWN_CONNECTION });
  let closed = false;
  let lost = false;
  const fail = (error: unknown): never => {
    const converted = driverError(error);
    if (converted.code === 'ConnectionLoss') lost = true;
    throw converted;
  };
  // The first call opens the channel; waiting for it here keeps connection set-up out of the window.
  await client.exists('/').catch(fail);
  const calls: CairnCalls = {
    create: (path, data) => client.create(path, data),
    set: (path, data) => client.set(path, data),
    get: (path) => client.get(path),
  };
  return cairnDriver(
    calls,
    fail,
    () => closed || lost,
    async () => {
      if (closed) return;
      closed = true;
      client.close();
    },
  );
}
