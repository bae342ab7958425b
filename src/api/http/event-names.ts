// Watch event types by name, as ZooKeeper's Watcher.Event.EventType spells them.

import { EventType } from '../../core/types.js';

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(EventType).map(([name, value]) => [value, name]));

export function eventTypeName(type: number): string {
  return NAMES.get(type) ?? `Unknown${type}`;
}
