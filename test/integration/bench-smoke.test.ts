// The bench, smoke-sized: `node dist/bench/run.js --smoke` against a standalone Cairn (real server
// process, real generator processes, every Cairn protocol) must produce results.json, report.md
// and charts that hold what they claim, so the bench cannot rot between full runs.

import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDataDir, removeDir } from './harness.js';

const RUN = resolve(import.meta.dirname, '../../dist/bench/run.js');
/** A few seconds of cells, but a dozen process starts: on a busy 2-core machine the run has taken about a minute. */
const RUN_TIMEOUT_MS = 300_000;

interface Cell {
  topology: string;
  protocol: string;
  workload: string;
  concurrency: number;
  run: number;
  windowMs: number;
  ops: number;
  opsPerSec: number;
  latency: { count: number; p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; maxMs: number };
  errors: Record<string, number>;
  serverCpuSecPer1000: number | null;
  serverPeakRssMiB: number[];
  clientElu: number[];
}

/** Every tag closed in order; self-closing tags allowed; no stray '<' or '&' in text. */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  const tags = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let match = tags.exec(xml); match !== null; match = tags.exec(xml)) {
    const text = xml.slice(last, match.index);
    if (/[<]|&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text)) return false;
    last = tags.lastIndex;
    const [, closing, name, , selfClosing] = match;
    if (selfClosing === '/') continue;
    if (closing === '/') {
      if (stack.pop() !== name) return false;
    } else stack.push(name!);
  }
  return stack.length === 0 && xml.slice(last).trim() === '';
}

describe('npm run bench -- --smoke', () => {
  let out = '';

  afterAll(async () => {
    if (out !== '') await removeDir(out);
  });

  it('measures every Cairn protocol and writes a well-formed report', async () => {
    out = await makeDataDir('cairn-bench-smoke-');
    const child = spawn(process.execPath, [RUN, '--smoke', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk.toString()));
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, output).toBe(0);

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
      settings: { mode: string; runs: number; workloads: string[]; concurrency: number[] };
      floor: { fdatasync: { p50Ms: number }; loopbackRtt: { p50Ms: number }; writeFloorMs: { standalone: number } };
      cells: Cell[];
      skipped: unknown[];
      versions: Record<string, string>;
    };
    expect(results.settings.mode).toBe('smoke');
    expect(results.skipped).toEqual([]);
    expect(results.versions.cairn).toMatch(/^\d+\.\d+\.\d+/);
    expect(results.floor.fdatasync.p50Ms).toBeGreaterThan(0);
    expect(results.floor.loopbackRtt.p50Ms).toBeGreaterThan(0);
    expect(results.floor.writeFloorMs.standalone).toBeCloseTo(results.floor.fdatasync.p50Ms + results.floor.loopbackRtt.p50Ms, 2);

    const protocols = ['jute', 'gRPC stream', 'gRPC unary', 'REST'];
    expect(results.cells).toHaveLength(protocols.length * results.settings.workloads.length * results.settings.concurrency.length * results.settings.runs);
    for (const cell of results.cells) {
      const name = `${cell.protocol} ${cell.workload} #${cell.run}`;
      expect(cell.topology, name).toBe('cairn-1');
      expect(protocols, name).toContain(cell.protocol);
      expect(cell.errors, name).toEqual({});
      // A generator's window stays open until it has completions, however busy the machine.
      expect(cell.ops, `${name} (window ${cell.windowMs} ms)`).toBeGreaterThan(0);
      expect(cell.latency.count, name).toBe(cell.ops);
      const { p50Ms, p90Ms, p99Ms, p999Ms, maxMs } = cell.latency;
      expect(0 < p50Ms && p50Ms <= p90Ms && p90Ms <= p99Ms && p99Ms <= p999Ms && p999Ms <= maxMs, `${name}: ${JSON.stringify(cell.latency)}`).toBe(true);
      expect(cell.serverCpuSecPer1000, `${name} (${cell.ops} ops in ${cell.windowMs} ms)`).toBeGreaterThan(0);
      expect(cell.serverPeakRssMiB[0], name).toBeGreaterThan(10);
      expect(cell.clientElu.every((elu) => elu > 0 && elu <= 1), name).toBe(true);
    }

    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/^# Cairn bench: smoke run/);
    for (const section of ['## Targets', '## The floor', '## Standalone', '## Charts', '## Every cell']) expect(report).toContain(section);
    // The every-cell table has one row per cell.
    expect(report.split('\n').filter((line) => line.startsWith('| cairn-1 |'))).toHaveLength(results.cells.length);
    const charts = (await readdir(join(out, 'charts'))).sort();
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) {
      expect(report).toContain(`](charts/${chart})`);
      const svg = await readFile(join(out, 'charts', chart), 'utf8');
      expect(svg.startsWith('<svg'), chart).toBe(true);
      expect(wellFormed(svg), chart).toBe(true);
      expect(svg, chart).not.toMatch(/NaN|undefined/);
    }
  }, RUN_TIMEOUT_MS);
});
