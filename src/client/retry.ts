// Retry policies, as Curator names and means them (org.apache.curator.retry): a policy is asked,
// after each failure that may be retried, whether to try again and after how long.
//
// What may be retried is Curator's RetryLoop.shouldRetry: connection loss, an operation timeout, a
// session moved or expired (the SDK makes a new session), and a reconfiguration without quorum.
// Anything else (NoNode, BadVersion, NoAuth...) is an answer, not a failure of the connection.

import { ERRORS, isKeeperError } from '../core/errors.js';

export interface RetryPolicy {
  /**
   * After the `retryCount`-th failure (0 for the first), `elapsedMs` into the operation: how long
   * to sleep before the next attempt, or null to give up.
   */
  allowRetry(retryCount: number, elapsedMs: number): number | null;
}

const RETRYABLE: ReadonlySet<number> = new Set([
  ERRORS.ConnectionLoss.code,
  ERRORS.OperationTimeout.code,
  ERRORS.SessionMoved.code,
  ERRORS.SessionExpired.code,
  ERRORS.NewConfigNoQuorum.code,
]);

/** Whether an operation that failed so may be tried again (Curator's RetryLoop.shouldRetry). */
export function isRetryable(error: unknown): boolean {
  return isKeeperError(error) && RETRYABLE.has(error.code);
}

function requireNonNegative(value: number, name: string, infinite = false): void {
  if (Number.isNaN(value) || value < 0 || (!infinite && !Number.isFinite(value))) throw new RangeError(`${name} must be a non-negative number, not ${value}`);
}

/** Curator's limit: more retries than this would overflow the backoff's shift. */
const MAX_EXPONENTIAL_RETRIES = 29;

/**
 * Sleeps base × a random factor in [1, 2^(retry+1)], up to `maxRetries` times (Curator's
 * ExponentialBackoffRetry), never longer than `maxSleepMs`.
 */
export class ExponentialBackoffRetry implements RetryPolicy {
  constructor(
    readonly baseSleepMs: number,
    readonly maxRetries: number,
    readonly maxSleepMs: number = Number.MAX_SAFE_INTEGER,
    private readonly random: () => number = Math.random,
  ) {
    requireNonNegative(baseSleepMs, 'baseSleepMs');
    requireNonNegative(maxRetries, 'maxRetries');
    requireNonNegative(maxSleepMs, 'maxSleepMs', true);
    if (maxRetries > MAX_EXPONENTIAL_RETRIES) throw new RangeError(`maxRetries may be ${MAX_EXPONENTIAL_RETRIES} at most, not ${maxRetries}`);
  }

  allowRetry(retryCount: number): number | null {
    if (retryCount >= this.maxRetries) return null;
    const factor = Math.max(1, Math.floor(this.random() * (1 << (retryCount + 1))));
    return Math.min(this.baseSleepMs * factor, this.maxSleepMs);
  }
}

/** ExponentialBackoffRetry with a required cap (Curator's BoundedExponentialBackoffRetry). */
export class BoundedExponentialBackoffRetry extends ExponentialBackoffRetry {
  constructor(baseSleepMs: number, maxSleepMs: number, maxRetries: number, random?: () => number) {
    super(baseSleepMs, maxRetries, maxSleepMs, random);
  }
}

/** At most `n` retries, `sleepMs` apart (Curator's RetryNTimes). */
export class RetryNTimes implements RetryPolicy {
  constructor(
    readonly n: number,
    readonly sleepMs: number,
  ) {
    requireNonNegative(n, 'n');
    requireNonNegative(sleepMs, 'sleepMs');
  }

  allowRetry(retryCount: number): number | null {
    return retryCount < this.n ? this.sleepMs : null;
  }
}

/** One retry after `sleepMs` (Curator's RetryOneTime). */
export class RetryOneTime extends RetryNTimes {
  constructor(sleepMs: number) {
    super(1, sleepMs);
  }
}

/** Retries `sleepMs` apart until `maxElapsedMs` have passed since the first attempt (Curator's RetryUntilElapsed). */
export class RetryUntilElapsed implements RetryPolicy {
  constructor(
    readonly maxElapsedMs: number,
    readonly sleepMs: number,
  ) {
    requireNonNegative(maxElapsedMs, 'maxElapsedMs');
    requireNonNegative(sleepMs, 'sleepMs');
  }

  allowRetry(_retryCount: number, elapsedMs: number): number | null {
    if (elapsedMs >= this.maxElapsedMs) return null;
    // The last sleep ends at the deadline rather than past it.
    return Math.min(this.sleepMs, this.maxElapsedMs - elapsedMs);
  }
}

/** Retries forever, `sleepMs` apart (Curator's RetryForever). */
export class RetryForever implements RetryPolicy {
  constructor(readonly sleepMs: number) {
    requireNonNegative(sleepMs, 'sleepMs');
  }

  allowRetry(): number {
    return this.sleepMs;
  }
}

/** Never retries. */
export const NO_RETRY: RetryPolicy = Object.freeze({ allowRetry: () => null });

export interface RetryClock {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: RetryClock = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Runs `attempt` until it succeeds, fails with an answer, or the policy gives up; the last
 * failure is what the caller sees. `attempt` gets the attempt number (0 first).
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  clock: RetryClock = REAL_CLOCK,
  /** True once retrying is pointless (the client was closed). */
  stopped: () => boolean = () => false,
): Promise<T> {
  const startedMs = clock.nowMs();
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await attempt(retryCount);
    } catch (error) {
      if (!isRetryable(error) || stopped()) throw error;
      const sleepMs = policy.allowRetry(retryCount, clock.nowMs() - startedMs);
      if (sleepMs === null) throw error;
      await clock.sleep(sleepMs);
    }
  }
}
