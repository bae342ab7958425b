// Original file: proto/cairn.proto

import type { MultiResult as _cairn_v1_MultiResult, MultiResult__Output as _cairn_v1_MultiResult__Output } from '../../cairn/v1/MultiResult.js';

export interface MultiResponse {
  'results'?: (_cairn_v1_MultiResult)[];
}

export interface MultiResponse__Output {
  'results': (_cairn_v1_MultiResult__Output)[];
}
