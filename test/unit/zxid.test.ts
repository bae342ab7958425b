// zxids: epoch in the high bits, a 32-bit counter in the low ones.

import { describe, expect, it } from 'vitest';
import { makeZxid, zxidAfter, zxidCounter, zxidEpoch } from '../../src/core/types.js';

describe('zxidAfter (a standalone server, which decides its own epochs)', () => {
  it('counts up within an epoch', () => {
    expect(zxidAfter(makeZxid(3, 7))).toBe(makeZxid(3, 8));
  });

  it('starts the next epoch at counter 1 once the 32-bit counter is used up, never carrying into the epoch as counter 0', () => {
    const last = makeZxid(3, 2 ** 32 - 1);
    const next = zxidAfter(last);
    expect(zxidEpoch(next)).toBe(4);
    expect(zxidCounter(next)).toBe(1);
    expect(next).toBeGreaterThan(last);
  });
});
