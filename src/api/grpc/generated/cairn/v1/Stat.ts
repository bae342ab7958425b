// Original file: proto/cairn.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A znode's metadata, as ZooKeeper's Stat.
 */
export interface Stat {
  /**
   * zxid of the create.
   */
  'czxid'?: (number | string | Long);
  /**
   * zxid of the last data change.
   */
  'mzxid'?: (number | string | Long);
  /**
   * Milliseconds since the epoch of the create.
   */
  'ctime'?: (number | string | Long);
  /**
   * Milliseconds since the epoch of the last data change.
   */
  'mtime'?: (number | string | Long);
  /**
   * Number of data changes.
   */
  'version'?: (number);
  /**
   * Number of changes to the children.
   */
  'cversion'?: (number);
  /**
   * Number of ACL changes.
   */
  'aversion'?: (number);
  /**
   * The owning session of an ephemeral node; 0 otherwise.
   */
  'ephemeralOwner'?: (number | string | Long);
  /**
   * Length of the data in bytes.
   */
  'dataLength'?: (number);
  /**
   * Number of children.
   */
  'numChildren'?: (number);
  /**
   * zxid of the last change to the children.
   */
  'pzxid'?: (number | string | Long);
}

/**
 * A znode's metadata, as ZooKeeper's Stat.
 */
export interface Stat__Output {
  /**
   * zxid of the create.
   */
  'czxid': (number);
  /**
   * zxid of the last data change.
   */
  'mzxid': (number);
  /**
   * Milliseconds since the epoch of the create.
   */
  'ctime': (number);
  /**
   * Milliseconds since the epoch of the last data change.
   */
  'mtime': (number);
  /**
   * Number of data changes.
   */
  'version': (number);
  /**
   * Number of changes to the children.
   */
  'cversion': (number);
  /**
   * Number of ACL changes.
   */
  'aversion': (number);
  /**
   * The owning session of an ephemeral node; 0 otherwise.
   */
  'ephemeralOwner': (number);
  /**
   * Length of the data in bytes.
   */
  'dataLength': (number);
  /**
   * Number of children.
   */
  'numChildren': (number);
  /**
   * zxid of the last change to the children.
   */
  'pzxid': (number);
}
