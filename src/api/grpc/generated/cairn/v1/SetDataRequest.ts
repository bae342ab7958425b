// Original file: proto/cairn.proto


/**
 * Replace a node's data.
 */
export interface SetDataRequest {
  'path'?: (string);
  'data'?: (Buffer | Uint8Array | string);
  'version'?: (number);
  '_data'?: "data";
  '_version'?: "version";
}

/**
 * Replace a node's data.
 */
export interface SetDataRequest__Output {
  'path': (string);
  'data'?: (Buffer);
  'version'?: (number);
  '_data'?: "data";
  '_version'?: "version";
}
