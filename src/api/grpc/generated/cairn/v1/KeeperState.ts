// Original file: proto/cairn.proto

/**
 * The session's state when the event fired (Watcher.Event.KeeperState).
 */
export const KeeperState = {
  KEEPER_STATE_DISCONNECTED: 0,
  KEEPER_STATE_SYNC_CONNECTED: 3,
  KEEPER_STATE_AUTH_FAILED: 4,
  KEEPER_STATE_CONNECTED_READ_ONLY: 5,
  KEEPER_STATE_SASL_AUTHENTICATED: 6,
  KEEPER_STATE_CLOSED: 7,
  KEEPER_STATE_EXPIRED: -112,
} as const;

/**
 * The session's state when the event fired (Watcher.Event.KeeperState).
 */
export type KeeperState =
  | 'KEEPER_STATE_DISCONNECTED'
  | 0
  | 'KEEPER_STATE_SYNC_CONNECTED'
  | 3
  | 'KEEPER_STATE_AUTH_FAILED'
  | 4
  | 'KEEPER_STATE_CONNECTED_READ_ONLY'
  | 5
  | 'KEEPER_STATE_SASL_AUTHENTICATED'
  | 6
  | 'KEEPER_STATE_CLOSED'
  | 7
  | 'KEEPER_STATE_EXPIRED'
  | -112

/**
 * The session's state when the event fired (Watcher.Event.KeeperState).
 */
export type KeeperState__Output = typeof KeeperState[keyof typeof KeeperState]
