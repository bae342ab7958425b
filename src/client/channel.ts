// What the session client and the unary client share: the generated gRPC client, channel
// options, and the conversions of convenient arguments into core values.

import * as grpc from '@grpc/grpc-js';
import { loadCairnProto } from '../api/grpc/loader.js';
import type { CairnClient as GeneratedCairnClient } from '../api/grpc/generated/cairn/v1/Cairn.js';
import { OPEN_ACL_UNSAFE, type ACL, type Data } from '../core/types.js';

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

/** Node data as callers like to give it: bytes, text (UTF-8) or null. */
export type DataInput = Uint8Array | string | null;

export function toData(data: DataInput): Data {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

export interface CreateOptions {
  /** A CreateMode number; PERSISTENT when absent. */
  mode?: number;
  /** world:anyone ALL when absent. */
  acl?: readonly ACL[];
  /** Milliseconds, for the TTL modes. */
  ttl?: number;
}

export function defaultAcl(acl: readonly ACL[] | undefined): ACL[] {
  return [...(acl ?? OPEN_ACL_UNSAFE)];
}
