// Original file: proto/cairn.proto


/**
 * A session-less change feed: a persistent watch on `path` (and its subtree when
 * `recursive`).
 */
export interface WatchRequest {
  'path'?: (string);
  'recursive'?: (boolean);
}

/**
 * A session-less change feed: a persistent watch on `path` (and its subtree when
 * `recursive`).
 */
export interface WatchRequest__Output {
  'path': (string);
  'recursive': (boolean);
}
