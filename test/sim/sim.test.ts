// The deterministic simulation: whole ensembles under faults, checked for linearizability and
// ZAB's invariants. A failure names its seed and the command that replays it.

import { describe, expect, it } from 'vitest';
import { checkLinearizable, type NodeOp, type Operation } from './checker.js';
import { runSimulation, type SimulationOptions, type SimulationResult } from './cluster.js';
import { REGRESSIONS } from './regressions.js';
import { reproduceCommand, TEST_SWEEPS } from './sweeps.js';

async function sweep(from: number, count: number, overrides: Partial<SimulationOptions>): Promise<SimulationResult[]> {
  const failures: SimulationResult[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const result = await runSimulation(seed, overrides);
    if (!result.ok) failures.push(result);
  }
  return failures;
}

function describeFailures(failures: SimulationResult[], overrides: Partial<SimulationOptions>): string {
  return failures.map((failure) => `seed ${failure.seed}: ${failure.failure}\n  reproduce: ${reproduceCommand(failure.seed, overrides)}`).join('\n');
}

describe('simulation sweep', () => {
  for (const { name, from, count, overrides } of TEST_SWEEPS) {
    it(`${name}: ${count} seeds × ${overrides.operations} ops under faults stay linearizable and keep every guarantee`, async () => {
      const failures = await sweep(from, count, overrides);
      expect(describeFailures(failures, overrides)).toBe('');
    }, 600_000);
  }

  it('seeds that once failed stay fixed', async () => {
    const failures: SimulationResult[] = [];
    for (const regression of REGRESSIONS) {
      const result = await runSimulation(regression.seed, regression);
      if (!result.ok) failures.push(result);
    }
    expect(describeFailures(failures, {})).toBe('');
  }, 120_000);

  it('a leader whose zxid counter runs out forces an election: a new epoch, nothing lost (counter shortened to 15)', async () => {
    const overrides = { zxidCounterLimit: 15, operations: 300 };
    for (const seed of [1, 2, 3]) {
      const calm = await runSimulation(seed, { ...overrides, faults: false });
      expect(calm.failure ?? '').toBe('');
      // 300 operations, most of them writes, need several epochs of 15 txns.
      expect(calm.epochs).toBeGreaterThanOrEqual(5);
      const faulty = await runSimulation(seed, overrides);
      expect(faulty.failure ?? '').toBe('');
      expect(faulty.epochs).toBeGreaterThanOrEqual(5);
    }
  }, 120_000);

  it('the same seed gives the same run', async () => {
    const first = await runSimulation(42);
    const second = await runSimulation(42);
    expect(second).toEqual(first);
    expect(first.acknowledgedWrites).toBeGreaterThan(0);
  });
});

describe('the checks can fail', () => {
  const op = (id: number, invokeMs: number, returnMs: number | null, kind: 'create' | 'set' | 'read', result: Operation['result'], value = ''): Operation => ({
    id,
    client: id,
    path: '/k',
    op: kind === 'read' ? { kind } : { kind, value },
    invokeMs,
    returnMs,
    result,
  });

  it('the checker refuses a stale read after an acknowledged write', () => {
    const history = [
      op(0, 0, 10, 'create', { ok: true }, 'a'),
      op(1, 20, 30, 'set', { ok: true, version: 1 }, 'b'),
      op(2, 40, 50, 'read', { ok: true, value: 'a', version: 0 }),
    ];
    expect(checkLinearizable(history).ok).toBe(false);
  });

  it('the checker accepts the same read when it overlaps the write, and unknown outcomes either way', () => {
    const overlapping = [op(0, 0, 10, 'create', { ok: true }, 'a'), op(1, 20, 60, 'set', { ok: true, version: 1 }, 'b'), op(2, 40, 50, 'read', { ok: true, value: 'a', version: 0 })];
    expect(checkLinearizable(overlapping).ok).toBe(true);
    const unknown = [op(0, 0, 10, 'create', { ok: true }, 'a'), op(1, 20, null, 'set', null, 'b'), op(2, 40, 50, 'read', { ok: true, value: 'b', version: 1 })];
    expect(checkLinearizable(unknown).ok).toBe(true);
    const lostAck = [op(0, 0, 10, 'create', { ok: true }, 'a'), op(1, 20, 30, 'set', { ok: true, version: 1 }, 'b'), op(2, 40, 50, 'read', { ok: false, error: 'NoNode' })];
    expect(checkLinearizable(lostAck).ok).toBe(false);
  });

  const at = (id: number, path: string, invokeMs: number, returnMs: number | null, nodeOp: NodeOp, result: Operation['result']): Operation => ({
    id,
    client: id,
    path: nodeOp.kind === 'multi' ? nodeOp.ops[0]!.path : path,
    op: nodeOp,
    invokeMs,
    returnMs,
    result,
  });

  it('the checker holds a multi to all or nothing across znodes', () => {
    const multi: NodeOp = { kind: 'multi', ops: [{ kind: 'create', path: '/a', value: 'x' }, { kind: 'create', path: '/b', value: 'y' }] };
    // Both reads after the multi: one znode without the other is no state the multi left.
    const torn = [at(0, '', 0, 10, multi, { ok: true }), at(1, '/a', 20, 30, { kind: 'read' }, { ok: true, value: 'x', version: 0 }), at(2, '/b', 40, 50, { kind: 'read' }, { ok: false, error: 'NoNode' })];
    expect(checkLinearizable(torn)).toMatchObject({ ok: false, failedPaths: ['/a', '/b'] });
    const whole = [at(0, '', 0, 10, multi, { ok: true }), at(1, '/a', 20, 30, { kind: 'read' }, { ok: true, value: 'x', version: 0 }), at(2, '/b', 40, 50, { kind: 'read' }, { ok: true, value: 'y', version: 0 })];
    expect(checkLinearizable(whole).ok).toBe(true);
    // A multi still running while the reads ran: per znode each read is fine (it took effect
    // before the first, after the second), but it cannot have done both.
    const overlapping = [at(0, '', 0, 100, multi, { ok: true }), torn[1]!, torn[2]!];
    expect(checkLinearizable(overlapping).ok).toBe(false);
    expect(checkLinearizable([overlapping[0]!, overlapping[1]!]).ok).toBe(true);
    expect(checkLinearizable([overlapping[0]!, overlapping[2]!]).ok).toBe(true);
  });

  it('the checker knows a failed multi changed nothing, and which op failed', () => {
    const failing: NodeOp = { kind: 'multi', ops: [{ kind: 'create', path: '/a', value: 'x' }, { kind: 'set', path: '/b', value: 'y', version: -1 }] };
    const history = [at(0, '', 0, 10, failing, { ok: false, error: 'NoNode', index: 1 }), at(1, '/a', 20, 30, { kind: 'read' }, { ok: false, error: 'NoNode' })];
    expect(checkLinearizable(history).ok).toBe(true);
    expect(checkLinearizable([at(0, '', 0, 10, failing, { ok: false, error: 'NoNode', index: 0 })]).ok).toBe(false);
    expect(checkLinearizable([history[0]!, at(1, '/a', 20, 30, { kind: 'read' }, { ok: true, value: 'x', version: 0 })]).ok).toBe(false);
  });

  it('the checker applies expected versions: a setData with a stale version fails with BadVersion', () => {
    const history = [
      at(0, '/k', 0, 10, { kind: 'create', value: 'a' }, { ok: true }),
      at(1, '/k', 20, 30, { kind: 'set', value: 'b', version: 0 }, { ok: true, version: 1 }),
      at(2, '/k', 40, 50, { kind: 'set', value: 'c', version: 0 }, { ok: false, error: 'BadVersion' }),
      at(3, '/k', 60, 70, { kind: 'read' }, { ok: true, value: 'b', version: 1 }),
    ];
    expect(checkLinearizable(history).ok).toBe(true);
    const wrong = [...history.slice(0, 2), at(2, '/k', 40, 50, { kind: 'set', value: 'c', version: 0 }, { ok: true, version: 2 })];
    expect(checkLinearizable(wrong).ok).toBe(false);
  });

});
