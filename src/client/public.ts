// What the SDK exports on every platform (index.ts adds Node's connect, browser.ts the browser's).

export { Cairn, TransactionError, op, type CairnOptions, type CairnEvents, type ConnectionState, type Credentials } from './sdk.js';
export {
  BoundedExponentialBackoffRetry,
  ExponentialBackoffRetry,
  NO_RETRY,
  RetryForever,
  RetryNTimes,
  RetryOneTime,
  RetryUntilElapsed,
  isRetryable,
  withRetries,
  type RetryPolicy,
} from './retry.js';
export { OneShotWatch, PersistentWatch } from './watches.js';
export type { CreateOptions, DataInput } from './data.js';
export { KeeperError, isKeeperError, ERRORS } from '../core/errors.js';
export { AddWatchMode, CreateMode, EventType, KeeperState, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, CREATOR_ALL_ACL, Perms, WatcherType } from '../core/types.js';
export type { ACL, Id, MultiOp, MultiResult, Stat, WatchEvent } from '../core/types.js';
export * from './recipes/index.js';
