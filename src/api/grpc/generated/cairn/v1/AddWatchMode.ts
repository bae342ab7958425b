// Original file: proto/cairn.proto

/**
 * The kind of persistent watch addWatch sets (ZooKeeper's AddWatchMode).
 */
export const AddWatchMode = {
  ADD_WATCH_MODE_PERSISTENT: 0,
  ADD_WATCH_MODE_PERSISTENT_RECURSIVE: 1,
} as const;

/**
 * The kind of persistent watch addWatch sets (ZooKeeper's AddWatchMode).
 */
export type AddWatchMode =
  | 'ADD_WATCH_MODE_PERSISTENT'
  | 0
  | 'ADD_WATCH_MODE_PERSISTENT_RECURSIVE'
  | 1

/**
 * The kind of persistent watch addWatch sets (ZooKeeper's AddWatchMode).
 */
export type AddWatchMode__Output = typeof AddWatchMode[keyof typeof AddWatchMode]
