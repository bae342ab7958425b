// Original file: proto/cairn.proto

import type { ACL as _cairn_v1_ACL, ACL__Output as _cairn_v1_ACL__Output } from '../../cairn/v1/ACL.js';
import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from '../../cairn/v1/Stat.js';

export interface GetACLResponse {
  'acl'?: (_cairn_v1_ACL)[];
  'stat'?: (_cairn_v1_Stat | null);
}

export interface GetACLResponse__Output {
  'acl': (_cairn_v1_ACL__Output)[];
  'stat': (_cairn_v1_Stat__Output | null);
}
