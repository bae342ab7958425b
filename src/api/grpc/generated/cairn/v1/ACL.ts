// Original file: proto/cairn.proto

import type { Id as _cairn_v1_Id, Id__Output as _cairn_v1_Id__Output } from '../../cairn/v1/Id.js';

/**
 * One ACL entry: permission bits (READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16, ALL 31)
 * granted to an identity.
 */
export interface ACL {
  'perms'?: (number);
  'id'?: (_cairn_v1_Id | null);
}

/**
 * One ACL entry: permission bits (READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16, ALL 31)
 * granted to an identity.
 */
export interface ACL__Output {
  'perms': (number);
  'id': (_cairn_v1_Id__Output | null);
}
