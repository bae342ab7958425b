// Original file: proto/cairn.proto

import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from '../../cairn/v1/Stat.js';

export interface ExistsResponse {
  /**
   * Absent when the node does not exist.
   */
  'stat'?: (_cairn_v1_Stat | null);
}

export interface ExistsResponse__Output {
  /**
   * Absent when the node does not exist.
   */
  'stat': (_cairn_v1_Stat__Output | null);
}
