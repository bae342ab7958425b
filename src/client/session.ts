// A session over one gRPC Session stream (Node): the connection of connection.ts on a grpc-js
// call. Tools and tests that want exactly one stream use it; applications use the SDK (sdk.ts),
// which reconnects.

import { grpcPipe } from './grpc-pipe.js';
import { SessionConnection, type SessionOptions } from './connection.js';

export { type SessionOptions, type SessionEnd, type CairnClientEvents } from './connection.js';

export class CairnClient extends SessionConnection {
  /** Open (or resume) a session over gRPC; resolves once the server sent `connected`. */
  static async connect(address: string, options: SessionOptions): Promise<CairnClient> {
    const client = new CairnClient(grpcPipe(address, options), options);
    await client.open();
    return client;
  }
}
