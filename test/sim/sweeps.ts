// The sweeps `npm test` runs, named once: the simulation test, the mutant runner and
// `npm run sim` all take their seeds from here.

import type { SimulationOptions } from './cluster.js';

export interface Sweep {
  name: string;
  from: number;
  count: number;
  overrides: Partial<SimulationOptions>;
}

export const TEST_SWEEPS: readonly Sweep[] = [
  { name: '3 voters + 1 observer', from: 1, count: 300, overrides: { voters: 3, observers: 1, operations: 200 } },
  { name: '5 voters + 2 observers', from: 10_001, count: 60, overrides: { voters: 5, observers: 2, operations: 400 } },
  // Sessions that outlive a paused leader: clients come back to it and find it still leading.
  { name: 'long sessions', from: 20_001, count: 60, overrides: { voters: 3, observers: 1, operations: 400, sessionTicks: 30 } },
];

/** The command line that replays one seed of a sweep. */
export function reproduceCommand(seed: number, overrides: Partial<SimulationOptions>): string {
  const flags = [
    overrides.operations === undefined ? '' : ` --ops ${overrides.operations}`,
    overrides.voters === undefined ? '' : ` --voters ${overrides.voters}`,
    overrides.observers === undefined ? '' : ` --observers ${overrides.observers}`,
    overrides.sessionTicks === undefined ? '' : ` --session-ticks ${overrides.sessionTicks}`,
    overrides.faults === false ? ' --calm' : '',
    overrides.mutant === undefined ? '' : ` --mutant ${overrides.mutant}`,
  ].join('');
  return `npm run sim -- --seed ${seed}${flags}`;
}
