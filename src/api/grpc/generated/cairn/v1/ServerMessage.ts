// Original file: proto/cairn.proto

import type { Connected as _cairn_v1_Connected, Connected__Output as _cairn_v1_Connected__Output } from '../../cairn/v1/Connected.js';
import type { Response as _cairn_v1_Response, Response__Output as _cairn_v1_Response__Output } from '../../cairn/v1/Response.js';
import type { Pong as _cairn_v1_Pong, Pong__Output as _cairn_v1_Pong__Output } from '../../cairn/v1/Pong.js';
import type { WatchEvent as _cairn_v1_WatchEvent, WatchEvent__Output as _cairn_v1_WatchEvent__Output } from '../../cairn/v1/WatchEvent.js';
import type { Closed as _cairn_v1_Closed, Closed__Output as _cairn_v1_Closed__Output } from '../../cairn/v1/Closed.js';

/**
 * What the server sends on the Session stream: exactly one item per message.
 */
export interface ServerMessage {
  /**
   * The answer to `connect`; always the first message.
   */
  'connected'?: (_cairn_v1_Connected | null);
  /**
   * The answer to one request, in request order.
   */
  'response'?: (_cairn_v1_Response | null);
  /**
   * The answer to a ping.
   */
  'pong'?: (_cairn_v1_Pong | null);
  /**
   * A watch notification.
   */
  'event'?: (_cairn_v1_WatchEvent | null);
  /**
   * The session ended (or moved to another stream); the server then ends the stream
   * with status OK.
   */
  'closed'?: (_cairn_v1_Closed | null);
  'kind'?: "connected"|"response"|"pong"|"event"|"closed";
}

/**
 * What the server sends on the Session stream: exactly one item per message.
 */
export interface ServerMessage__Output {
  /**
   * The answer to `connect`; always the first message.
   */
  'connected'?: (_cairn_v1_Connected__Output | null);
  /**
   * The answer to one request, in request order.
   */
  'response'?: (_cairn_v1_Response__Output | null);
  /**
   * The answer to a ping.
   */
  'pong'?: (_cairn_v1_Pong__Output | null);
  /**
   * A watch notification.
   */
  'event'?: (_cairn_v1_WatchEvent__Output | null);
  /**
   * The session ended (or moved to another stream); the server then ends the stream
   * with status OK.
   */
  'closed'?: (_cairn_v1_Closed__Output | null);
  'kind'?: "connected"|"response"|"pong"|"event"|"closed";
}
