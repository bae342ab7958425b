// Cairn's TypeScript client for Node: `connect` opens a session that reconnects and resumes across
// servers (sdk.ts); the recipes build on it. The single-connection clients (a Session stream, the
// unary calls) stay available for tools and tests that want exactly one connection.

export { connect, type NodeCairnOptions } from './node.js';
export * from './public.js';
export { CairnClient, type SessionOptions, type SessionEnd, type CairnClientEvents } from './session.js';
export { CairnUnaryClient, type UnaryCallOptions, type WatchSubscription } from './unary.js';
export { EventQueue } from './events.js';
export type { ChannelSettings } from './channel.js';
