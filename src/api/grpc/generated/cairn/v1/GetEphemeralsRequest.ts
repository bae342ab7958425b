// Original file: proto/cairn.proto


/**
 * List this session's ephemeral nodes under a path prefix.
 */
export interface GetEphemeralsRequest {
  'prefixPath'?: (string);
}

/**
 * List this session's ephemeral nodes under a path prefix.
 */
export interface GetEphemeralsRequest__Output {
  'prefixPath': (string);
}
