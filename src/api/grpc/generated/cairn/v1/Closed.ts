// Original file: proto/cairn.proto

import type { CloseReason as _cairn_v1_CloseReason, CloseReason__Output as _cairn_v1_CloseReason__Output } from '../../cairn/v1/CloseReason.js';

/**
 * The session ended, or moved to another stream; nothing follows on this stream.
 */
export interface Closed {
  'reason'?: (_cairn_v1_CloseReason);
}

/**
 * The session ended, or moved to another stream; nothing follows on this stream.
 */
export interface Closed__Output {
  'reason': (_cairn_v1_CloseReason__Output);
}
