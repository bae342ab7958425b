// What the benchmarks share: a Cairn server process from the build (127.0.0.1, ports from the OS),
// its CPU time and memory from /proc, latency samples and their percentiles, and output.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const CLI = resolve(import.meta.dirname, '../src/cli/main.js');

export interface LogEntry extends Record<string, unknown> {
  msg?: string;
  /** When this process read the line (Date.now()). */
  seenMs: number;
}

export interface BenchServer {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  grpcAddress: string;
  logs: LogEntry[];
  /** Date.now() when the process was spawned and when its 'cairn serving' line arrived. */
  spawnedMs: number;
  servingMs: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (from now on) that `match` accepts. */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs: number, what: string): Promise<LogEntry>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServerOptions {
  /** An existing data directory (restart); a fresh temporary one when absent. */
  dataDir?: string;
  /** zoo.cfg keys; clientPortAddress is always 127.0.0.1. */
  config?: Record<string, string | number>;
  /** Extra node flags for the server process, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function startBenchServer(options: ServerOptions = {}): Promise<BenchServer> {
  const dataDir = options.dataDir ?? (await makeTempDir('cairn-bench-'));
  const configFile = join(dataDir, 'bench.cfg');
  const config = { ...options.config, clientPortAddress: '127.0.0.1' };
  await writeFile(configFile, Object.entries(config).map(([key, value]) => `${key}=${value}\n`).join(''));
  const args = [...(options.nodeArgs ?? []), CLI, 'server', '--config', configFile, '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--client-port', '0'];
  const spawnedMs = Date.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogEntry[] = [];
  const listeners = new Set<(entry: LogEntry) => void>();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let entry: LogEntry;
    try {
      entry = { ...(JSON.parse(line) as Record<string, unknown>), seenMs: Date.now() };
    } catch {
      return;
    }
    logs.push(entry);
    for (const listener of [...listeners]) listener(entry);
  });
  const waitForLog = (match: (entry: LogEntry) => boolean, timeoutMs: number, what: string): Promise<LogEntry> =>
    new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`no '${what}' log line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      const listener = (entry: LogEntry) => {
        if (!match(entry)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolvePromise(entry);
      };
      listeners.add(listener);
      void exited.then(({ code, signal }) => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        reject(new Error(`the server exited (${code ?? signal}) before '${what}'; stderr: ${stderr.slice(-2000)}`));
      });
    });
  let serving: LogEntry;
  try {
    serving = await waitForLog((entry) => entry.msg === 'cairn serving', options.startTimeoutMs ?? 600_000, 'cairn serving');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    pid: child.pid!,
    dataDir,
    grpcAddress: `127.0.0.1:${serving.grpcPort as number}`,
    logs,
    spawnedMs,
    servingMs: serving.seenMs,
    exited,
    waitForLog,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 120_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// /proc

export interface ProcessStats {
  /** utime + stime, seconds. */
  cpuSeconds: number;
  rssBytes: number;
  /** Peak resident set size (VmHWM). */
  peakRssBytes: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // sysconf(_SC_CLK_TCK) on Linux

/** CPU time and memory of a process from /proc; null where /proc is not available. */
export function processStats(pid: number): ProcessStats | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND,
      rssBytes: statusKiB(status, 'VmRSS') * 1024,
      peakRssBytes: statusKiB(status, 'VmHWM') * 1024,
    };
  } catch {
    return null;
  }
}

/**
 * A process's CPU time at one moment, for measuring a window: nanoseconds on CPU per thread
 * (/proc/<pid>/task/<tid>/schedstat) where the kernel keeps them, and the clock-tick total of
 * /proc/<pid>/stat otherwise. Ticks are 10 ms: a short window on a busy machine can use less
 * than one and read as zero CPU.
 */
export interface CpuSample {
  threadNanos: Map<string, number> | null;
  tickSeconds: number;
}

export function cpuSample(pid: number): CpuSample | null {
  const stats = processStats(pid);
  if (stats === null) return null;
  let threadNanos: Map<string, number> | null = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        threadNanos.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
      } catch {
        // the thread ended between the listing and the read: its time is lost either way
      }
    }
  } catch {
    threadNanos = null;
  }
  // No thread's figure (no schedstat in this kernel): the ticks are all there is.
  if (threadNanos?.size === 0) threadNanos = null;
  return { threadNanos, tickSeconds: stats.cpuSeconds };
}

/**
 * CPU seconds between two samples of one process. A thread that started in between counts whole
 * (a reused thread id shows as a smaller figure); one that ended in between is lost, which a Node
 * server, whose threads live as long as it does, does not do.
 */
export function cpuSecondsBetween(before: CpuSample | null, after: CpuSample | null): number {
  if (before === null || after === null) return NaN;
  if (before.threadNanos === null || after.threadNanos === null) return after.tickSeconds - before.tickSeconds;
  let nanos = 0;
  for (const [tid, value] of after.threadNanos) {
    const earlier = before.threadNanos.get(tid) ?? 0;
    nanos += value >= earlier ? value - earlier : value;
  }
  return nanos / 1e9;
}

function statusKiB(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match === null ? 0 : Number(match[1]);
}

// ---------------------------------------------------------------------------------------------
// Latency samples

/** A growable list of latency samples in microseconds. */
export class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;

  add(micros: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = micros;
  }

  addAll(values: Float64Array): void {
    for (const value of values) this.add(value);
  }

  clear(): void {
    this.length = 0;
  }

  toArray(): Float64Array {
    return this.values.slice(0, this.length);
  }
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(samples: Float64Array): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! / 1000);
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    p50Ms: round(at(0.5)),
    p90Ms: round(at(0.9)),
    p99Ms: round(at(0.99)),
    p999Ms: round(at(0.999)),
    maxMs: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1]! / 1000),
    meanMs: round(sorted.length === 0 ? 0 : total / sorted.length / 1000),
  };
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function mib(bytes: number): number {
  return round(bytes / (1024 * 1024), 1);
}

/** Microseconds since an hrtime.bigint() start. */
export function microsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** A two-column table for people. */
export function table(rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`).join('\n');
}

export function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
