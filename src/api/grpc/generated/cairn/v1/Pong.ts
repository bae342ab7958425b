// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The answer to a ping: the echoed id and the server's last applied zxid.
 */
export interface Pong {
  'id'?: (number | string | Long);
  'zxid'?: (number | string | Long);
}

/**
 * The answer to a ping: the echoed id and the server's last applied zxid.
 */
export interface Pong__Output {
  'id': (number);
  'zxid': (number);
}
