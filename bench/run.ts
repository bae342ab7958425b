// `npm run bench`: Cairn side by side with ZooKeeper and etcd on this machine, in one run.
//
//   npm run bench                 # the full run (every topology, workload and concurrency; scale 1M; fail-over)
//   npm run bench -- --quick      # a few minutes: fewer topologies, workloads and concurrencies, shorter cells, a small scale load
//   npm run bench -- --smoke      # a couple of seconds against a standalone Cairn (what npm test runs)
//
// Options (after --): --out DIR, --only cairn-1,zookeeper-3,…, --workloads create,read,
// --concurrency 1,64, --runs N, --seconds S, --warmup S, --scale-nodes N, --no-scale, --no-failover,
// --no-install, --no-cells, --protocols 'jute,gRPC stream', --server-cpu-prof DIR (Cairn servers run
// with node --cpu-prof).
//
// Writes bench/results/<timestamp>/results.json, report.md and charts/*.svg.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closeGenerators, runCell, spread, type CellResult, type PreparedKeys } from './cells.js';
import { runFailover, type FailoverResult } from './failover.js';
import { measureFloor, type Floor } from './floor.js';
import { driverFactory } from './gen/drivers.js';
import type { Driver } from './gen/driver.js';
import type { Protocol, Workload } from './gen/protocol.js';
import { runScale, type ScaleResult } from './million.js';
import { writeReport } from './report/report.js';
import { startCairn } from './systems/cairn.js';
import { etcdInstalled, startEtcd } from './systems/etcd.js';
import type { SystemName, Topology } from './systems/topology.js';
import { startZooKeeperTopology, zookeeperInstalled } from './systems/zookeeper.js';

export interface ProtocolPlan {
  label: string;
  protocol: Protocol;
  restFlavor?: 'cairn' | 'etcd';
}

export const PROTOCOLS: Record<SystemName, ProtocolPlan[]> = {
  cairn: [
    { label: 'jute', protocol: 'jute' },
    { label: 'gRPC stream', protocol: 'cairn-stream' },
    { label: 'gRPC unary', protocol: 'cairn-unary' },
    { label: 'REST', protocol: 'rest', restFlavor: 'cairn' },
  ],
  zookeeper: [{ label: 'jute', protocol: 'jute' }],
  etcd: [
    { label: 'gRPC', protocol: 'etcd-grpc' },
    { label: 'REST', protocol: 'rest', restFlavor: 'etcd' },
  ],
};

/** The protocol a topology's keys are prepared through. */
const SETUP_PROTOCOL: Record<SystemName, Exclude<Protocol, 'rest'>> = { cairn: 'cairn-stream', zookeeper: 'jute', etcd: 'etcd-grpc' };

export const TOPOLOGIES = ['cairn-1', 'zookeeper-1', 'etcd-1', 'cairn-3', 'zookeeper-3', 'etcd-3'] as const;
export type TopologyName = (typeof TOPOLOGIES)[number];

export interface Settings {
  mode: 'full' | 'quick' | 'smoke';
  topologies: TopologyName[];
  workloads: Workload[];
  concurrency: number[];
  runs: number;
  warmupMs: number;
  durationMs: number;
  valueBytes: number;
  readKeys: number;
  hotKeys: number;
  scaleNodes: number;
  failover: { concurrency: number; beforeMs: number; afterMs: number; bucketMs: number } | null;
  install: boolean;
  /** Only these protocol labels ('jute', 'gRPC stream', 'gRPC unary', 'gRPC', 'REST'); all when absent. */
  protocols?: string[];
  /** Cairn's servers run with --cpu-prof, profiles written here when they stop. */
  cairnCpuProfileDir?: string;
}

export interface Results {
  startedAt: string;
  finishedAt: string;
  settings: Settings;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  systemSettings: Record<string, string[]>;
  skipped: Array<{ topology: string; reason: string }>;
  floor: Floor;
  cells: CellResult[];
  failover: FailoverResult[];
  scale: ScaleResult[];
}

function settingsFrom(argv: string[]): { settings: Settings; out: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string' },
      workloads: { type: 'string' },
      concurrency: { type: 'string' },
      runs: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      'scale-nodes': { type: 'string' },
      'no-scale': { type: 'boolean', default: false },
      'no-failover': { type: 'boolean', default: false },
      'no-cells': { type: 'boolean', default: false },
      'server-cpu-prof': { type: 'string' },
      protocols: { type: 'string' },
      'no-install': { type: 'boolean', default: false },
    },
  });
  const mode = values.smoke ? 'smoke' : values.quick ? 'quick' : 'full';
  const presets: Record<Settings['mode'], Settings> = {
    full: {
      mode,
      topologies: [...TOPOLOGIES],
      workloads: ['create', 'overwrite', 'read', 'mix'],
      concurrency: [1, 4, 16, 64, 256],
      runs: 2,
      warmupMs: 400,
      durationMs: 1200,
      valueBytes: 100,
      readKeys: 1000,
      hotKeys: 16,
      scaleNodes: 1_000_000,
      failover: { concurrency: 16, beforeMs: 3000, afterMs: 7000, bucketMs: 250 },
      install: true,
    },
    quick: {
      mode,
      topologies: ['cairn-1', 'zookeeper-1', 'cairn-3', 'zookeeper-3', 'etcd-3'],
      workloads: ['create', 'mix'],
      concurrency: [1, 64],
      runs: 2,
      warmupMs: 200,
      durationMs: 500,
      valueBytes: 100,
      readKeys: 200,
      hotKeys: 16,
      scaleNodes: 20_000,
      failover: { concurrency: 16, beforeMs: 1000, afterMs: 5000, bucketMs: 250 },
      install: true,
    },
    smoke: {
      mode,
      topologies: ['cairn-1'],
      workloads: ['create', 'mix'],
      concurrency: [4],
      runs: 2,
      warmupMs: 100,
      durationMs: 250,
      valueBytes: 100,
      readKeys: 20,
      hotKeys: 4,
      scaleNodes: 0,
      failover: null,
      install: false,
    },
  };
  const settings = presets[mode];
  const list = (value: string | undefined) => value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (values.only !== undefined) {
    const only = list(values.only)!;
    for (const name of only) if (!(TOPOLOGIES as readonly string[]).includes(name)) throw new Error(`--only: unknown topology ${name} (known: ${TOPOLOGIES.join(', ')})`);
    settings.topologies = only as TopologyName[];
  }
  if (values.workloads !== undefined) settings.workloads = list(values.workloads) as Workload[];
  if (values.concurrency !== undefined) settings.concurrency = list(values.concurrency)!.map(Number);
  if (values.runs !== undefined) settings.runs = Number(values.runs);
  if (values.seconds !== undefined) settings.durationMs = Number(values.seconds) * 1000;
  if (values.warmup !== undefined) settings.warmupMs = Number(values.warmup) * 1000;
  if (values['scale-nodes'] !== undefined) settings.scaleNodes = Number(values['scale-nodes']);
  if (values['no-scale']) settings.scaleNodes = 0;
  if (values['no-failover']) settings.failover = null;
  if (values['no-cells']) settings.workloads = [];
  if (values['no-install']) settings.install = false;
  for (const workload of settings.workloads) if (!['create', 'overwrite', 'read', 'mix'].includes(workload)) throw new Error(`unknown workload ${workload}`);
  if (settings.concurrency.some((value) => !Number.isInteger(value) || value < 1)) throw new Error('--concurrency takes positive integers');
  if (!(settings.runs >= 1 && settings.durationMs > 0 && settings.warmupMs >= 0)) throw new Error('--runs, --seconds and --warmup must be positive');
  if (values.protocols !== undefined) settings.protocols = list(values.protocols)!;
  if (values['server-cpu-prof'] !== undefined) settings.cairnCpuProfileDir = resolve(values['server-cpu-prof']);
  return { settings, out: values.out };
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** Installs the peers from Debian's packages when they are missing and we may; otherwise says why not. */
function ensurePeers(settings: Settings, skipped: Results['skipped']): void {
  const wanted = new Set(settings.topologies.map((name) => name.split('-')[0]!));
  const missing: string[] = [];
  if (wanted.has('zookeeper') && !zookeeperInstalled()) missing.push('zookeeper', 'default-jre-headless');
  if (wanted.has('etcd') && !etcdInstalled()) missing.push('etcd-server');
  if (missing.length === 0) return;
  let why: string;
  if (!settings.install) why = '--no-install was given';
  else if (process.getuid?.() !== 0) why = 'installing Debian packages needs root (sudo)';
  else {
    log(`installing ${missing.join(' ')} from Debian's packages`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
    if (result.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
      result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
    }
    why = result.status === 0 ? '' : `apt-get install ${missing.join(' ')} failed (exit ${result.status})`;
  }
  for (const [system, installed] of [
    ['zookeeper', zookeeperInstalled()],
    ['etcd', etcdInstalled()],
  ] as const) {
    if (!wanted.has(system) || installed) continue;
    const reason = `${system} is not installed and was not installed: ${why || 'unknown'}. Install it with: apt-get install -y ${system === 'etcd' ? 'etcd-server' : 'zookeeper default-jre-headless'}`;
    log(reason);
    for (const name of settings.topologies.filter((topology) => topology.startsWith(system))) skipped.push({ topology: name, reason });
    settings.topologies = settings.topologies.filter((topology) => !topology.startsWith(system));
  }
}

async function startTopology(name: TopologyName, settings: Settings): Promise<Topology> {
  const [system, size] = name.split('-') as [SystemName, string];
  const servers = Number(size) as 1 | 3;
  if (system === 'cairn') return startCairn({ servers, ...(settings.cairnCpuProfileDir === undefined ? {} : { cpuProfileDir: settings.cairnCpuProfileDir }) });
  if (system === 'zookeeper') return startZooKeeperTopology({ servers });
  return startEtcd({ members: servers });
}

/** A driver on server `index` through the protocol the topology's keys are prepared with. */
async function setupDriver(topology: Topology, index: number): Promise<Driver> {
  const protocol = SETUP_PROTOCOL[topology.system];
  const server = topology.servers[index]!;
  return (await driverFactory(protocol))((protocol === 'jute' ? server.jute : server.grpc)!);
}

/** The keys every read, overwrite and mix cell uses, written before the first cell and visible on every server. */
async function prepareKeys(topology: Topology, settings: Settings): Promise<PreparedKeys> {
  const driver = await setupDriver(topology, 0);
  const value = Buffer.alloc(settings.valueBytes, 0x6b);
  const keys: PreparedKeys = {
    readKeys: Array.from({ length: settings.readKeys }, (_, index) => `/bench/keys/k${index}`),
    hotKeys: Array.from({ length: settings.hotKeys }, (_, index) => `/bench/hot/h${index}`),
  };
  try {
    await driver.prepare('/bench/keys');
    await driver.prepare('/bench/hot');
    await driver.prepare('/bench/cells');
    await Promise.all([...keys.readKeys, ...keys.hotKeys].map((key) => driver.create(key, value)));
  } finally {
    await driver.close();
  }
  // Reads are served locally on ZooKeeper and Cairn: wait until every server has applied them.
  const last = keys.readKeys[keys.readKeys.length - 1] ?? keys.hotKeys[keys.hotKeys.length - 1]!;
  for (let index = 0; index < topology.servers.length; index++) {
    const deadline = Date.now() + 30_000;
    const reader = await setupDriver(topology, index);
    try {
      for (;;) {
        try {
          await reader.read(last);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((done) => setTimeout(done, 20));
        }
      }
    } finally {
      await reader.close();
    }
  }
  return keys;
}

/** Makes the parents of a cell's creates (one per generator process). */
async function prepareCell(topology: Topology, prefix: string, processes: number): Promise<void> {
  const driver = await setupDriver(topology, 0);
  try {
    for (let index = 0; index < processes; index++) await driver.prepare(`${prefix}/w${index}`);
  } finally {
    await driver.close();
  }
}

function machine(): Record<string, unknown> {
  const cpuList = cpus();
  let disk = 'unknown';
  try {
    disk = execFileSync('df', ['-hT', resolve('/tmp')], { encoding: 'utf8' }).trim().split('\n').slice(1).join(' ');
  } catch {
    // no df
  }
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: loadavg().map((value) => Math.round(value * 100) / 100),
    tmpFilesystem: disk,
  };
}

function peerVersion(command: string, args: string[]): string {
  try {
    // java -version writes to stderr.
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) return 'not installed';
    return `${result.stdout}${result.stderr}`.split('\n')[0]!.trim();
  } catch {
    return 'not installed';
  }
}

export async function main(argv: string[]): Promise<string> {
  const { settings, out } = settingsFrom(argv);
  const startedAt = new Date();
  const outDir = resolve(out ?? join(import.meta.dirname, '../../bench/results', startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19)));
  mkdirSync(outDir, { recursive: true });
  const skipped: Results['skipped'] = [];
  ensurePeers(settings, skipped);
  log(`bench ${settings.mode}: ${settings.topologies.join(', ')}; workloads ${settings.workloads.join(', ')}; concurrency ${settings.concurrency.join(', ')}; ${settings.runs} runs of ${settings.durationMs} ms after ${settings.warmupMs} ms`);
  const results: Results = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    settings,
    machine: machine(),
    versions: { node: process.version, java: peerVersion('java', ['-version']) },
    systemSettings: {},
    skipped,
    floor: await measureFloor(settings.mode === 'smoke' ? { fsyncs: 20, roundTrips: 200 } : { fsyncs: 300, roundTrips: 3000 }),
    cells: [],
    failover: [],
    scale: [],
  };
  log(`floor: fdatasync p50 ${results.floor.fdatasync.p50Ms} ms, loopback RTT p50 ${results.floor.loopbackRtt.p50Ms} ms`);
  let cellIndex = 0;
  for (const name of settings.workloads.length === 0 ? [] : settings.topologies) {
    log(`starting ${name}`);
    let topology: Topology;
    try {
      topology = await startTopology(name, settings);
    } catch (error) {
      const reason = `did not start: ${(error as Error).message.slice(0, 2000)}`;
      log(`${name} ${reason}`);
      skipped.push({ topology: name, reason });
      continue;
    }
    results.versions[topology.system] = topology.version;
    results.systemSettings[name] = topology.settings;
    try {
      const keys = await prepareKeys(topology, settings);
      for (const protocol of PROTOCOLS[topology.system].filter((plan) => settings.protocols?.includes(plan.label) ?? true)) {
        for (const workload of settings.workloads) {
          for (const concurrency of settings.concurrency) {
            for (let run = 1; run <= settings.runs; run++) {
              const prefix = `/bench/cells/c${cellIndex++}`;
              const { processes } = spread(concurrency, topology.servers.length, protocol.protocol);
              if (workload === 'create') await prepareCell(topology, prefix, processes);
              const cell = await runCell({
                topology,
                ...protocol,
                workload,
                concurrency,
                run,
                warmupMs: settings.warmupMs,
                durationMs: settings.durationMs,
                keys,
                prefix,
                valueBytes: settings.valueBytes,
              });
              results.cells.push(cell);
              const errors = Object.values(cell.errors).reduce((sum, count) => sum + count, 0);
              log(
                `${name} ${protocol.label} ${workload} @${concurrency} #${run}: ${cell.opsPerSec.toFixed(0)} ops/s p50 ${cell.latency.p50Ms} p99 ${cell.latency.p99Ms} ms` +
                  `${errors > 0 ? `, ${errors} errors (${cell.firstError})` : ''}; client ELU ${cell.clientElu.join('/')}${cell.clientSaturated ? ' SATURATED' : ''}`,
              );
            }
          }
        }
      }
    } finally {
      await topology.stop();
    }
  }
  if (settings.failover !== null) {
    const failover = settings.failover;
    for (const name of (['cairn-3', 'zookeeper-3', 'etcd-3'] as const).filter((topology) => settings.topologies.includes(topology))) {
      log(`fail-over: ${name}`);
      let topology: Topology;
      try {
        topology = await startTopology(name, settings);
      } catch (error) {
        skipped.push({ topology: `${name} fail-over`, reason: `did not start: ${(error as Error).message.slice(0, 2000)}` });
        continue;
      }
      results.versions[topology.system] ??= topology.version;
      results.systemSettings[name] ??= topology.settings;
      try {
        const protocol = topology.system === 'etcd' ? PROTOCOLS.etcd[0]! : PROTOCOLS[topology.system][0]!;
        await prepareCell(topology, '/bench/failover', spread(failover.concurrency, 3, protocol.protocol).processes);
        const result = await runFailover({ topology, protocol: protocol.protocol, label: protocol.label, concurrency: failover.concurrency, beforeMs: failover.beforeMs, afterMs: failover.afterMs, bucketMs: failover.bucketMs, prefix: '/bench/failover' });
        results.failover.push(result);
        log(`fail-over ${name}: first write after the kill in ${result.recoveryMs ?? 'never'} ms; longest gap ${result.longestGapMs} ms; errors ${JSON.stringify(result.errors)} (${result.firstError ?? ''})`);
      } catch (error) {
        skipped.push({ topology: `${name} fail-over`, reason: (error as Error).message.slice(0, 2000) });
        log(`fail-over ${name} failed: ${(error as Error).message}`);
      } finally {
        await topology.stop();
      }
    }
  }
  if (settings.scaleNodes > 0) {
    for (const system of ['cairn', 'zookeeper'] as const) {
      if (system === 'zookeeper' && !zookeeperInstalled()) continue;
      log(`scale: ${settings.scaleNodes} znodes into ${system}`);
      try {
        const result = await runScale(system, settings.scaleNodes, 30);
        results.scale.push(result);
        log(`scale ${system}: ${result.load.opsPerSec.toFixed(0)} creates/s, RSS ${result.rssAfterLoadMiB} MiB, snapshot ${result.snapshot?.sizeMiB ?? '?'} MiB, restart ${result.restartToServingMs} ms`);
      } catch (error) {
        skipped.push({ topology: `${system} scale`, reason: (error as Error).message.slice(0, 2000) });
        log(`scale ${system} failed: ${(error as Error).message}`);
      }
    }
  }
  await closeGenerators();
  results.finishedAt = new Date().toISOString();
  results.machine.loadAverageAtEnd = loadavg().map((value) => Math.round(value * 100) / 100);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeReport(results, outDir);
  log(`wrote ${join(outDir, 'report.md')}`);
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
