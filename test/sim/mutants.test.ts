// Proof that the simulation can fail: each deliberate bug in the real code (src/core/mutants.ts)
// must make some seed sim.test.ts runs (a sweep's or a regression seed) fail. `npm run sim -- --mutants` prints the same lines.

import { describe, expect, it } from 'vitest';
import { ALL_MUTANTS, describeOutcome, huntMutant } from './mutants.js';

describe('every mutant is caught by a seed npm test runs', () => {
  for (const mutant of ALL_MUTANTS) {
    it(mutant, async () => {
      const outcome = await huntMutant(mutant);
      console.log(describeOutcome(outcome));
      expect(outcome.caught, describeOutcome(outcome)).not.toBeNull();
    }, 600_000);
  }
});
