// Original file: proto/cairn.proto

import type { WatcherType as _cairn_v1_WatcherType, WatcherType__Output as _cairn_v1_WatcherType__Output } from '../../cairn/v1/WatcherType.js';

/**
 * Ask whether the session has watches of a type on a path (NoWatcher when not).
 */
export interface CheckWatchesRequest {
  'path'?: (string);
  'type'?: (_cairn_v1_WatcherType);
}

/**
 * Ask whether the session has watches of a type on a path (NoWatcher when not).
 */
export interface CheckWatchesRequest__Output {
  'path': (string);
  'type': (_cairn_v1_WatcherType__Output);
}
