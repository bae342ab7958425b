// Original file: proto/cairn.proto


/**
 * List a node's children; `watch` sets a one-shot child watch (session stream only).
 */
export interface GetChildrenRequest {
  'path'?: (string);
  'watch'?: (boolean);
}

/**
 * List a node's children; `watch` sets a one-shot child watch (session stream only).
 */
export interface GetChildrenRequest__Output {
  'path': (string);
  'watch': (boolean);
}
