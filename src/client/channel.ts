// The gRPC side of the clients: the generated gRPC client and its channel options.

import * as grpc from '@grpc/grpc-js';
import { loadCairnProto } from '../api/grpc/loader.js';
import type { CairnClient as GeneratedCairnClient } from '../api/grpc/generated/cairn/v1/Cairn.js';

export interface ChannelSettings {
  /** Insecure unless given. */
  credentials?: grpc.ChannelCredentials;
  /** Extra grpc-js channel options; they override the defaults below. */
  channelOptions?: grpc.ChannelOptions;
}

// Keep quiet connections alive through proxies, as the server does; answers may be large (a
// getChildren of a big node), so do not cap what the client receives.
const DEFAULT_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': -1,
};

export type GrpcCairnClient = GeneratedCairnClient;

export function makeGrpcClient(address: string, settings: ChannelSettings): GrpcCairnClient {
  const { grpcObject } = loadCairnProto();
  return new grpcObject.cairn.v1.Cairn(address, settings.credentials ?? grpc.credentials.createInsecure(), {
    ...DEFAULT_CHANNEL_OPTIONS,
    ...settings.channelOptions,
  });
}

export { defaultAcl, toData, type CreateOptions, type DataInput } from './data.js';
