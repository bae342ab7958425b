// Original file: proto/cairn.proto

/**
 * Why a session stream ended.
 */
export const CloseReason = {
  CLOSE_REASON_UNSPECIFIED: 0,
  /**
   * The client asked (`close`), or another stream closed the session.
   */
  CLOSE_REASON_CLOSED: 1,
  /**
   * No heartbeat for the session timeout: ephemerals are gone.
   */
  CLOSE_REASON_EXPIRED: 2,
  /**
   * The server is shutting down. The session itself lives on (it is durable): resume it with
   * its id and password on this server once it is back, within the session timeout.
   */
  CLOSE_REASON_SHUTDOWN: 3,
  /**
   * The session was resumed on another stream: this stream is done, the session lives on.
   */
  CLOSE_REASON_MOVED: 4,
  /**
   * This server of an ensemble lost its leader and cannot serve: the session lives on; resume it
   * (id, password, last zxid seen) on another server within its timeout, as ZooKeeper clients do.
   */
  CLOSE_REASON_UNAVAILABLE: 5,
} as const;

/**
 * Why a session stream ended.
 */
export type CloseReason =
  | 'CLOSE_REASON_UNSPECIFIED'
  | 0
  /**
   * The client asked (`close`), or another stream closed the session.
   */
  | 'CLOSE_REASON_CLOSED'
  | 1
  /**
   * No heartbeat for the session timeout: ephemerals are gone.
   */
  | 'CLOSE_REASON_EXPIRED'
  | 2
  /**
   * The server is shutting down. The session itself lives on (it is durable): resume it with
   * its id and password on this server once it is back, within the session timeout.
   */
  | 'CLOSE_REASON_SHUTDOWN'
  | 3
  /**
   * The session was resumed on another stream: this stream is done, the session lives on.
   */
  | 'CLOSE_REASON_MOVED'
  | 4
  /**
   * This server of an ensemble lost its leader and cannot serve: the session lives on; resume it
   * (id, password, last zxid seen) on another server within its timeout, as ZooKeeper clients do.
   */
  | 'CLOSE_REASON_UNAVAILABLE'
  | 5

/**
 * Why a session stream ended.
 */
export type CloseReason__Output = typeof CloseReason[keyof typeof CloseReason]
