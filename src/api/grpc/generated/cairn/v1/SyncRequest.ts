// Original file: proto/cairn.proto


/**
 * Bring this server up to date with the leader for a path.
 */
export interface SyncRequest {
  'path'?: (string);
}

/**
 * Bring this server up to date with the leader for a path.
 */
export interface SyncRequest__Output {
  'path': (string);
}
