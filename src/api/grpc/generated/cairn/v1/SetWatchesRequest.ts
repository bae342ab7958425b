// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Re-register watches after resuming a session; those that would already have fired
 * since `relative_zxid` fire at once.
 */
export interface SetWatchesRequest {
  'relativeZxid'?: (number | string | Long);
  'dataWatches'?: (string)[];
  'existWatches'?: (string)[];
  'childWatches'?: (string)[];
  'persistentWatches'?: (string)[];
  'persistentRecursiveWatches'?: (string)[];
}

/**
 * Re-register watches after resuming a session; those that would already have fired
 * since `relative_zxid` fire at once.
 */
export interface SetWatchesRequest__Output {
  'relativeZxid': (number);
  'dataWatches': (string)[];
  'existWatches': (string)[];
  'childWatches': (string)[];
  'persistentWatches': (string)[];
  'persistentRecursiveWatches': (string)[];
}
