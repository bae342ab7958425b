// Original file: proto/cairn.proto

import type { MultiReadOp as _cairn_v1_MultiReadOp, MultiReadOp__Output as _cairn_v1_MultiReadOp__Output } from '../../cairn/v1/MultiReadOp.js';

/**
 * A batch of reads, each answered on its own (not atomic).
 */
export interface MultiReadRequest {
  'ops'?: (_cairn_v1_MultiReadOp)[];
}

/**
 * A batch of reads, each answered on its own (not atomic).
 */
export interface MultiReadRequest__Output {
  'ops': (_cairn_v1_MultiReadOp__Output)[];
}
