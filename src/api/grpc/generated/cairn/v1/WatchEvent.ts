// Original file: proto/cairn.proto

import type { EventType as _cairn_v1_EventType, EventType__Output as _cairn_v1_EventType__Output } from '../../cairn/v1/EventType.js';
import type { KeeperState as _cairn_v1_KeeperState, KeeperState__Output as _cairn_v1_KeeperState__Output } from '../../cairn/v1/KeeperState.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A watch notification.
 */
export interface WatchEvent {
  'type'?: (_cairn_v1_EventType);
  'state'?: (_cairn_v1_KeeperState);
  /**
   * The node concerned; empty for session state events.
   */
  'path'?: (string);
  /**
   * zxid of the change that fired it.
   */
  'zxid'?: (number | string | Long);
}

/**
 * A watch notification.
 */
export interface WatchEvent__Output {
  'type': (_cairn_v1_EventType__Output);
  'state': (_cairn_v1_KeeperState__Output);
  /**
   * The node concerned; empty for session state events.
   */
  'path': (string);
  /**
   * zxid of the change that fired it.
   */
  'zxid': (number);
}
