// Original file: proto/cairn.proto


/**
 * Delete a node that has no children.
 */
export interface DeleteRequest {
  'path'?: (string);
  'version'?: (number);
  '_version'?: "version";
}

/**
 * Delete a node that has no children.
 */
export interface DeleteRequest__Output {
  'path': (string);
  'version'?: (number);
  '_version'?: "version";
}
