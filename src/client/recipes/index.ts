// Recipes on the SDK, each with the znode layout and protocol of its Curator 5 counterpart, so a
// TypeScript service and a Java service using Curator on the same path cooperate.

export { Mutex, ReadWriteLock, LockNode, leasesRule, type LockTurn, type TurnRule } from './lock.js';
export { Semaphore, Lease } from './semaphore.js';
export { LeaderLatch, LeaderSelector, type LeaderSelectorOptions, type Participant } from './leader.js';
export { Barrier, DoubleBarrier } from './barrier.js';
export { SharedCount, DistributedAtomicLong, type AtomicValue, type VersionedValue } from './counter.js';
export { PROTECTED_PREFIX, createProtectedSequential, ensureContainers } from './paths.js';
export { DistributedQueue, DistributedPriorityQueue, TEXT_SERIALIZER, encodeItems, decodeItems, priorityKey, type QueueSerializer } from './queue.js';
export { TreeCache, type CachedNode, type TreeCacheEvents } from './cache.js';
export { PersistentNode } from './node.js';
export { GroupMember } from './group.js';
export {
  ServiceDiscovery,
  ServiceProvider,
  serviceInstance,
  parseUriSpec,
  buildUri,
  roundRobin,
  randomChoice,
  sticky,
  type ServiceInstance,
  type ServiceType,
  type InstanceOptions,
  type ProviderStrategy,
} from './discovery.js';
