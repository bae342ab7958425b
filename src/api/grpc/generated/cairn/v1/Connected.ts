// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The session is open on this stream.
 */
export interface Connected {
  'sessionId'?: (number | string | Long);
  /**
   * Keep it secret: with the id it lets any stream resume the session.
   */
  'password'?: (Buffer | Uint8Array | string);
  /**
   * The negotiated timeout: without a message for this long the session may expire.
   */
  'timeoutMs'?: (number);
  /**
   * The server's last applied zxid at connect time.
   */
  'lastZxid'?: (number | string | Long);
}

/**
 * The session is open on this stream.
 */
export interface Connected__Output {
  'sessionId': (number);
  /**
   * Keep it secret: with the id it lets any stream resume the session.
   */
  'password': (Buffer);
  /**
   * The negotiated timeout: without a message for this long the session may expire.
   */
  'timeoutMs': (number);
  /**
   * The server's last applied zxid at connect time.
   */
  'lastZxid': (number);
}
