// Original file: proto/cairn.proto

/**
 * Which watches removeWatches/checkWatches address (ZooKeeper's WatcherType).
 */
export const WatcherType = {
  WATCHER_TYPE_UNSPECIFIED: 0,
  WATCHER_TYPE_CHILDREN: 1,
  WATCHER_TYPE_DATA: 2,
  WATCHER_TYPE_ANY: 3,
  WATCHER_TYPE_PERSISTENT: 4,
  WATCHER_TYPE_PERSISTENT_RECURSIVE: 5,
} as const;

/**
 * Which watches removeWatches/checkWatches address (ZooKeeper's WatcherType).
 */
export type WatcherType =
  | 'WATCHER_TYPE_UNSPECIFIED'
  | 0
  | 'WATCHER_TYPE_CHILDREN'
  | 1
  | 'WATCHER_TYPE_DATA'
  | 2
  | 'WATCHER_TYPE_ANY'
  | 3
  | 'WATCHER_TYPE_PERSISTENT'
  | 4
  | 'WATCHER_TYPE_PERSISTENT_RECURSIVE'
  | 5

/**
 * Which watches removeWatches/checkWatches address (ZooKeeper's WatcherType).
 */
export type WatcherType__Output = typeof WatcherType[keyof typeof WatcherType]
