// Original file: proto/cairn.proto


/**
 * Read a node's Stat; `watch` sets a one-shot watch that fires on create, delete or
 * data change (session stream only).
 */
export interface ExistsRequest {
  'path'?: (string);
  'watch'?: (boolean);
}

/**
 * Read a node's Stat; `watch` sets a one-shot watch that fires on create, delete or
 * data change (session stream only).
 */
export interface ExistsRequest__Output {
  'path': (string);
  'watch': (boolean);
}
