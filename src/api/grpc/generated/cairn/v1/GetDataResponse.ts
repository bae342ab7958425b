// Original file: proto/cairn.proto

import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from '../../cairn/v1/Stat.js';

export interface GetDataResponse {
  /**
   * Absent when the node's data is null.
   */
  'data'?: (Buffer | Uint8Array | string);
  'stat'?: (_cairn_v1_Stat | null);
  '_data'?: "data";
}

export interface GetDataResponse__Output {
  /**
   * Absent when the node's data is null.
   */
  'data'?: (Buffer);
  'stat': (_cairn_v1_Stat__Output | null);
  '_data'?: "data";
}
