// The session stream over WebSocket: GET /v1/ws on a server's HTTP port, binary protobuf frames
// (subprotocol cairn.v1.proto). Runs wherever a WebSocket does: the browser's own, or in Node a
// compatible class passed in (the `ws` package's).

import protobuf from 'protobufjs/light.js';
import type { ClientMessage } from '../api/grpc/generated/cairn/v1/ClientMessage.js';
import type { ServerMessage__Output } from '../api/grpc/generated/cairn/v1/ServerMessage.js';
import { CAIRN_SCHEMA } from '../api/grpc/generated/cairn-schema.js';
import { KeeperError, keeperError } from '../core/errors.js';
import { errorByCode, type ErrorName } from '../core/errors.js';
import type { PipeFactory } from './pipe.js';

export const WEBSOCKET_SUBPROTOCOL = 'cairn.v1.proto';

/** What this pipe needs of a WebSocket: the browser's API. */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string, protocols: string | string[]) => WebSocketLike;

export interface WebSocketPipeOptions {
  /** The WebSocket class; the global one (browsers, Node 22) when absent. */
  WebSocket?: WebSocketConstructor;
  /** Bytes queued in the socket before writes report back-pressure. */
  highWaterBytes?: number;
}

const LOADER_SHAPE: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: true, oneofs: true };
const OPEN = 1;
const ZOOKEEPER_CLOSE_BASE = 4000;

let types: { client: protobuf.Type; server: protobuf.Type } | undefined;

function messageTypes(): { client: protobuf.Type; server: protobuf.Type } {
  if (types === undefined) {
    const root = protobuf.Root.fromJSON(CAIRN_SCHEMA as protobuf.INamespace);
    types = { client: root.lookupType('cairn.v1.ClientMessage'), server: root.lookupType('cairn.v1.ServerMessage') };
  }
  return types;
}

/** A close frame → the error it stands for (the server closes with 4000 + |ZooKeeper code|). */
export function closeError(code: number, reason: string): KeeperError {
  if (code > ZOOKEEPER_CLOSE_BASE && code < ZOOKEEPER_CLOSE_BASE + 1000) {
    const spec = errorByCode(ZOOKEEPER_CLOSE_BASE - code);
    if (spec !== undefined) return new KeeperError(spec.name as ErrorName, reason === '' ? spec.description : reason);
  }
  const what = code === 1000 ? 'the server closed the WebSocket' : `the WebSocket closed with ${code}`;
  return keeperError('ConnectionLoss', undefined, reason === '' ? what : `${what}: ${reason}`);
}

export function webSocketPipe(url: string, options: WebSocketPipeOptions = {}): PipeFactory {
  return (listener) => {
    const Socket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Socket === undefined) throw new Error('no WebSocket class: pass one (e.g. the ws package\'s) as options.WebSocket');
    const { client, server } = messageTypes();
    const highWater = options.highWaterBytes ?? 1 << 20;
    const socket = new Socket(url, WEBSOCKET_SUBPROTOCOL);
    socket.binaryType = 'arraybuffer';
    const early: Uint8Array[] = [];
    let ended = false;
    let drainTimer: ReturnType<typeof setInterval> | undefined;
    const end = (error: KeeperError) => {
      if (ended) return;
      ended = true;
      if (drainTimer !== undefined) clearInterval(drainTimer);
      listener.onEnd(error);
    };
    const send = (frame: Uint8Array) => {
      if (socket.readyState === OPEN) socket.send(frame);
      else early.push(frame);
    };
    socket.onopen = () => {
      for (const frame of early.splice(0)) socket.send(frame);
    };
    socket.onmessage = (event) => {
      if (ended) return;
      const data = event.data;
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined;
      if (bytes === undefined) {
        socket.close(1007, 'expected binary frames');
        end(keeperError('MarshallingError', undefined, 'the server sent a text frame on the binary subprotocol'));
        return;
      }
      let message: ServerMessage__Output;
      try {
        message = server.toObject(server.decode(bytes), LOADER_SHAPE) as ServerMessage__Output;
      } catch (error) {
        socket.close(1007, 'undecodable frame');
        end(keeperError('MarshallingError', undefined, `not a cairn.v1.ServerMessage: ${(error as Error).message}`));
        return;
      }
      listener.onMessage(message);
    };
    socket.onclose = (event) => end(closeError(event.code, event.reason));
    socket.onerror = () => undefined; // a close follows with the code
    return {
      write: (message: ClientMessage) => {
        send(client.encode(client.fromObject(message as Record<string, unknown>)).finish());
        if (socket.bufferedAmount < highWater) return true;
        // Browsers have no drain event: poll until the socket's buffer has room again.
        drainTimer ??= setInterval(() => {
          if (socket.bufferedAmount >= highWater / 2) return;
          clearInterval(drainTimer);
          drainTimer = undefined;
          if (!ended) listener.onDrain();
        }, 10);
        return false;
      },
      close: () => {
        ended = true;
        if (drainTimer !== undefined) clearInterval(drainTimer);
        socket.onmessage = null;
        socket.onclose = null;
        socket.close(1000, 'client closed');
      },
    };
  };
}
