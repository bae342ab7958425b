// Original file: proto/cairn.proto


/**
 * Read a node's ACL.
 */
export interface GetACLRequest {
  'path'?: (string);
}

/**
 * Read a node's ACL.
 */
export interface GetACLRequest__Output {
  'path': (string);
}
