import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../../src/core/expiry.js';

describe('ExpiryQueue', () => {
  it('rounds deadlines up to the bucket width and expires whole buckets', () => {
    const queue = new ExpiryQueue<string>(100);
    queue.touch('a', 1_000, 0); // deadline 1000
    queue.touch('b', 1_001, 0); // 1100
    queue.touch('c', 950, 100); // 1050 → 1100
    queue.touch('d', 1_099, 1); // 1100
    expect(queue.size).toBe(4);
    expect(queue.expire(999)).toEqual([]);
    expect(queue.expire(1_000)).toEqual(['a']);
    expect(queue.has('a')).toBe(false);
    expect(queue.expire(1_099)).toEqual([]);
    expect(queue.expire(1_100).sort()).toEqual(['b', 'c', 'd']);
    expect(queue.size).toBe(0);
    expect(queue.expire(1e9)).toEqual([]);
  });

  it('expires overdue keys in deadline order, whatever order the buckets were made in', () => {
    const queue = new ExpiryQueue<string>(10);
    queue.touch('late', 500, 0);
    queue.touch('early', 100, 0);
    queue.touch('middle', 300, 0);
    queue.touch('early2', 100, 0);
    expect(queue.expire(10_000)).toEqual(['early', 'early2', 'middle', 'late']);
  });

  it('touch moves the deadline, later or earlier', () => {
    const queue = new ExpiryQueue<number>(10);
    queue.touch(1, 100, 0); // 100
    queue.touch(2, 100, 0); // 100
    queue.touch(1, 100, 50); // 150
    expect(queue.expire(100)).toEqual([2]);
    expect(queue.has(1)).toBe(true);
    expect(queue.expire(149)).toEqual([]);
    queue.touch(1, 10, 100); // 110: earlier than before
    expect(queue.expire(110)).toEqual([1]);
    expect(queue.expire(150)).toEqual([]);
  });

  it('a touch within the same bucket keeps the key where it is', () => {
    const queue = new ExpiryQueue<string>(100);
    queue.touch('a', 150, 0); // 200
    queue.touch('a', 150, 10); // 160 → 200
    expect(queue.expire(199)).toEqual([]);
    expect(queue.expire(200)).toEqual(['a']);
  });

  it('remove forgets a key', () => {
    const queue = new ExpiryQueue<string>(10);
    queue.touch('a', 10, 0);
    queue.touch('b', 10, 0);
    queue.remove('a');
    queue.remove('missing');
    expect(queue.has('a')).toBe(false);
    expect(queue.size).toBe(1);
    expect(queue.expire(10)).toEqual(['b']);
  });

  it('many touches: only the last deadline counts, and the key expires once', () => {
    const queue = new ExpiryQueue<string>(1);
    for (let now = 0; now < 1_000; now++) queue.touch('a', 5, now);
    expect(queue.expire(1_003)).toEqual([]);
    expect(queue.expire(1_004)).toEqual(['a']);
    expect(queue.expire(1e9)).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it('refuses a non-positive bucket width', () => {
    expect(() => new ExpiryQueue<string>(0)).toThrow(/invariant/);
  });
});
