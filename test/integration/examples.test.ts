// The application scenarios of src/client/examples, each run as the README shows it (node
// dist/src/client/examples/NAME.js …) against a real server: several processes at once where the
// scenario has several parties, and a process killed where it is about fail-over.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const example = (name: string) => resolve(ROOT, 'dist', 'src', 'client', 'examples', `${name}.js`);

let server: ServerProcess;
const running: ChildProcess[] = [];

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
});

/** Runs an example to its end; resolves with its output. */
function run(name: string, args: (string | number)[]): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [example(name), '--server', server.grpcAddress, ...args.map(String)], { timeout: 60_000 }, (error, stdout, stderr) =>
      error === null ? done(stdout) : fail(new Error(`${name} ${args.join(' ')}: ${error.message}\n${stderr}`)),
    );
  });
}

/** Starts a long-running example; its output lines accumulate. */
function start(name: string, args: (string | number)[], env: Record<string, string> = {}): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, [example(name), '--server', server.grpcAddress, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CAIRN_SESSION_TIMEOUT_MS: '2000', ...env } });
  running.push(child);
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop()!;
    lines.push(...complete);
  });
  return { child, lines };
}

describe('the examples', () => {
  it('config center: a follower reloads on every change', async () => {
    await run('config-center', ['set', 'shop', 'currency', 'EUR']);
    const follower = start('config-center', ['follow', 'shop']);
    await waitFor(() => follower.lines.includes('{"currency":"EUR"}'), 30_000, 'the first config');
    await run('config-center', ['set', 'shop', 'currency', 'CHF']);
    await run('config-center', ['set', 'shop', 'timeout', '30']);
    await waitFor(() => follower.lines.includes('{"currency":"CHF","timeout":"30"}'), 30_000, 'the reloaded config');
    follower.child.kill('SIGTERM');
  });

  it('service registry: instances found and balanced round robin; a stopped one is gone', async () => {
    const first = start('service-registry', ['register', 'pay', 'pay-1', 7001]);
    const second = start('service-registry', ['register', 'pay', 'pay-2', 7002]);
    await waitFor(() => first.lines.includes('registered pay/pay-1') && second.lines.includes('registered pay/pay-2'), 30_000, 'two instances');
    expect((await run('service-registry', ['call', 'pay', 4])).trim().split('\n')).toEqual(['pay-1 127.0.0.1:7001', 'pay-2 127.0.0.1:7002', 'pay-1 127.0.0.1:7001', 'pay-2 127.0.0.1:7002']);
    second.child.kill('SIGTERM'); // closes its session: the instance goes at once
    await waitFor(async () => (await run('service-registry', ['call', 'pay', 2])).trim() === 'pay-1 127.0.0.1:7001\npay-1 127.0.0.1:7001', 30_000, 'pay-2 to go');
    first.child.kill('SIGTERM');
  });

  it('unique IDs: distinct and increasing across processes at once', async () => {
    const outputs = await Promise.all([0, 1, 2].map(() => run('unique-ids', [20])));
    const ids = outputs.flatMap((output) => output.trim().split('\n').map(Number));
    expect(new Set(ids).size).toBe(60);
    for (const output of outputs) {
      const mine = output.trim().split('\n').map(Number);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it('master election: one master, and another takes over when it dies', async () => {
    const a = start('master-election', ['a']);
    await waitFor(() => a.lines.includes('a is the master'), 30_000, 'a to be master');
    const b = start('master-election', ['b']);
    await waitFor(() => b.lines.includes('b joined'), 30_000, 'b to join');
    expect(b.lines).not.toContain('b is the master');
    a.child.kill('SIGKILL'); // its session expires after 2 s
    await waitFor(() => b.lines.includes('b is the master'), 30_000, 'b to take over');
    b.child.kill('SIGTERM');
  });

  it('master–worker: tasks assigned to workers, and a dead worker\'s tasks reassigned', async () => {
    const masterProcess = start('master-worker', ['master', 'm1']);
    await waitFor(() => masterProcess.lines.includes('m1 is the master'), 30_000, 'the master');
    const slow = start('master-worker', ['worker', 'slow'], { WORK_MS: '60000' }); // takes its tasks and never finishes
    const fast = start('master-worker', ['worker', 'fast']);
    await waitFor(() => slow.lines.includes('slow is working') && fast.lines.includes('fast is working'), 30_000, 'two workers');
    await run('master-worker', ['submit', 't1', 't2', 't3', 't4']);
    await waitFor(() => masterProcess.lines.filter((line) => line.startsWith('assigned')).length >= 4, 30_000, 'the tasks assigned');
    expect(masterProcess.lines.some((line) => line.endsWith('to slow'))).toBe(true);
    slow.child.kill('SIGKILL'); // its ephemeral goes with its session: its tasks go to fast
    const status = await run('master-worker', ['status', 4]);
    expect(status.trim().split('\n')).toEqual(['t1: done by fast', 't2: done by fast', 't3: done by fast', 't4: done by fast']);
    expect(masterProcess.lines.some((line) => line.startsWith('reassigning') && line.endsWith('from slow'))).toBe(true);
    masterProcess.child.kill('SIGTERM');
    fast.child.kill('SIGTERM');
  });

  it('work queue: jobs done once each, in order, by several workers', async () => {
    await run('work-queue', ['put', 'j1', 'j2', 'j3', 'j4', 'j5', 'j6']);
    const done = await Promise.all([run('work-queue', ['work', 3]), run('work-queue', ['work', 3])]);
    const jobs = done.flatMap((output) => output.trim().split('\n').map((line) => line.replace('done ', '')));
    expect(jobs.sort()).toEqual(['j1', 'j2', 'j3', 'j4', 'j5', 'j6']);
    for (const output of done) {
      const mine = output.trim().split('\n');
      expect(mine).toEqual([...mine].sort());
    }
  });

  it('barrier: no process starts before all three arrive, none finishes before all have started', async () => {
    const first = start('barrier', ['phase', 3]);
    const second = start('barrier', ['phase', 3]);
    await new Promise((done) => setTimeout(done, 1_000));
    expect([...first.lines, ...second.lines].some((line) => line.startsWith('started'))).toBe(false);
    const third = await run('barrier', ['phase', 3]);
    await waitFor(() => first.lines.length === 2 && second.lines.length === 2, 30_000, 'all to finish');
    const times = [first.lines, second.lines, third.trim().split('\n')].map((lines) => lines.map((line) => Number(line.split(' ')[1])));
    const lastStart = Math.max(...times.map(([startedAt]) => startedAt!));
    const firstFinish = Math.min(...times.map(([, finishedAt]) => finishedAt!));
    expect(firstFinish).toBeGreaterThanOrEqual(lastStart);
  });
});
