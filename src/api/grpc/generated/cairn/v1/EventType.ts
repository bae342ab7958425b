// Original file: proto/cairn.proto

/**
 * What happened (Watcher.Event.EventType); the numbers are ZooKeeper's.
 */
export const EventType = {
  /**
   * Never sent; proto3 needs a zero value.
   */
  EVENT_TYPE_UNSPECIFIED: 0,
  /**
   * A session state change rather than a node change.
   */
  EVENT_TYPE_NONE: -1,
  EVENT_TYPE_NODE_CREATED: 1,
  EVENT_TYPE_NODE_DELETED: 2,
  EVENT_TYPE_NODE_DATA_CHANGED: 3,
  EVENT_TYPE_NODE_CHILDREN_CHANGED: 4,
  EVENT_TYPE_DATA_WATCH_REMOVED: 5,
  EVENT_TYPE_CHILD_WATCH_REMOVED: 6,
  EVENT_TYPE_PERSISTENT_WATCH_REMOVED: 7,
} as const;

/**
 * What happened (Watcher.Event.EventType); the numbers are ZooKeeper's.
 */
export type EventType =
  /**
   * Never sent; proto3 needs a zero value.
   */
  | 'EVENT_TYPE_UNSPECIFIED'
  | 0
  /**
   * A session state change rather than a node change.
   */
  | 'EVENT_TYPE_NONE'
  | -1
  | 'EVENT_TYPE_NODE_CREATED'
  | 1
  | 'EVENT_TYPE_NODE_DELETED'
  | 2
  | 'EVENT_TYPE_NODE_DATA_CHANGED'
  | 3
  | 'EVENT_TYPE_NODE_CHILDREN_CHANGED'
  | 4
  | 'EVENT_TYPE_DATA_WATCH_REMOVED'
  | 5
  | 'EVENT_TYPE_CHILD_WATCH_REMOVED'
  | 6
  | 'EVENT_TYPE_PERSISTENT_WATCH_REMOVED'
  | 7

/**
 * What happened (Watcher.Event.EventType); the numbers are ZooKeeper's.
 */
export type EventType__Output = typeof EventType[keyof typeof EventType]
