// Original file: proto/cairn.proto


/**
 * An identity: `world:anyone`, `ip:10.0.0.0/8`, `digest:user:base64(sha1)`, `auth:`.
 */
export interface Id {
  'scheme'?: (string);
  'id'?: (string);
}

/**
 * An identity: `world:anyone`, `ip:10.0.0.0/8`, `digest:user:base64(sha1)`, `auth:`.
 */
export interface Id__Output {
  'scheme': (string);
  'id': (string);
}
