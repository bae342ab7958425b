// Scale: a standalone Cairn and a standalone ZooKeeper each loaded with N znodes of 100 bytes
// (1,000,000 in the full run) through the same pipelined jute client, then restarted on their
// data: load time and rate, memory, the last snapshot written during the load (size, and the
// time the server reports for it), and the time from spawn to the first successful read.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeDataDir, removeDir } from '../test/integration/harness.js';
import { fourLetterWord, freePort } from '../test/integration/zookeeper-process.js';
import { delay, mib, processStats, round, summarize, type LatencySummary } from './lib.js';
import { runGenerators } from './cells.js';
import { connectJute } from './gen/jute-client.js';
import { decodeSamples, type WorkerSpec } from './gen/protocol.js';
import { startCairn } from './systems/cairn.js';
import type { Topology } from './systems/topology.js';
import { startZooKeeperTopology } from './systems/zookeeper.js';

export interface ScaleResult {
  system: string;
  version: string;
  nodes: number;
  load: { seconds: number; opsPerSec: number; latency: LatencySummary; errors: Record<string, number>; serverCpuSeconds: number };
  rssAfterLoadMiB: number;
  peakRssMiB: number;
  snapshot: { file: string; sizeMiB: number; reportedMs: number | null } | null;
  stopMs: number;
  restartToServingMs: number;
  rssAfterRestartMiB: number;
  settings: string[];
}

const FANOUT = 1000;

/** The newest finished snapshot file under `dir` (recursively one level: Cairn's cairn/, ZooKeeper's version-2/). */
function newestSnapshot(dataDir: string): { file: string; size: number } | null {
  let best: { file: string; size: number; mtime: number } | null = null;
  for (const sub of ['', 'cairn', 'version-2']) {
    let names: string[];
    try {
      names = readdirSync(join(dataDir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith('snapshot.') || name.endsWith('.tmp') || name.includes('.tmp')) continue;
      const stats = statSync(join(dataDir, sub, name));
      if (best === null || stats.mtimeMs > best.mtime) best = { file: join(sub, name), size: stats.size, mtime: stats.mtimeMs };
    }
  }
  return best === null ? null : { file: best.file, size: best.size };
}

async function readable(endpoint: string, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const driver = await connectJute(endpoint, { connectTimeoutMs: 2_000 });
      try {
        await driver.read(path);
        return;
      } finally {
        await driver.close();
      }
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${endpoint} did not serve ${path} within ${timeoutMs} ms: ${(error as Error).message}`);
      await delay(20);
    }
  }
}

async function prepareParents(endpoint: string, root: string): Promise<void> {
  const driver = await connectJute(endpoint);
  try {
    await driver.prepare(root);
    const pending: Promise<void>[] = [];
    for (let index = 0; index < FANOUT; index++) pending.push(driver.create(`${root}/p${index}`, new Uint8Array(0)));
    await Promise.all(pending);
  } finally {
    await driver.close();
  }
}

export async function runScale(system: 'cairn' | 'zookeeper', nodes: number, maxMinutes: number): Promise<ScaleResult> {
  const dataDir = await makeDataDir(`${system}-scale-`);
  const port = system === 'zookeeper' ? await freePort() : undefined;
  // mntr (allowed here besides the default srvr) reports ZooKeeper's snapshot times: it logs nothing
  // with Debian's classpath (no SLF4J binding).
  const start = (): Promise<Topology> =>
    system === 'cairn' ? startCairn({ servers: 1, dataDir }) : startZooKeeperTopology({ servers: 1, dataDir, port: port!, config: { '4lw.commands.whitelist': 'srvr,mntr' } });
  let topology: Topology | null = await start();
  try {
    const endpoint = topology.servers[0]!.jute!;
    const root = '/scale';
    await prepareParents(endpoint, root);
    const processes = 2;
    const specs: WorkerSpec[] = Array.from({ length: processes }, (_, workerIndex) => ({
      protocol: 'jute',
      workerIndex,
      endpoints: [endpoint],
      connections: [0, 0],
      lanesPerConnection: [128, 128],
      workload: 'create',
      prefix: root,
      hotKeys: [],
      readKeys: [],
      valueBytes: 100,
      timeline: false,
      reconnect: false,
      maxOps: Math.ceil(nodes / processes),
      fanout: FANOUT,
    }));
    const startedMs = Date.now();
    const cpuBefore = processStats(topology.servers[0]!.pid)?.cpuSeconds ?? NaN;
    const run = await runGenerators(topology.servers, specs, { warmupMs: 0, durationMs: maxMinutes * 60_000 });
    const seconds = (Date.now() - startedMs) / 1000;
    const cpuAfter = processStats(topology.servers[0]!.pid)?.cpuSeconds ?? NaN;
    const samples = run.results.flatMap((result) => Array.from(decodeSamples(result.samples)));
    const errors: Record<string, number> = {};
    for (const result of run.results) for (const [code, count] of Object.entries(result.errors)) errors[code] = (errors[code] ?? 0) + count;
    const ops = run.results.reduce((sum, result) => sum + result.ops, 0);
    // Let a snapshot that the load's last txns started finish before looking at the files.
    await delay(3_000);
    const stats = processStats(topology.servers[0]!.pid);
    const snapshot = newestSnapshot(dataDir);
    const reportedMs = system === 'cairn' ? cairnSnapshotMs(topology) : await zookeeperSnapshotMs(topology.servers[0]!.jute!);
    const stopStarted = Date.now();
    // Started on a data directory of ours, the topology leaves it in place when it stops.
    await topology.stop();
    const stopMs = Date.now() - stopStarted;
    topology = null;
    const restartStarted = Date.now();
    topology = await start();
    await readable(topology.servers[0]!.jute!, `${root}/p${FANOUT - 1}`, 600_000);
    const restartToServingMs = Date.now() - restartStarted;
    const after = processStats(topology.servers[0]!.pid);
    return {
      system,
      version: topology.version,
      nodes: ops,
      load: { seconds: round(seconds, 2), opsPerSec: round(ops / seconds, 1), latency: summarize(Float64Array.from(samples)), errors, serverCpuSeconds: round(cpuAfter - cpuBefore, 2) },
      rssAfterLoadMiB: mib(stats?.rssBytes ?? NaN),
      peakRssMiB: mib(stats?.peakRssBytes ?? NaN),
      snapshot: snapshot === null ? null : { file: snapshot.file, sizeMiB: mib(snapshot.size), reportedMs },
      stopMs,
      restartToServingMs,
      rssAfterRestartMiB: mib(after?.rssBytes ?? NaN),
      settings: topology.settings,
    };
  } finally {
    if (topology !== null) await topology.stop();
    await removeDir(dataDir);
  }
}

/** Cairn's own figure: `durationMs` of its last 'snapshot written' log line. */
function cairnSnapshotMs(topology: Topology): number | null {
  const lines = (topology.output?.() ?? '').split('\n').filter((line) => line.includes('"snapshot written"'));
  if (lines.length === 0) return null;
  return (JSON.parse(lines[lines.length - 1]!) as { durationMs: number }).durationMs;
}

/** ZooKeeper's own figure: the longest of its snapshots (the last, as the tree only grew), from mntr. */
async function zookeeperSnapshotMs(endpoint: string): Promise<number | null> {
  const text = await fourLetterWord(Number(endpoint.split(':')[1]), 'mntr').catch(() => '');
  const match = /^zk_max_snapshottime\s+(\d+)/m.exec(text);
  return match === null ? null : Number(match[1]);
}
