// Original file: proto/cairn.proto


/**
 * Assert a node's version; only meaningful inside a multi.
 */
export interface CheckRequest {
  'path'?: (string);
  'version'?: (number);
}

/**
 * Assert a node's version; only meaningful inside a multi.
 */
export interface CheckRequest__Output {
  'path': (string);
  'version': (number);
}
