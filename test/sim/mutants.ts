// Proves that the simulation can fail: each deliberate bug of src/core/mutants.ts, switched on
// alone, must make some seed `npm test` runs fail: one of the sweeps, or else one of the
// regression seeds (a bug a long sweep found may need the very run that found it). The first
// failing seed is reported with how many events it took; a mutant no seed catches is MISSED.

import { MUTANTS, type MutantName } from '../../src/core/mutants.js';
import { runSimulation, type SimulationOptions, type SimulationResult } from './cluster.js';
import { REGRESSIONS } from './regressions.js';
import { reproduceCommand, TEST_SWEEPS } from './sweeps.js';

export interface MutantOutcome {
  mutant: MutantName;
  caught: { seed: number; regression: boolean; events: number; seedsRun: number; failure: string; command: string } | null;
  seedsRun: number;
}

/** Runs the sweeps, then the regression seeds, with `mutant` on until a seed fails. */
export async function huntMutant(mutant: MutantName): Promise<MutantOutcome> {
  const runs = [
    ...TEST_SWEEPS.flatMap((sweep) => Array.from({ length: sweep.count }, (_, index) => ({ seed: sweep.from + index, overrides: sweep.overrides, regression: false }))),
    ...REGRESSIONS.map(({ seed, operations, voters, observers, sessionTicks }) => ({ seed, overrides: { operations, voters, observers, sessionTicks }, regression: true })),
  ];
  let seedsRun = 0;
  for (const { seed, overrides: base, regression } of runs) {
    seedsRun++;
    const overrides: Partial<SimulationOptions> = { mutant };
    for (const [key, value] of Object.entries(base)) if (value !== undefined) Object.assign(overrides, { [key]: value });
    const result: SimulationResult = await runSimulation(seed, overrides);
    if (!result.ok) {
      return {
        mutant,
        caught: { seed, regression, events: result.events, seedsRun, failure: (result.failure ?? '').split('\n')[0]!, command: reproduceCommand(seed, overrides) },
        seedsRun,
      };
    }
  }
  return { mutant, caught: null, seedsRun };
}

export function describeOutcome(outcome: MutantOutcome): string {
  if (outcome.caught === null) return `${outcome.mutant}: MISSED by all ${outcome.seedsRun} seeds (${MUTANTS[outcome.mutant]})`;
  const { seed, regression, events, seedsRun, failure } = outcome.caught;
  return `${outcome.mutant}: caught by ${regression ? 'regression ' : ''}seed ${seed} after ${events} events (${seedsRun} seed${seedsRun === 1 ? '' : 's'} run): ${failure}`;
}

export const ALL_MUTANTS = Object.keys(MUTANTS) as MutantName[];
