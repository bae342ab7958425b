// Original file: proto/cairn.proto


/**
 * Add an identity to the session (ZooKeeper addAuth), e.g. scheme "digest" with
 * credentials "user:password".
 */
export interface AuthRequest {
  'scheme'?: (string);
  'credentials'?: (Buffer | Uint8Array | string);
}

/**
 * Add an identity to the session (ZooKeeper addAuth), e.g. scheme "digest" with
 * credentials "user:password".
 */
export interface AuthRequest__Output {
  'scheme': (string);
  'credentials': (Buffer);
}
