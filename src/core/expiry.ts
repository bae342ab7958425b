// Session expiry in time buckets (ZooKeeper's ExpiryQueue): a touch moves a session to the bucket
// of its new deadline, rounded up to the tick, so expiry is checked once per tick over whole
// buckets instead of per session. Time is passed in; nothing here reads a clock.

import { assert } from './errors.js';

export class ExpiryQueue<K> {
  private readonly deadlineOf = new Map<K, number>();
  private readonly buckets = new Map<number, Set<K>>();

  constructor(private readonly bucketMs: number) {
    assert(bucketMs > 0, 'expiry bucket width is positive');
  }

  private roundUp(timeMs: number): number {
    return Math.ceil(timeMs / this.bucketMs) * this.bucketMs;
  }

  /** Push the deadline of `key` to now + timeout. */
  touch(key: K, timeoutMs: number, nowMs: number): void {
    const deadline = this.roundUp(nowMs + timeoutMs);
    const previous = this.deadlineOf.get(key);
    if (previous === deadline) return;
    if (previous !== undefined) this.buckets.get(previous)?.delete(key);
    let bucket = this.buckets.get(deadline);
    if (bucket === undefined) this.buckets.set(deadline, (bucket = new Set()));
    bucket.add(key);
    this.deadlineOf.set(key, deadline);
  }

  remove(key: K): void {
    const deadline = this.deadlineOf.get(key);
    if (deadline === undefined) return;
    this.deadlineOf.delete(key);
    const bucket = this.buckets.get(deadline);
    bucket?.delete(key);
    if (bucket?.size === 0) this.buckets.delete(deadline);
  }

  has(key: K): boolean {
    return this.deadlineOf.has(key);
  }

  get size(): number {
    return this.deadlineOf.size;
  }

  /** Removes and returns every key whose deadline has passed, earliest deadline first. */
  expire(nowMs: number): K[] {
    const expired: K[] = [];
    // Buckets are made in touch order, not deadline order: sort the due ones.
    const due = [...this.buckets.keys()].filter((deadline) => deadline <= nowMs).sort((a, b) => a - b);
    for (const deadline of due) {
      const bucket = this.buckets.get(deadline)!;
      for (const key of bucket) {
        expired.push(key);
        this.deadlineOf.delete(key);
      }
      this.buckets.delete(deadline);
    }
    return expired;
  }
}
