// The session stream over gRPC (Node): one Session call.

import type * as grpc from '@grpc/grpc-js';
import { keeperErrorFromStatus } from '../api/grpc/errors.js';
import type { ClientMessage } from '../api/grpc/generated/cairn/v1/ClientMessage.js';
import type { ServerMessage__Output } from '../api/grpc/generated/cairn/v1/ServerMessage.js';
import { keeperError } from '../core/errors.js';
import { makeGrpcClient, type ChannelSettings } from './channel.js';
import type { PipeFactory } from './pipe.js';

export function grpcPipe(address: string, settings: ChannelSettings = {}): PipeFactory {
  return (listener) => {
    // A session stream is never retried (a new stream is a reconnect, which the session decides).
    // grpc-js would still keep sent messages in a retry buffer that it re-slices on every send,
    // O(n) per message when thousands are pipelined; with no buffer, write() reports
    // back-pressure instead.
    const channelOptions = { 'grpc.enable_retries': 0, 'grpc.per_rpc_retry_buffer_size': 0, ...settings.channelOptions };
    const client = makeGrpcClient(address, { ...settings, channelOptions });
    const call: grpc.ClientDuplexStream<ClientMessage, ServerMessage__Output> = client.Session();
    let status: grpc.StatusObject | undefined;
    let closed = false;
    call.on('data', (message: ServerMessage__Output) => {
      if (!closed) listener.onMessage(message);
    });
    call.on('status', (received: grpc.StatusObject) => (status = received));
    call.on('error', () => undefined); // the same failure arrives as 'status'; 'end' acts on it
    call.on('end', () => {
      if (closed) return;
      closed = true;
      client.close();
      listener.onEnd(
        status === undefined || status.code === 0 ? keeperError('ConnectionLoss', undefined, 'the server ended the session stream') : keeperErrorFromStatus(status),
      );
    });
    call.on('drain', () => {
      if (!closed) listener.onDrain();
    });
    return {
      write: (message) => call.write(message),
      close: () => {
        if (closed) return;
        closed = true;
        call.end();
        call.cancel();
        client.close();
      },
    };
  };
}
