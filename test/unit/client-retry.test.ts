// Retry policies as Curator defines them, and the retry loop: what it retries, how long it sleeps,
// when it gives up (on a clock of its own, so nothing here waits).

import { describe, expect, it } from 'vitest';
import {
  BoundedExponentialBackoffRetry,
  ExponentialBackoffRetry,
  isRetryable,
  RetryForever,
  RetryNTimes,
  RetryOneTime,
  RetryUntilElapsed,
  withRetries,
  type RetryPolicy,
} from '../../src/client/retry.js';
import { keeperError } from '../../src/core/errors.js';

/** A clock that only moves when the loop sleeps. */
function fakeClock() {
  const clock = { now: 0, sleeps: [] as number[], nowMs: () => clock.now, sleep: async (ms: number) => void (clock.sleeps.push(ms), (clock.now += ms)) };
  return clock;
}

describe('retry policies', () => {
  it('ExponentialBackoffRetry sleeps base × [1, 2^(n+1)], capped, for maxRetries', () => {
    const highest = new ExponentialBackoffRetry(100, 4, 1_000, () => 0.999999);
    expect([0, 1, 2, 3, 4].map((n) => highest.allowRetry(n))).toEqual([100, 300, 700, 1_000, null]);
    const lowest = new ExponentialBackoffRetry(100, 3, Infinity, () => 0);
    expect([0, 1, 2, 3].map((n) => lowest.allowRetry(n))).toEqual([100, 100, 100, null]);
    expect(() => new ExponentialBackoffRetry(100, 30)).toThrow(RangeError);
    expect(new BoundedExponentialBackoffRetry(100, 250, 5, () => 0.999999).allowRetry(4)).toBe(250);
  });

  it('RetryNTimes, RetryOneTime, RetryForever and RetryUntilElapsed', () => {
    expect([0, 1, 2].map((n) => new RetryNTimes(2, 50).allowRetry(n))).toEqual([50, 50, null]);
    expect([0, 1].map((n) => new RetryOneTime(10).allowRetry(n))).toEqual([10, null]);
    expect(new RetryForever(7).allowRetry()).toBe(7);
    const elapsed = new RetryUntilElapsed(1_000, 300);
    expect([0, 300, 900, 1_000].map((ms) => elapsed.allowRetry(0, ms))).toEqual([300, 300, 100, null]);
    expect(() => new RetryNTimes(-1, 0)).toThrow(RangeError);
  });

  it('retries what Curator retries and nothing else', () => {
    for (const name of ['ConnectionLoss', 'OperationTimeout', 'SessionMoved', 'SessionExpired', 'NewConfigNoQuorum'] as const) expect(isRetryable(keeperError(name))).toBe(true);
    for (const name of ['NoNode', 'BadVersion', 'NodeExists', 'NoAuth', 'MarshallingError'] as const) expect(isRetryable(keeperError(name))).toBe(false);
    expect(isRetryable(new Error('not a keeper error'))).toBe(false);
  });
});

describe('withRetries', () => {
  const failing = (failures: number, name: 'ConnectionLoss' | 'NoNode' = 'ConnectionLoss') => {
    let calls = 0;
    return {
      get calls() {
        return calls;
      },
      attempt: async () => {
        if (calls++ < failures) throw keeperError(name);
        return 'done';
      },
    };
  };

  it('succeeds after retryable failures, sleeping as the policy says', async () => {
    const clock = fakeClock();
    const target = failing(2);
    expect(await withRetries(new RetryNTimes(3, 25), target.attempt, clock)).toBe('done');
    expect({ calls: target.calls, sleeps: clock.sleeps }).toEqual({ calls: 3, sleeps: [25, 25] });
  });

  it('gives up with the last failure once the policy does, and never retries an answer', async () => {
    const clock = fakeClock();
    const target = failing(10);
    await expect(withRetries(new RetryNTimes(2, 5), target.attempt, clock)).rejects.toMatchObject({ codeName: 'ConnectionLoss' });
    expect(target.calls).toBe(3);
    const answer = failing(1, 'NoNode');
    await expect(withRetries(new RetryForever(1), answer.attempt, clock)).rejects.toMatchObject({ codeName: 'NoNode' });
    expect(answer.calls).toBe(1);
  });

  it('stops at RetryUntilElapsed\'s deadline and when told to stop', async () => {
    const clock = fakeClock();
    const target = failing(100);
    await expect(withRetries(new RetryUntilElapsed(1_000, 300), target.attempt, clock)).rejects.toMatchObject({ codeName: 'ConnectionLoss' });
    expect(clock.sleeps).toEqual([300, 300, 300, 100]);
    let stopped = false;
    const policy: RetryPolicy = { allowRetry: () => ((stopped = true), 1) };
    const stopping = failing(100);
    await expect(withRetries(policy, stopping.attempt, fakeClock(), () => stopped)).rejects.toMatchObject({ codeName: 'ConnectionLoss' });
    expect(stopping.calls).toBe(2);
  });
});
