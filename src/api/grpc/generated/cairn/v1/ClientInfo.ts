// Original file: proto/cairn.proto


/**
 * One identity of the session.
 */
export interface ClientInfo {
  'authScheme'?: (string);
  'user'?: (string);
}

/**
 * One identity of the session.
 */
export interface ClientInfo__Output {
  'authScheme': (string);
  'user': (string);
}
