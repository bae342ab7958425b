// Original file: proto/cairn.proto

import type { WatcherType as _cairn_v1_WatcherType, WatcherType__Output as _cairn_v1_WatcherType__Output } from '../../cairn/v1/WatcherType.js';

/**
 * Remove the session's watches of a type on a path.
 */
export interface RemoveWatchesRequest {
  'path'?: (string);
  'type'?: (_cairn_v1_WatcherType);
}

/**
 * Remove the session's watches of a type on a path.
 */
export interface RemoveWatchesRequest__Output {
  'path': (string);
  'type': (_cairn_v1_WatcherType__Output);
}
