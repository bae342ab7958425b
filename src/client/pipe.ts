// What carries one session stream: the gRPC Session call in Node, a WebSocket in browsers (or in
// Node). A pipe moves whole cairn.v1 messages, in the shape the gRPC loader gives them (longs and
// enums as numbers, defaults filled, oneof names), so one session implementation serves both.

import type { ClientMessage } from '../api/grpc/generated/cairn/v1/ClientMessage.js';
import type { ServerMessage__Output } from '../api/grpc/generated/cairn/v1/ServerMessage.js';
import type { KeeperError } from '../core/errors.js';

export interface MessagePipe {
  /** Queues a message; false asks the writer to wait for onDrain. */
  write(message: ClientMessage): boolean;
  /** Drops the transport; no callback follows. */
  close(): void;
}

export interface PipeListener {
  onMessage(message: ServerMessage__Output): void;
  /** The transport ended (the server closed it, or it broke), with the error it stands for. */
  onEnd(error: KeeperError): void;
  onDrain(): void;
}

/** Opens a pipe to one server. */
export type PipeFactory = (listener: PipeListener) => MessagePipe;
