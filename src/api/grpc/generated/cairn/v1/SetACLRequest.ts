// Original file: proto/cairn.proto

import type { ACL as _cairn_v1_ACL, ACL__Output as _cairn_v1_ACL__Output } from '../../cairn/v1/ACL.js';

/**
 * Replace a node's ACL; `version` is checked against the ACL version (aversion).
 */
export interface SetACLRequest {
  'path'?: (string);
  'acl'?: (_cairn_v1_ACL)[];
  'version'?: (number);
  '_version'?: "version";
}

/**
 * Replace a node's ACL; `version` is checked against the ACL version (aversion).
 */
export interface SetACLRequest__Output {
  'path': (string);
  'acl': (_cairn_v1_ACL__Output)[];
  'version'?: (number);
  '_version'?: "version";
}
