// What TLS costs on ZooKeeper's wire protocol, side by side in one run: Cairn's clientPort and
// secureClientPort, and a real ZooKeeper 3.8's (Debian's package; Netty with PEM stores for its
// secure port), driven by one client (bench/gen/jute-client.ts, over TCP or TLS) with the same
// load. Both are standalone with fsync on. Certificates are made for the run with openssl.
//
//   npm run build && node dist/bench/tls-cost.js [--seconds 5] [--clients 8] [--in-flight 16] [--bytes 100] [--rounds 3] [--out DIR]
//
// Prints one table (ops/s, p50/p99 ms per target and operation, and TLS over plaintext as a ratio
// for each server) and writes it with the raw figures to bench/results/tls-<time>.json (or into --out).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CertificateFactory } from '../test/support/certificates.js';
import { removeDir, startServerProcess } from '../test/integration/harness.js';
import { freePort, NETTY_TLS_JARS, startZooKeeper } from '../test/integration/zookeeper-process.js';
import { connectJute, type JuteDriver } from './gen/jute-client.js';

interface Options {
  seconds: number;
  clients: number;
  inFlight: number;
  bytes: number;
  rounds: number;
  /** The directory the results file goes to. */
  out: string;
}

interface Target {
  name: string;
  endpoint: string;
  tlsCa?: Buffer;
}

interface PhaseResult {
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 5, clients: 8, inFlight: 16, bytes: 100, rounds: 3, out: resolve(import.meta.dirname, '../../bench/results') };
  for (let index = 0; index < argv.length; index += 2) {
    if (argv[index] === '--out') {
      options.out = resolve(argv[index + 1]!);
      continue;
    }
    const name = argv[index]!.replace(/^--/, '').replace(/-(\w)/g, (_all, letter: string) => letter.toUpperCase()) as Exclude<keyof Options, 'out'>;
    if (!(name in options)) throw new Error(`unknown option ${argv[index]}`);
    const value = Number(argv[index + 1]);
    if (!(value > 0)) throw new Error(`${argv[index]} takes a positive number, not ${argv[index + 1]}`);
    options[name] = value;
  }
  return options;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** Every client keeps `inFlight` calls outstanding for `seconds`; latency per call. */
async function phase(clients: JuteDriver[], options: Options, operation: (client: JuteDriver, index: number) => Promise<unknown>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    clients.flatMap((client, index) =>
      Array.from({ length: options.inFlight }, async () => {
        while (performance.now() < deadline) {
          const begun = performance.now();
          await operation(client, index);
          latencies.push(performance.now() - begun);
        }
      }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { operations: latencies.length, opsPerSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

async function measure(target: Target, options: Options, round: number): Promise<Record<string, PhaseResult>> {
  const clients = await Promise.all(Array.from({ length: options.clients }, () => connectJute(target.endpoint, target.tlsCa === undefined ? {} : { tlsCa: target.tlsCa })));
  const payload = new Uint8Array(options.bytes).fill(0x61);
  const root = `/tls-bench-${round}-${target.name.replace(/\W/g, '-')}`;
  await clients[0]!.prepare(root);
  await Promise.all(clients.map((client, index) => client.create(`${root}/c${index}`, payload)));
  let created = 0;
  try {
    return {
      create: await phase(clients, options, (client, index) => client.create(`${root}/c${index}/n${created++}`, payload)),
      getData: await phase(clients, options, (client, index) => client.read(`${root}/c${index}`)),
    };
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const factory = new CertificateFactory();
  const ca = factory.authority('bench-ca');
  const server = factory.issue(ca, 'server', { subject: '/CN=bench', altNames: ['IP:127.0.0.1', 'DNS:localhost'] });
  const caPem = readFileSync(ca.certificate);
  const tlsKeys = { 'ssl.keyStore.location': server.keyStore, 'ssl.keyStore.type': 'PEM', 'ssl.trustStore.location': ca.certificate, 'ssl.trustStore.type': 'PEM', 'ssl.clientAuth': 'none' };

  const zookeeperSecurePort = await freePort();
  const zookeeper = await startZooKeeper({
    config: { forceSync: 'yes', maxClientCnxns: 0, serverCnxnFactory: 'org.apache.zookeeper.server.NettyServerCnxnFactory', secureClientPort: zookeeperSecurePort, ...tlsKeys },
    extraClassPath: NETTY_TLS_JARS,
  });
  const cairn = await startServerProcess({ config: { maxClientCnxns: 0, secureClientPort: 0, ...tlsKeys } }).catch(async (error: unknown) => {
    await zookeeper.stop();
    throw error;
  });
  const targets: Target[] = [
    { name: 'Cairn plaintext', endpoint: `127.0.0.1:${cairn.clientPort}` },
    { name: 'Cairn TLS', endpoint: `127.0.0.1:${cairn.secureClientPort}`, tlsCa: caPem },
    { name: 'ZooKeeper plaintext', endpoint: `127.0.0.1:${zookeeper.port}` },
    { name: 'ZooKeeper TLS', endpoint: `127.0.0.1:${zookeeperSecurePort}`, tlsCa: caPem },
  ];
  process.stdout.write(`clients=${options.clients} in-flight per client=${options.inFlight} payload=${options.bytes} B, ${options.seconds} s per phase, ${options.rounds} rounds (targets interleaved)\n`);
  const results: Record<string, Record<string, PhaseResult[]>> = {};
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const target of targets) {
        const measured = await measure(target, options, round);
        for (const [op, result] of Object.entries(measured)) ((results[target.name] ??= {})[op] ??= []).push(result);
        process.stdout.write(`round ${round + 1}: ${target.name} done\n`);
      }
    }
  } finally {
    await cairn.stop();
    await removeDir(cairn.dataDir);
    await zookeeper.stop();
  }

  // The median round of each cell, and TLS / plaintext per server from those.
  const median = (runs: PhaseResult[]) => [...runs].sort((a, b) => a.opsPerSecond - b.opsPerSecond)[Math.floor(runs.length / 2)]!;
  const lines = ['target                op        ops/s    p50 ms   p99 ms   TLS/plain ops/s'];
  for (const target of targets) {
    for (const op of ['create', 'getData']) {
      const cell = median(results[target.name]![op]!);
      const plain = target.tlsCa === undefined ? null : median(results[target.name.replace('TLS', 'plaintext')]![op]!);
      const ratio = plain === null ? '' : (cell.opsPerSecond / plain.opsPerSecond).toFixed(2);
      lines.push(`${target.name.padEnd(21)} ${op.padEnd(8)} ${cell.opsPerSecond.toFixed(0).padStart(7)} ${cell.p50Ms.toFixed(2).padStart(8)} ${cell.p99Ms.toFixed(2).padStart(8)}   ${ratio}`);
    }
  }
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  mkdirSync(options.out, { recursive: true });
  const file = join(options.out, `tls-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const { out: _out, ...settings } = options;
  writeFileSync(file, `${JSON.stringify({ options: settings, table, results }, null, 2)}\n`);
  process.stdout.write(`written to ${file}\n`);
}

await main();
