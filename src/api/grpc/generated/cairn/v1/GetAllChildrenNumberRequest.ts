// Original file: proto/cairn.proto


/**
 * Count all descendants of a node.
 */
export interface GetAllChildrenNumberRequest {
  'path'?: (string);
}

/**
 * Count all descendants of a node.
 */
export interface GetAllChildrenNumberRequest__Output {
  'path': (string);
}
