// Original file: proto/cairn.proto

import type { Connect as _cairn_v1_Connect, Connect__Output as _cairn_v1_Connect__Output } from '../../cairn/v1/Connect.js';
import type { Request as _cairn_v1_Request, Request__Output as _cairn_v1_Request__Output } from '../../cairn/v1/Request.js';
import type { Ping as _cairn_v1_Ping, Ping__Output as _cairn_v1_Ping__Output } from '../../cairn/v1/Ping.js';
import type { Close as _cairn_v1_Close, Close__Output as _cairn_v1_Close__Output } from '../../cairn/v1/Close.js';

/**
 * What a client sends on the Session stream: exactly one item per message.
 */
export interface ClientMessage {
  /**
   * Must be the first message, and only the first.
   */
  'connect'?: (_cairn_v1_Connect | null);
  /**
   * A request to run in the session; answered by a Response with the same xid.
   */
  'request'?: (_cairn_v1_Request | null);
  /**
   * A heartbeat; send one every third of the negotiated timeout or so.
   */
  'ping'?: (_cairn_v1_Ping | null);
  /**
   * Close the session: ephemerals are deleted and watches fire. Answered by `closed`.
   */
  'close'?: (_cairn_v1_Close | null);
  'kind'?: "connect"|"request"|"ping"|"close";
}

/**
 * What a client sends on the Session stream: exactly one item per message.
 */
export interface ClientMessage__Output {
  /**
   * Must be the first message, and only the first.
   */
  'connect'?: (_cairn_v1_Connect__Output | null);
  /**
   * A request to run in the session; answered by a Response with the same xid.
   */
  'request'?: (_cairn_v1_Request__Output | null);
  /**
   * A heartbeat; send one every third of the negotiated timeout or so.
   */
  'ping'?: (_cairn_v1_Ping__Output | null);
  /**
   * Close the session: ephemerals are deleted and watches fire. Answered by `closed`.
   */
  'close'?: (_cairn_v1_Close__Output | null);
  'kind'?: "connect"|"request"|"ping"|"close";
}
