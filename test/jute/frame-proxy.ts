// A TCP proxy that records the jute frames passing between a client and a server, per
// connection and direction, for captures and for debugging. Four-letter words are recorded as
// their raw bytes.

import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RecordedFrame {
  connection: number;
  /** 'client' for frames the client sent, 'server' for frames the server sent. */
  from: 'client' | 'server';
  hex: string;
}

export interface FrameProxy {
  port: number;
  frames: RecordedFrame[];
  /** Cuts every open connection (clients then reconnect, e.g. with setWatches). */
  dropConnections(): void;
  /** While blocked, the proxy cuts open connections and refuses new ones (a partition). */
  setBlocked(blocked: boolean): void;
  close(): Promise<void>;
}

class FrameSplitter {
  private pending = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const length = this.pending.readInt32BE(0);
      if (length < 0 || length > 16 * 1024 * 1024) {
        // Not a frame (a four-letter word, or garbage): record the rest as it is.
        this.onFrame(this.pending);
        this.pending = Buffer.alloc(0);
        return;
      }
      if (this.pending.length < 4 + length) return;
      this.onFrame(this.pending.subarray(0, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
  }
}

export async function startFrameProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FrameProxy> {
  const frames: RecordedFrame[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) {
      client.destroy();
      return;
    }
    const connection = connections++;
    const upstream = connect({ port: targetPort, host: targetHost });
    sockets.add(client);
    sockets.add(upstream);
    const fromClient = new FrameSplitter((frame) => frames.push({ connection, from: 'client', hex: frame.toString('hex') }));
    const fromServer = new FrameSplitter((frame) => frames.push({ connection, from: 'server', hex: frame.toString('hex') }));
    client.on('data', (chunk) => {
      fromClient.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      fromServer.push(chunk);
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    port: address.port,
    frames,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    setBlocked: (value) => {
      blocked = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
