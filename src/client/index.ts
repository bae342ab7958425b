// Cairn's TypeScript client: sessions over the Session stream, and the session-less calls.

export { CairnClient, type SessionOptions, type SessionEnd, type CairnClientEvents } from './session.js';
export { CairnUnaryClient, type UnaryCallOptions, type WatchSubscription } from './unary.js';
export { EventQueue } from './events.js';
export type { ChannelSettings, CreateOptions, DataInput } from './channel.js';
export { KeeperError, isKeeperError } from '../core/errors.js';
export { AddWatchMode, CreateMode, EventType, KeeperState, OPEN_ACL_UNSAFE, Perms, WatcherType } from '../core/types.js';
