// The SDK in a browser: sessions over the WebSocket channel (GET /v1/ws on a server's HTTP port),
// with the page's own WebSocket. Bundled by `npm run build` into dist/browser/cairn-client.js.

import type { PipeFactory } from './pipe.js';
import { Cairn, parseServers, type CairnOptions } from './sdk.js';
import { webSocketPipe } from './ws-pipe.js';

/**
 * Opens a session on one of `options.servers`: ws:// or wss:// URLs of /v1/ws, or host:port of
 * HTTP ports (then ws:// on an http: page and wss:// on an https: one); resolves once connected.
 */
export function connect(options: CairnOptions): Promise<Cairn> {
  const secure = typeof location !== 'undefined' && location.protocol === 'https:';
  const servers = parseServers(options.servers).map((server) => (/^wss?:\/\//i.test(server) ? server : `${secure ? 'wss' : 'ws'}://${server}/v1/ws`));
  const makePipe = (server: string): PipeFactory => webSocketPipe(server);
  return Cairn.connectWith(makePipe, { ...options, servers });
}

export * from './public.js';
