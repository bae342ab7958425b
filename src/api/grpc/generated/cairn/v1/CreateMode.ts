// Original file: proto/cairn.proto

/**
 * How a node is created; the numbers are ZooKeeper's CreateMode flags.
 */
export const CreateMode = {
  CREATE_MODE_PERSISTENT: 0,
  /**
   * Deleted when the creating session ends. Session stream only.
   */
  CREATE_MODE_EPHEMERAL: 1,
  /**
   * The server appends a 10-digit, per-parent counter to the name.
   */
  CREATE_MODE_PERSISTENT_SEQUENTIAL: 2,
  /**
   * Ephemeral and sequential. Session stream only.
   */
  CREATE_MODE_EPHEMERAL_SEQUENTIAL: 3,
  /**
   * Deleted by the server once its last child is gone.
   */
  CREATE_MODE_CONTAINER: 4,
  /**
   * Deleted by the server when unmodified and childless for `ttl` ms.
   */
  CREATE_MODE_PERSISTENT_WITH_TTL: 5,
  /**
   * TTL and sequential.
   */
  CREATE_MODE_PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;

/**
 * How a node is created; the numbers are ZooKeeper's CreateMode flags.
 */
export type CreateMode =
  | 'CREATE_MODE_PERSISTENT'
  | 0
  /**
   * Deleted when the creating session ends. Session stream only.
   */
  | 'CREATE_MODE_EPHEMERAL'
  | 1
  /**
   * The server appends a 10-digit, per-parent counter to the name.
   */
  | 'CREATE_MODE_PERSISTENT_SEQUENTIAL'
  | 2
  /**
   * Ephemeral and sequential. Session stream only.
   */
  | 'CREATE_MODE_EPHEMERAL_SEQUENTIAL'
  | 3
  /**
   * Deleted by the server once its last child is gone.
   */
  | 'CREATE_MODE_CONTAINER'
  | 4
  /**
   * Deleted by the server when unmodified and childless for `ttl` ms.
   */
  | 'CREATE_MODE_PERSISTENT_WITH_TTL'
  | 5
  /**
   * TTL and sequential.
   */
  | 'CREATE_MODE_PERSISTENT_SEQUENTIAL_WITH_TTL'
  | 6

/**
 * How a node is created; the numbers are ZooKeeper's CreateMode flags.
 */
export type CreateMode__Output = typeof CreateMode[keyof typeof CreateMode]
