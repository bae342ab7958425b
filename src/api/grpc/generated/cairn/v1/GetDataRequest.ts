// Original file: proto/cairn.proto


/**
 * Read a node's data; `watch` sets a one-shot data watch (session stream only).
 */
export interface GetDataRequest {
  'path'?: (string);
  'watch'?: (boolean);
}

/**
 * Read a node's data; `watch` sets a one-shot data watch (session stream only).
 */
export interface GetDataRequest__Output {
  'path': (string);
  'watch': (boolean);
}
