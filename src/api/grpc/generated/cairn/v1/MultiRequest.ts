// Original file: proto/cairn.proto

import type { MultiOp as _cairn_v1_MultiOp, MultiOp__Output as _cairn_v1_MultiOp__Output } from '../../cairn/v1/MultiOp.js';

/**
 * An atomic batch of writes.
 */
export interface MultiRequest {
  'ops'?: (_cairn_v1_MultiOp)[];
}

/**
 * An atomic batch of writes.
 */
export interface MultiRequest__Output {
  'ops': (_cairn_v1_MultiOp__Output)[];
}
