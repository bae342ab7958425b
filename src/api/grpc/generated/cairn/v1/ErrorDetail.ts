// Original file: proto/cairn.proto


/**
 * A failure, as ZooKeeper names it.
 */
export interface ErrorDetail {
  /**
   * KeeperException.Code number, e.g. -101 for NoNode.
   */
  'code'?: (number);
  /**
   * KeeperException.Code name, e.g. "NoNode".
   */
  'name'?: (string);
  /**
   * The path involved, or empty.
   */
  'path'?: (string);
  /**
   * A sentence a person understands.
   */
  'message'?: (string);
}

/**
 * A failure, as ZooKeeper names it.
 */
export interface ErrorDetail__Output {
  /**
   * KeeperException.Code number, e.g. -101 for NoNode.
   */
  'code': (number);
  /**
   * KeeperException.Code name, e.g. "NoNode".
   */
  'name': (string);
  /**
   * The path involved, or empty.
   */
  'path': (string);
  /**
   * A sentence a person understands.
   */
  'message': (string);
}
