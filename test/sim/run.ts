// `npm run sim -- --seeds N --ops M [--from S] [--seed S [--trace]] [--calm] [--voters V --observers O] [--session-ticks T]`:
// long simulation sweeps. A failure prints its seed and the one-line command that reproduces it
// exactly; the last line gives seeds/s and the simulated time covered.

import { MUTANTS, type MutantName } from '../../src/core/mutants.js';
import { runSimulation, type SimulationOptions } from './cluster.js';
import { ALL_MUTANTS, describeOutcome, huntMutant } from './mutants.js';
import { reproduceCommand } from './sweeps.js';

function parse(argv: string[]): { seeds: number; from: number; overrides: Partial<SimulationOptions>; verbose: boolean } {
  const value = (name: string) => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  const seed = value('--seed');
  const overrides: Partial<SimulationOptions> = {};
  const ops = value('--ops');
  if (ops !== undefined) overrides.operations = Number(ops);
  const voters = value('--voters');
  if (voters !== undefined) overrides.voters = Number(voters);
  const observers = value('--observers');
  if (observers !== undefined) overrides.observers = Number(observers);
  const sessionTicks = value('--session-ticks');
  if (sessionTicks !== undefined) overrides.sessionTicks = Number(sessionTicks);
  if (argv.includes('--calm')) overrides.faults = false;
  if (argv.includes('--trace')) overrides.keepTrace = true;
  const mutant = value('--mutant');
  if (mutant !== undefined) {
    if (!(mutant in MUTANTS)) throw new Error(`unknown mutant ${mutant}; known: ${Object.keys(MUTANTS).join(', ')}`);
    overrides.mutant = mutant as MutantName;
  }
  return {
    seeds: seed === undefined ? Number(value('--seeds') ?? 100) : 1,
    from: Number(seed ?? value('--from') ?? 1),
    overrides,
    verbose: argv.includes('--verbose') || seed !== undefined,
  };
}

if (process.argv.includes('--mutants')) {
  // One line per mutant, then the tally; non-zero exit if any is missed.
  let caught = 0;
  for (const mutant of ALL_MUTANTS) {
    const outcome = await huntMutant(mutant);
    if (outcome.caught !== null) caught++;
    console.log(describeOutcome(outcome));
  }
  console.log(`${caught} caught, ${ALL_MUTANTS.length - caught} missed`);
  process.exit(caught === ALL_MUTANTS.length ? 0 : 1);
}

const { seeds, from, overrides, verbose } = parse(process.argv.slice(2));
const started = performance.now();
let failures = 0;
let operations = 0;
let simulatedMs = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const result = await runSimulation(seed, overrides);
  operations += result.operations;
  simulatedMs += result.simulatedMs;
  if (!result.ok) {
    failures++;
    console.log(`seed ${seed} FAILED: ${result.failure}`);
    console.log(`reproduce: ${reproduceCommand(seed, overrides)}`);
    if (verbose) console.log(result.trace.join('\n'));
  } else if (verbose) {
    console.log(
      `seed ${seed} ok: ${result.operations} ops, ${result.acknowledgedWrites} acknowledged writes, ${result.watchEvents} watch events, ${result.persistentWatches} persistent watches (${result.persistentWatchesLive} open at the end), ` +
        `${result.sessionsExpired} sessions expired, ${result.failedSyncs} failed fsyncs, ${result.epochs} epochs, ${result.events} events, ${result.simulatedMs} simulated ms`,
    );
    if (process.argv.includes('--trace')) console.log(result.trace.join('\n'));
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(
  `${seeds - failures} passed, ${failures} failed: ${seeds} seeds × ${overrides.operations ?? 200} ops (${operations} recorded) in ${seconds.toFixed(1)} s, ` +
    `${(seeds / seconds).toFixed(2)} seeds/s, ${(simulatedMs / 3_600_000).toFixed(2)} simulated hours`,
);
process.exitCode = failures === 0 ? 0 : 1;
