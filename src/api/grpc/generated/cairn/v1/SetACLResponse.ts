// Original file: proto/cairn.proto

import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from '../../cairn/v1/Stat.js';

/**
 * The node's Stat after the change.
 */
export interface SetACLResponse {
  'stat'?: (_cairn_v1_Stat | null);
}

/**
 * The node's Stat after the change.
 */
export interface SetACLResponse__Output {
  'stat': (_cairn_v1_Stat__Output | null);
}
