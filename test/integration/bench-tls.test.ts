// The TLS cost bench, smoke-sized: `node dist/bench/tls-cost.js` with short phases against a real
// Cairn and a real ZooKeeper 3.8, each over plaintext and TLS, must measure all four and write
// its results, so the bench cannot rot between the runs bench/README.md cites.

import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, expect } from 'vitest';
import { describeWith, itWith } from '../support/requirements.js';
import { makeDataDir, removeDir } from './harness.js';

const TLS_COST = resolve(import.meta.dirname, '../../dist/bench/tls-cost.js');

interface Phase {
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

describeWith(['openssl', 'zookeeper', 'java'], 'bench: tls-cost', () => {
  let out = '';

  afterAll(async () => {
    if (out !== '') await removeDir(out);
  });

  itWith(['openssl', 'zookeeper', 'java'], 'measures Cairn and ZooKeeper over plaintext and TLS and writes the figures', async () => {
    out = await makeDataDir('cairn-bench-tls-');
    const args = [TLS_COST, '--seconds', '0.5', '--rounds', '1', '--clients', '2', '--in-flight', '4', '--out', out];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk.toString()));
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, output).toBe(0);

    const files = await readdir(out);
    expect(files).toHaveLength(1);
    const written = JSON.parse(await readFile(join(out, files[0]!), 'utf8')) as { options: Record<string, unknown>; table: string; results: Record<string, Record<string, Phase[]>> };
    expect(written.options).not.toHaveProperty('out');
    expect(Object.keys(written.results).sort()).toEqual(['Cairn TLS', 'Cairn plaintext', 'ZooKeeper TLS', 'ZooKeeper plaintext']);
    for (const [target, byOp] of Object.entries(written.results)) {
      expect(Object.keys(byOp).sort(), target).toEqual(['create', 'getData']);
      for (const [op, [phase]] of Object.entries(byOp)) {
        expect(phase!.operations, `${target} ${op}`).toBeGreaterThan(0);
        expect(phase!.p99Ms, `${target} ${op}`).toBeGreaterThanOrEqual(phase!.p50Ms);
      }
    }
    // The table gives TLS over plaintext for both servers.
    expect(written.table).toMatch(/Cairn TLS\s+create\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\.\d\d/);
    expect(written.table).toMatch(/ZooKeeper TLS\s+getData\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\.\d\d/);
  }, 180_000);
});
