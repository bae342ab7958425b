// The SDK in Node: sessions over gRPC to servers given as host:port (the gRPC port), or over the
// WebSocket channel to servers given as ws:// or wss:// URLs (the HTTP port's /v1/ws).

import { WebSocket as NodeWebSocket } from 'ws';
import type { ChannelSettings } from './channel.js';
import { grpcPipe } from './grpc-pipe.js';
import type { PipeFactory } from './pipe.js';
import { Cairn, parseServers, type CairnOptions } from './sdk.js';
import { webSocketPipe, type WebSocketConstructor } from './ws-pipe.js';

export interface NodeCairnOptions extends CairnOptions {
  /** gRPC channel credentials and options (TLS: grpc.credentials.createSsl). */
  grpc?: ChannelSettings;
  /** For ws:// and wss:// servers: options of the `ws` package's WebSocket (e.g. ca, cert, key, headers). */
  webSocket?: Record<string, unknown>;
}

function isWebSocketUrl(server: string): boolean {
  return /^wss?:\/\//i.test(server);
}

/** The WebSocket class for Node: the ws package's, with the caller's options bound. */
function nodeWebSocket(options: Record<string, unknown>): WebSocketConstructor {
  return class extends NodeWebSocket {
    constructor(url: string, protocols: string | string[]) {
      super(url, protocols, options);
    }
  } as unknown as WebSocketConstructor;
}

/** Opens a session on one of `options.servers`; resolves once connected. */
export function connect(options: NodeCairnOptions): Promise<Cairn> {
  const servers = parseServers(options.servers);
  const WebSocket = nodeWebSocket(options.webSocket ?? {});
  const makePipe = (server: string): PipeFactory => (isWebSocketUrl(server) ? webSocketPipe(server, { WebSocket }) : grpcPipe(server, options.grpc ?? {}));
  return Cairn.connectWith(makePipe, { ...options, servers });
}
