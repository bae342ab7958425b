// Original file: proto/cairn.proto

import type { MultiReadResult as _cairn_v1_MultiReadResult, MultiReadResult__Output as _cairn_v1_MultiReadResult__Output } from '../../cairn/v1/MultiReadResult.js';

export interface MultiReadResponse {
  'results'?: (_cairn_v1_MultiReadResult)[];
}

export interface MultiReadResponse__Output {
  'results': (_cairn_v1_MultiReadResult__Output)[];
}
