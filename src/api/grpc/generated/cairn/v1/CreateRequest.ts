// Original file: proto/cairn.proto

import type { ACL as _cairn_v1_ACL, ACL__Output as _cairn_v1_ACL__Output } from '../../cairn/v1/ACL.js';
import type { CreateMode as _cairn_v1_CreateMode, CreateMode__Output as _cairn_v1_CreateMode__Output } from '../../cairn/v1/CreateMode.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Create a node. An empty `acl` means world:anyone ALL (an open node); it is not inherited
 * from the parent, as in ZooKeeper.
 */
export interface CreateRequest {
  'path'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  'acl'?: (_cairn_v1_ACL)[];
  'mode'?: (_cairn_v1_CreateMode);
  /**
   * Milliseconds; required (> 0) for the TTL modes, 0 otherwise.
   */
  'ttl'?: (number | string | Long);
  '_data'?: "data";
}

/**
 * Create a node. An empty `acl` means world:anyone ALL (an open node); it is not inherited
 * from the parent, as in ZooKeeper.
 */
export interface CreateRequest__Output {
  'path': (string);
  'data'?: (Buffer);
  'acl': (_cairn_v1_ACL__Output)[];
  'mode': (_cairn_v1_CreateMode__Output);
  /**
   * Milliseconds; required (> 0) for the TTL modes, 0 otherwise.
   */
  'ttl': (number);
  '_data'?: "data";
}
