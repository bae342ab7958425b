// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Open a new session (session_id 0) or resume one (its id and password).
 */
export interface Connect {
  'sessionId'?: (number | string | Long);
  /**
   * The password from `Connected`; empty for a new session.
   */
  'password'?: (Buffer | Uint8Array | string);
  /**
   * Requested session timeout; the server negotiates it into its [min, max] range.
   */
  'timeoutMs'?: (number);
  /**
   * The highest zxid the client has seen; a server that is behind it refuses the client.
   */
  'lastZxidSeen'?: (number | string | Long);
}

/**
 * Open a new session (session_id 0) or resume one (its id and password).
 */
export interface Connect__Output {
  'sessionId': (number);
  /**
   * The password from `Connected`; empty for a new session.
   */
  'password': (Buffer);
  /**
   * Requested session timeout; the server negotiates it into its [min, max] range.
   */
  'timeoutMs': (number);
  /**
   * The highest zxid the client has seen; a server that is behind it refuses the client.
   */
  'lastZxidSeen': (number);
}
