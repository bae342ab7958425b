// Real server processes for integration tests: `cairn server` from the build, on loopback, with
// ports from the OS, read back from the start-up log line.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The project root, whether this file runs from test/integration (vitest) or dist/test/integration (the bench). */
const ROOT = resolve(import.meta.dirname, basename(resolve(import.meta.dirname, '../..')) === 'dist' ? '../../..' : '../..');

export const CLI = resolve(ROOT, 'dist/src/cli/main.js');

export interface ServerProcess {
  child: ChildProcess;
  dataDir: string;
  grpcPort: number;
  httpPort: number;
  /** The ZooKeeper wire-protocol port. */
  clientPort: number;
  /** The same protocol over TLS, when the config has secureClientPort. */
  secureClientPort: number | null;
  grpcAddress: string;
  /** Every log line so far (JSON objects). */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function makeDataDir(prefix = 'cairn-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface StartOptions {
  dataDir?: string;
  /** zoo.cfg lines written to a config file passed with --config. */
  config?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
  /** Extra environment variables for the server process (e.g. CAIRN_HTTP_* limits). */
  env?: Record<string, string>;
  /** Flags for node itself, before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** A command the server runs under, e.g. ['ip', 'netns', 'exec', NAME] (it must exec, keeping the pid). */
  wrap?: string[];
  /** Ports to pass as flags (default 0: any free port). */
  ports?: { grpc: number; http: number; client: number };
}

export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? (await makeDataDir());
  const ports = options.ports ?? { grpc: 0, http: 0, client: 0 };
  const args = [CLI, 'server', '--data-dir', dataDir, '--grpc-port', String(ports.grpc), '--http-port', String(ports.http), '--client-port', String(ports.client)];
  if (options.config !== undefined) {
    const file = join(dataDir, 'test.cfg');
    const lines = Object.entries({ clientPortAddress: '127.0.0.1', ...options.config }).map(([key, value]) => `${key}=${value}`);
    await writeFile(file, `${lines.join('\n')}\n`);
    args.push('--config', file);
  } else {
    const file = join(dataDir, 'test.cfg');
    await writeFile(file, 'clientPortAddress=127.0.0.1\n');
    args.push('--config', file);
  }
  const node = [process.execPath, ...(options.nodeArgs ?? [])];
  const command = options.wrap === undefined ? [...node, ...args] : [...options.wrap, ...node, ...args];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.on('exit', (code, signal) => resolvePromise({ code, signal })),
  );
  const serving = new Promise<Record<string, unknown>>((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'cairn serving') resolvePromise(entry);
    });
    exited.then(({ code, signal }) => reject(new Error(`server exited (${code ?? signal}) before serving: ${stderr}`)));
    setTimeout(() => reject(new Error(`server did not start within the timeout: ${stderr}`)), options.startTimeoutMs ?? 30_000).unref();
  });
  let entry: Record<string, unknown>;
  try {
    entry = await serving;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const grpcPort = entry.grpcPort as number;
  const httpPort = entry.httpPort as number;
  const clientPort = entry.clientPort as number;
  return {
    child,
    dataDir,
    grpcPort,
    httpPort,
    clientPort,
    secureClientPort: typeof entry.secureClientPort === 'number' ? entry.secureClientPort : null,
    grpcAddress: `${typeof entry.host === 'string' && entry.host !== '0.0.0.0' ? entry.host : '127.0.0.1'}:${grpcPort}`,
    logs,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it returns true, failing after the timeout. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 20));
  }
}
