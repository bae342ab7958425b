// Original file: proto/cairn.proto

import type { AddWatchMode as _cairn_v1_AddWatchMode, AddWatchMode__Output as _cairn_v1_AddWatchMode__Output } from '../../cairn/v1/AddWatchMode.js';

/**
 * Set a persistent (optionally recursive) watch in the session.
 */
export interface AddWatchRequest {
  'path'?: (string);
  'mode'?: (_cairn_v1_AddWatchMode);
}

/**
 * Set a persistent (optionally recursive) watch in the session.
 */
export interface AddWatchRequest__Output {
  'path': (string);
  'mode': (_cairn_v1_AddWatchMode__Output);
}
