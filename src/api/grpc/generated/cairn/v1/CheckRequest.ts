// Original file: proto/cairn.proto


/**
 * Assert a node's version (or, without one, that it exists); only meaningful inside a multi.
 */
export interface CheckRequest {
  'path'?: (string);
  'version'?: (number);
  '_version'?: "version";
}

/**
 * Assert a node's version (or, without one, that it exists); only meaningful inside a multi.
 */
export interface CheckRequest__Output {
  'path': (string);
  'version'?: (number);
  '_version'?: "version";
}
