// Proves that the simulation can fail: each deliberate bug of src/core/mutants.ts, switched on
// alone, must make some seed of the sweep `npm test` runs fail. The first failing seed is
// reported with how many events it took; a mutant no seed catches is MISSED.

import { MUTANTS, type MutantName } from '../../src/core/mutants.js';
import { runSimulation, type SimulationResult } from './cluster.js';
import { reproduceCommand, TEST_SWEEPS } from './sweeps.js';

export interface MutantOutcome {
  mutant: MutantName;
  caught: { seed: number; events: number; seedsRun: number; failure: string; command: string } | null;
  seedsRun: number;
}

/** Runs the sweep with `mutant` on until a seed fails (or the sweep ends). */
export async function huntMutant(mutant: MutantName): Promise<MutantOutcome> {
  let seedsRun = 0;
  for (const sweep of TEST_SWEEPS) {
    for (let seed = sweep.from; seed < sweep.from + sweep.count; seed++) {
      seedsRun++;
      const overrides = { ...sweep.overrides, mutant };
      const result: SimulationResult = await runSimulation(seed, overrides);
      if (!result.ok) {
        return {
          mutant,
          caught: { seed, events: result.events, seedsRun, failure: (result.failure ?? '').split('\n')[0]!, command: reproduceCommand(seed, overrides) },
          seedsRun,
        };
      }
    }
  }
  return { mutant, caught: null, seedsRun };
}

export function describeOutcome(outcome: MutantOutcome): string {
  if (outcome.caught === null) return `${outcome.mutant}: MISSED by all ${outcome.seedsRun} seeds (${MUTANTS[outcome.mutant]})`;
  const { seed, events, seedsRun, failure } = outcome.caught;
  return `${outcome.mutant}: caught by seed ${seed} after ${events} events (${seedsRun} seed${seedsRun === 1 ? '' : 's'} run): ${failure}`;
}

export const ALL_MUTANTS = Object.keys(MUTANTS) as MutantName[];
