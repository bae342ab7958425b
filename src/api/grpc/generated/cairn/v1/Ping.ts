// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A heartbeat. `id` is the client's (a counter or a timestamp) and is echoed back.
 */
export interface Ping {
  'id'?: (number | string | Long);
}

/**
 * A heartbeat. `id` is the client's (a counter or a timestamp) and is echoed back.
 */
export interface Ping__Output {
  'id': (number);
}
