// Write and read throughput and latency over ZooKeeper's wire protocol, with one client library
// (node-zookeeper-client) against Cairn and against a real ZooKeeper 3.8 (Debian's package) on
// this machine, in the same run. Both are standalone with fsync on (ZooKeeper's forceSync
// default; Cairn always syncs its log before acknowledging).
//
//   npm run build && node dist/bench/jute-compare.js [--seconds 5] [--clients 8] [--in-flight 16] [--bytes 100] [--servers 1|3]
//
// With --servers 3 both run as 3-server ensembles on loopback (ZooKeeper's QuorumPeerMain with
// server.N lines; `cairn ensemble --size 3`), and the clients get every server in their
// connection string (node-zookeeper-client picks one at random per client).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, startZooKeeper, type ZooKeeperProcess } from '../test/integration/zookeeper-process.js';
import { NzcClient } from '../test/jute/nzc.js';

/** The built `cairn` command next to this compiled file (dist/bench → dist/src/cli). */
const CLI = resolve(import.meta.dirname, '../src/cli/main.js');

async function startCairn(): Promise<{ clientPort: number; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-bench-'));
  const configFile = join(dataDir, 'bench.cfg');
  await writeFile(configFile, 'clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'server', '--data-dir', dataDir, '--config', configFile, '--client-port', '0', '--grpc-port', '0', '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const clientPort = await new Promise<number>((resolvePort, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; clientPort?: number };
        if (entry.msg === 'cairn serving') resolvePort(entry.clientPort!);
      } catch {
        // not a log line
      }
    });
    exited.then(() => reject(new Error('cairn exited before serving')));
  });
  return {
    clientPort,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Options {
  seconds: number;
  clients: number;
  inFlight: number;
  bytes: number;
  servers: number;
}

/** Three ZooKeeper servers on loopback, started together (none serves before a quorum is up). */
async function startZooKeeperEnsemble(): Promise<{ connectionString: string; stop(): Promise<void> }> {
  const ports: number[] = [];
  for (let index = 0; index < 9; index++) ports.push(await freePort());
  const servers = Object.fromEntries([1, 2, 3].map((id) => [`server.${id}`, `127.0.0.1:${ports[id * 3 - 2]}:${ports[id * 3 - 1]}`]));
  const settled = await Promise.allSettled(
    [1, 2, 3].map((id) => startZooKeeper({ config: { forceSync: 'yes', initLimit: 10, syncLimit: 5, ...servers }, member: { myid: id, port: ports[id * 3 - 3]! }, startTimeoutMs: 60_000 })),
  );
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(started.map((server: ZooKeeperProcess) => server.stop()));
  };
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stop();
    throw (failure as PromiseRejectedResult).reason;
  }
  return { connectionString: started.map((server) => `127.0.0.1:${server.port}`).join(','), stop };
}

/** `cairn ensemble --size 3`, once a leader and two followers serve. */
async function startCairnEnsemble(): Promise<{ connectionString: string; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cairn-bench-ensemble-'));
  const child: ChildProcess = spawn(process.execPath, [CLI, 'ensemble', '--size', '3', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const ports = new Map<string, number>();
  const serving = new Set<string>();
  await new Promise<void>((resolveReady, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const listening = /^server (\d+).*ZooKeeper protocol 127\.0\.0\.1:(\d+)/.exec(line);
      if (listening !== null) ports.set(listening[1]!, Number(listening[2]));
      const role = /^server (\d+): (leader|follower), serving$/.exec(line);
      if (role !== null) serving.add(role[1]!);
      if (ports.size === 3 && serving.size === 3) resolveReady();
    });
    exited.then(() => reject(new Error('cairn ensemble exited before serving')));
  });
  return {
    connectionString: [...ports.values()].map((port) => `127.0.0.1:${port}`).join(','),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 5, clients: 8, inFlight: 16, bytes: 100, servers: 1 };
  for (let index = 0; index < argv.length; index += 2) {
    const value = Number(argv[index + 1]);
    switch (argv[index]) {
      case '--seconds': options.seconds = value; break;
      case '--clients': options.clients = value; break;
      case '--in-flight': options.inFlight = value; break;
      case '--bytes': options.bytes = value; break;
      case '--servers': options.servers = value; break;
      default: throw new Error(`unknown option ${argv[index]}`);
    }
  }
  return options;
}

interface PhaseResult {
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** Runs `operation` from every client with `inFlight` outstanding each, for `seconds`. */
async function phase(clients: NzcClient[], options: Options, operation: (client: NzcClient, index: number) => Promise<unknown>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const lanes = clients.flatMap((client, clientIndex) =>
    Array.from({ length: options.inFlight }, async () => {
      while (performance.now() < deadline) {
        const begun = performance.now();
        await operation(client, clientIndex);
        latencies.push(performance.now() - begun);
      }
    }),
  );
  await Promise.all(lanes);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { operations: latencies.length, opsPerSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

async function measure(name: string, connectionString: string, options: Options): Promise<Record<string, PhaseResult>> {
  const clients = await Promise.all(Array.from({ length: options.clients }, () => NzcClient.connect(connectionString)));
  const payload = Buffer.alloc(options.bytes, 0x61);
  await clients[0]!.create('/bench');
  await Promise.all(clients.map((client, index) => client.create(`/bench/c${index}`, payload)));
  let created = 0;
  const results = {
    create: await phase(clients, options, (client, index) => client.create(`/bench/c${index}/n${created++}`, payload)),
    setData: await phase(clients, options, (client, index) => client.setData(`/bench/c${index}`, payload)),
    getData: await phase(clients, options, (client, index) => client.getData(`/bench/c${index}`)),
  };
  await Promise.all(clients.map((client) => client.close()));
  process.stdout.write(`${name}: done\n`);
  return results;
}

function table(rows: Record<string, Record<string, PhaseResult>>): string {
  const lines = ['server     op        ops/s    p50 ms   p99 ms   ops'];
  for (const [server, phases] of Object.entries(rows)) {
    for (const [op, result] of Object.entries(phases)) {
      lines.push(
        `${server.padEnd(10)} ${op.padEnd(8)} ${result.opsPerSecond.toFixed(0).padStart(7)} ${result.p50Ms.toFixed(2).padStart(8)} ${result.p99Ms.toFixed(2).padStart(8)} ${String(result.operations).padStart(7)}`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.servers !== 1 && options.servers !== 3) throw new Error('--servers is 1 or 3');
  process.stdout.write(`servers=${options.servers} clients=${options.clients} in-flight per client=${options.inFlight} payload=${options.bytes} B, ${options.seconds} s per phase\n`);
  const zookeeper =
    options.servers === 3
      ? await startZooKeeperEnsemble()
      : await startZooKeeper({ config: { forceSync: 'yes' } }).then((server) => ({ connectionString: `127.0.0.1:${server.port}`, stop: () => server.stop() }));
  // Stop the ZooKeeper this run started even when Cairn fails to start.
  const cairn = await (options.servers === 3 ? startCairnEnsemble() : startCairn().then((server) => ({ connectionString: `127.0.0.1:${server.clientPort}`, stop: () => server.stop() }))).catch(
    async (error: unknown) => {
      await zookeeper.stop();
      throw error;
    },
  );
  try {
    const rows: Record<string, Record<string, PhaseResult>> = {};
    rows.zookeeper = await measure('ZooKeeper 3.8.0', zookeeper.connectionString, options);
    rows.cairn = await measure('Cairn', cairn.connectionString, options);
    process.stdout.write(`${table(rows)}\n`);
  } finally {
    await zookeeper.stop();
    await cairn.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
