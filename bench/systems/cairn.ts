// Cairn under test: a standalone server or a 3-server ensemble of `cairn server` processes from the
// build, on loopback, with fsync on (Cairn has no switch to turn it off).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startEnsemble } from '../../test/integration/ensemble-harness.js';
import { makeDataDir, removeDir, startServerProcess, type ServerProcess } from '../../test/integration/harness.js';
import type { ServerHandle, Topology } from './topology.js';

/** zoo_sample.cfg's values, which are also Cairn's defaults; set explicitly so both systems see the same. */
export const QUORUM_TIMING = { tickTime: 2000, initLimit: 10, syncLimit: 5 };

export function cairnVersion(): string {
  const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: resolve(import.meta.dirname, '../../..'), encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return `${manifest.version} (${commit})`;
}

/** SIGTERM, and SIGKILL if the server has not exited within `graceMs` (the bench must go on). */
async function stopBounded(server: ServerProcess, graceMs = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`cairn server ${server.child.pid} did not exit within ${graceMs} ms of SIGTERM: SIGKILL\n`);
      server.child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([server.stop('SIGTERM'), killed]);
  await server.exited;
  clearTimeout(timer);
}

function handle(id: number, server: ServerProcess): ServerHandle {
  return {
    id,
    pid: server.child.pid!,
    dataDir: server.dataDir,
    jute: `127.0.0.1:${server.clientPort}`,
    grpc: server.grpcAddress,
    http: `http://127.0.0.1:${server.httpPort}`,
    alive: () => server.child.exitCode === null && server.child.signalCode === null,
  };
}

/** What the admin API says a server is: 'leader', 'follower', 'standalone', 'looking'… or null. */
async function serverState(http: string): Promise<string | null> {
  try {
    const response = await fetch(`${http}/commands/srvr`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return null;
    const body = (await response.json()) as { server_stats?: { server_state?: string } };
    return body.server_stats?.server_state ?? null;
  } catch {
    return null;
  }
}

export async function startCairn(options: { servers: 1 | 3; dataDir?: string; config?: Record<string, string | number>; cpuProfileDir?: string }): Promise<Topology> {
  // Profiles are written when a server exits (SIGTERM): summarize them with dist/bench/profile-summary.js.
  const nodeArgs = options.cpuProfileDir === undefined ? undefined : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const common = [`clientPortAddress=127.0.0.1; gRPC, HTTP and client ports from the OS; data in a temporary directory`];
  if (options.servers === 1) {
    const dataDir = options.dataDir ?? (await makeDataDir('cairn-bench-'));
    const server = await startServerProcess({ dataDir, config: { ...options.config }, startTimeoutMs: 600_000, ...(nodeArgs === undefined ? {} : { nodeArgs }) });
    const servers = [handle(1, server)];
    return {
      system: 'cairn',
      name: 'cairn-1',
      servers,
      version: cairnVersion(),
      settings: [...common, ...Object.entries(options.config ?? {}).map(([key, value]) => `${key}=${value}`)],
      leader: async () => (servers[0]!.alive() ? 1 : null),
      output: () => server.logs.map((entry) => JSON.stringify(entry)).join('\n'),
      kill: () => server.child.kill('SIGKILL'),
      stop: async () => {
        await stopBounded(server);
        if (options.dataDir === undefined) await removeDir(dataDir);
      },
    };
  }
  const ensemble = await startEnsemble({ voters: 3, config: { ...QUORUM_TIMING, ...options.config }, ...(nodeArgs === undefined ? {} : { nodeArgs }) });
  await ensemble.awaitServing(3, 60_000);
  const servers = ensemble.members.map((member) => handle(member.id, member.process!));
  return {
    system: 'cairn',
    name: 'cairn-3',
    servers,
    version: cairnVersion(),
    settings: [...common, 'server.1..3 on loopback with quorum and election ports from the OS', ...Object.entries({ ...QUORUM_TIMING, ...options.config }).map(([key, value]) => `${key}=${value}`)],
    async leader() {
      for (const server of servers) {
        if (server.alive() && (await serverState(server.http!)) === 'leader') return server.id;
      }
      return null;
    },
    kill: (id) => ensemble.members[id - 1]!.process!.child.kill('SIGKILL'),
    async stop() {
      await Promise.all(ensemble.members.map((member) => (member.process === null ? undefined : stopBounded(member.process))));
      await Promise.all(ensemble.members.map((member) => removeDir(member.dataDir)));
    },
  };
}
