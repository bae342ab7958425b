// Original file: proto/cairn.proto

import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from '../../cairn/v1/Stat.js';

/**
 * Child names (not full paths), in no particular order, and the parent's Stat.
 */
export interface GetChildrenResponse {
  'children'?: (string)[];
  'stat'?: (_cairn_v1_Stat | null);
}

/**
 * Child names (not full paths), in no particular order, and the parent's Stat.
 */
export interface GetChildrenResponse__Output {
  'children': (string)[];
  'stat': (_cairn_v1_Stat__Output | null);
}
