// Original file: proto/cairn.proto

import type { Stat as _cairn_v1_Stat, Stat__Output as _cairn_v1_Stat__Output } from '../../cairn/v1/Stat.js';

/**
 * The created node's actual path (with the sequence suffix, if any) and its Stat.
 */
export interface CreateResponse {
  'path'?: (string);
  'stat'?: (_cairn_v1_Stat | null);
}

/**
 * The created node's actual path (with the sequence suffix, if any) and its Stat.
 */
export interface CreateResponse__Output {
  'path': (string);
  'stat': (_cairn_v1_Stat__Output | null);
}
