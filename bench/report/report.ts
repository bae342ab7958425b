// results.json → report.md and charts/*.svg: every cell, grouped so that each Cairn figure sits
// next to the peer it is compared with (same protocol family, topology size, workload and
// concurrency) and their ratio, the targets with what was measured, fail-over and scale.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellIdentity, CellResult } from '../cells.js';
import type { Workload } from '../gen/protocol.js';
import type { Results } from '../run.js';
import { lineChart, type Series } from './svg.js';

export interface Aggregate extends CellIdentity {
  runs: number;
  opsMean: number;
  opsMin: number;
  opsMax: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  saturated: boolean;
  cpuSecPer1000: number | null;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/** The runs of one cell, combined: mean throughput with its spread; latency percentiles averaged over runs. */
export function aggregate(cells: CellResult[]): Aggregate[] {
  const groups = new Map<string, CellResult[]>();
  for (const cell of cells) {
    const key = [cell.topology, cell.protocol, cell.workload, cell.concurrency].join('|');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(cell);
  }
  return [...groups.values()].map((runs) => {
    const first = runs[0]!;
    const cpu = runs.map((run) => run.serverCpuSecPer1000).filter((value): value is number => value !== null);
    return {
      topology: first.topology,
      system: first.system,
      servers: first.servers,
      protocol: first.protocol,
      workload: first.workload,
      concurrency: first.concurrency,
      runs: runs.length,
      opsMean: mean(runs.map((run) => run.opsPerSec)),
      opsMin: Math.min(...runs.map((run) => run.opsPerSec)),
      opsMax: Math.max(...runs.map((run) => run.opsPerSec)),
      p50Ms: mean(runs.map((run) => run.latency.p50Ms)),
      p99Ms: mean(runs.map((run) => run.latency.p99Ms)),
      p999Ms: mean(runs.map((run) => run.latency.p999Ms)),
      maxMs: Math.max(...runs.map((run) => run.latency.maxMs)),
      errors: runs.reduce((sum, run) => sum + Object.values(run.errors).reduce((total, count) => total + count, 0), 0),
      saturated: runs.some((run) => run.clientSaturated),
      cpuSecPer1000: cpu.length === 0 ? null : mean(cpu),
    };
  });
}

/** Which Cairn figures are compared with which peer's. */
export const COMPARISONS = [
  { title: 'ZooKeeper wire protocol (one jute client of ours for both)', cairn: 'jute', peer: 'zookeeper', peerProtocol: 'jute' },
  { title: 'gRPC: Cairn session stream vs etcd KV (one grpc-js generator)', cairn: 'gRPC stream', peer: 'etcd', peerProtocol: 'gRPC' },
  { title: 'gRPC: Cairn unary calls vs etcd KV (one grpc-js generator)', cairn: 'gRPC unary', peer: 'etcd', peerProtocol: 'gRPC' },
  { title: "REST: Cairn's REST API vs etcd's HTTP/JSON gateway (autocannon)", cairn: 'REST', peer: 'etcd', peerProtocol: 'REST' },
] as const;

const WORKLOAD_TITLES: Record<Workload, string> = {
  create: 'create (new 100-byte nodes / puts of new keys)',
  overwrite: 'overwrite (a small hot key set)',
  read: 'read (existing keys)',
  mix: '90 % read / 10 % overwrite',
};

function fmt(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return '–';
  return `${(a / b).toFixed(2)}×`;
}

function ops(cell: Aggregate | undefined): string {
  if (cell === undefined) return '–';
  const spread = cell.runs > 1 ? ` (${fmt(cell.opsMin)}–${fmt(cell.opsMax)})` : '';
  return `${fmt(cell.opsMean)}${spread}${cell.saturated ? ' ⚠client' : ''}${cell.errors > 0 ? ` ⚠${cell.errors} err` : ''}`;
}

export function find(aggregates: Aggregate[], topology: string, protocol: string, workload: string, concurrency: number): Aggregate | undefined {
  return aggregates.find((cell) => cell.topology === topology && cell.protocol === protocol && cell.workload === workload && cell.concurrency === concurrency);
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

/** The issue's targets, each with the figures it is judged on (null: a figure is missing). */
export function checkTargets(results: Results, aggregates: Aggregate[]): TargetCheck[] {
  const at64 = (topology: string, protocol: string) => find(aggregates, topology, protocol, 'create', 64);
  const compare = (target: string, cairn: Aggregate | undefined, peer: Aggregate | undefined, factor: number, withP99: boolean): TargetCheck => {
    if (cairn === undefined || peer === undefined) return { target, measured: 'not measured in this run', met: null };
    const throughput = cairn.opsMean / peer.opsMean;
    const p99ok = cairn.p99Ms <= peer.p99Ms;
    return {
      target,
      measured: `${fmt(cairn.opsMean)} vs ${fmt(peer.opsMean)} ops/s = ${throughput.toFixed(2)}×; p99 ${ms(cairn.p99Ms)} vs ${ms(peer.p99Ms)} ms`,
      met: throughput >= factor && (!withP99 || p99ok),
    };
  };
  const checks = [
    compare('3 servers, create @64: Cairn ≥ 1.5× ZooKeeper through the same jute client, p99 no higher', at64('cairn-3', 'jute'), at64('zookeeper-3', 'jute'), 1.5, true),
    compare('3 servers, create @64: Cairn ≥ 2× etcd through the same gRPC generator (session stream), p99 no higher', at64('cairn-3', 'gRPC stream'), at64('etcd-3', 'gRPC'), 2, true),
    compare('3 servers, create @64: Cairn unary gRPC ≥ 2× etcd (same generator), p99 no higher', at64('cairn-3', 'gRPC unary'), at64('etcd-3', 'gRPC'), 2, true),
    compare('3 servers, REST writes @64: Cairn ≥ 1.5× etcd HTTP gateway (autocannon)', at64('cairn-3', 'REST'), at64('etcd-3', 'REST'), 1.5, false),
    compare('standalone, create @64: Cairn ≥ 1.5× ZooKeeper standalone (jute)', at64('cairn-1', 'jute'), at64('zookeeper-1', 'jute'), 1.5, false),
  ];
  for (const protocol of ['jute', 'gRPC stream', 'gRPC unary', 'REST']) {
    const cell = find(aggregates, 'cairn-3', protocol, 'create', 1);
    checks.push({
      target: `3 servers, create @1 through ${protocol}: p50 under 1 ms`,
      measured: cell === undefined ? 'not measured in this run' : `p50 ${ms(cell.p50Ms)} ms (floor ${ms(results.floor.writeFloorMs.threeServers)} ms)`,
      met: cell === undefined ? null : cell.p50Ms < 1,
    });
  }
  return checks;
}

function chartFiles(results: Results, aggregates: Aggregate[], dir: string): Array<{ file: string; title: string }> {
  const charts: Array<{ file: string; title: string }> = [];
  mkdirSync(join(dir, 'charts'), { recursive: true });
  for (const servers of [3, 1]) {
    for (const workload of results.settings.workloads) {
      const cells = aggregates.filter((cell) => cell.servers === servers && cell.workload === workload);
      if (cells.length === 0) continue;
      const names = [...new Set(cells.map((cell) => `${cell.topology} ${cell.protocol}`))];
      for (const percentile of ['p50', 'p99'] as const) {
        const series: Series[] = names.map((name) => {
          const points = cells
            .filter((cell) => `${cell.topology} ${cell.protocol}` === name)
            .sort((a, b) => a.concurrency - b.concurrency)
            .map((cell) => ({ x: cell.opsMean, y: percentile === 'p50' ? cell.p50Ms : cell.p99Ms }));
          return { name, points, dashed: !name.startsWith('cairn') };
        });
        const file = `charts/${servers === 3 ? '3-servers' : 'standalone'}-${workload}-${percentile}.svg`;
        const floor = servers === 3 ? results.floor.writeFloorMs.threeServers : results.floor.writeFloorMs.standalone;
        writeFileSync(
          join(dir, file),
          lineChart({
            title: `${servers === 3 ? '3 servers' : 'standalone'}: ${WORKLOAD_TITLES[workload]} — ${percentile} latency vs throughput`,
            note: `points: ${results.settings.concurrency.join(', ')} requests in flight; mean of ${results.settings.runs} runs; dashed = peers`,
            xLabel: 'throughput (ops/s)',
            yLabel: `${percentile} latency (ms)`,
            xLog: true,
            yLog: true,
            series,
            ...(workload === 'read' ? {} : { yMarkers: [{ y: floor, label: `write floor ${ms(floor)} ms` }] }),
          }),
        );
        charts.push({ file, title: `${servers === 3 ? '3 servers' : 'standalone'}, ${workload}, ${percentile}` });
      }
    }
  }
  if (results.failover.length > 0) {
    const file = 'charts/failover-p99.svg';
    writeFileSync(
      join(dir, file),
      lineChart({
        title: 'Fail-over: p99 write latency per 250 ms while the leader is killed (SIGKILL at 0 s)',
        note: 'buckets with no completed write are gaps in the line',
        xLabel: 'time since the kill (s)',
        yLabel: 'p99 latency (ms)',
        yLog: true,
        series: results.failover.map((run) => ({
          name: `${run.topology} ${run.protocol}`,
          // An empty bucket breaks the line: no write completed then.
          points: run.timeline.map((bucket) => ({ x: bucket.tMs / 1000, y: bucket.p99Ms ?? Number.NaN })),
          dashed: !run.topology.startsWith('cairn'),
        })),
        xMarkers: [{ x: 0, label: 'leader killed' }],
      }),
    );
    charts.push({ file, title: 'fail-over p99 over time' });
    const throughputFile = 'charts/failover-throughput.svg';
    writeFileSync(
      join(dir, throughputFile),
      lineChart({
        title: 'Fail-over: completed writes per second (250 ms buckets), leader killed at 0 s',
        xLabel: 'time since the kill (s)',
        yLabel: 'writes/s',
        series: results.failover.map((run) => ({
          name: `${run.topology} ${run.protocol}`,
          points: run.timeline.map((bucket) => ({ x: bucket.tMs / 1000, y: (bucket.ops * 1000) / run.bucketMs })),
          dashed: !run.topology.startsWith('cairn'),
        })),
        xMarkers: [{ x: 0, label: 'leader killed' }],
      }),
    );
    charts.push({ file: throughputFile, title: 'fail-over throughput over time' });
  }
  return charts;
}

export function renderReport(results: Results, aggregates: Aggregate[], charts: Array<{ file: string; title: string }>): string {
  const lines: string[] = [];
  const push = (...more: string[]) => lines.push(...more);
  const { settings, floor } = results;
  push(`# Cairn bench: ${settings.mode} run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC`, '');
  push(
    `Machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB, Linux ${results.machine.kernel}, Node ${results.machine.node}; ` +
      `load average ${(results.machine.loadAverageAtStart as number[]).join(' / ')} at the start, ${((results.machine.loadAverageAtEnd as number[] | undefined) ?? []).join(' / ')} at the end ` +
      `(the machine is shared: compare the ratios, which were measured minutes apart on the same machine, not the absolute figures).`,
    '',
  );
  push(`Versions: ${Object.entries(results.versions).map(([name, version]) => `${name} ${version}`).join('; ')}.`, '');
  push(
    `Every cell: ${settings.runs} runs of ${settings.durationMs / 1000} s after a ${settings.warmupMs / 1000} s warm-up, closed loop (each in-flight request is followed by the next when its reply arrives); ` +
      `values of ${settings.valueBytes} bytes; ${settings.readKeys} keys to read, ${settings.hotKeys} hot keys to overwrite. Throughput is the mean of the runs with their spread (min–max); latency (send → reply, client-side) is the mean of the runs' percentiles. ` +
      `⚠client marks a cell where a generator process's event loop was over 90 % busy (the client may be the ceiling); ⚠err marks errors.`,
    '',
  );
  push('## Targets', '', '| target | measured | met |', '| --- | --- | --- |');
  for (const check of checkTargets(results, aggregates)) push(`| ${check.target} | ${check.measured} | ${check.met === null ? '–' : check.met ? 'yes' : '**no**'} |`);
  push('');
  push(
    '## The floor',
    '',
    `A 100-byte append + \`fdatasync\` in ${floor.directory}: p50 ${ms(floor.fdatasync.p50Ms)} ms, p99 ${ms(floor.fdatasync.p99Ms)} ms. ` +
      `Loopback TCP round trip (Node to Node): p50 ${ms(floor.loopbackRtt.p50Ms)} ms, p99 ${ms(floor.loopbackRtt.p99Ms)} ms. ` +
      `The lowest possible p50 of an acknowledged write: standalone ${ms(floor.writeFloorMs.standalone)} ms (one round trip + one fdatasync), ` +
      `3 servers ${ms(floor.writeFloorMs.threeServers)} ms (client → leader → follower round trips + one fdatasync, the leader's and the follower's overlapping). ` +
      'The "floor" column repeats it beside each write p50.',
    '',
  );
  for (const servers of [3, 1]) {
    if (!aggregates.some((cell) => cell.servers === servers)) continue;
    push(`## ${servers === 3 ? '3 servers' : 'Standalone'}`, '');
    for (const comparison of COMPARISONS) {
      const cairnTopology = `cairn-${servers}`;
      const peerTopology = `${comparison.peer}-${servers}`;
      const any = aggregates.some((cell) => cell.topology === cairnTopology && cell.protocol === comparison.cairn) || aggregates.some((cell) => cell.topology === peerTopology && cell.protocol === comparison.peerProtocol);
      if (!any) continue;
      push(`### ${comparison.title}`, '');
      const peerName = comparison.peer === 'zookeeper' ? 'ZooKeeper' : 'etcd';
      for (const workload of settings.workloads) {
        const floorMs = workload === 'read' || workload === 'mix' ? null : servers === 3 ? floor.writeFloorMs.threeServers : floor.writeFloorMs.standalone;
        push(
          `**${WORKLOAD_TITLES[workload]}**`,
          '',
          `| in flight | Cairn ops/s | p50 ms | p99 ms | ${peerName} ops/s | p50 ms | p99 ms | ops ratio | p99 ratio | floor ms |`,
          '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        );
        for (const concurrency of settings.concurrency) {
          const cairn = find(aggregates, cairnTopology, comparison.cairn, workload, concurrency);
          const peer = find(aggregates, peerTopology, comparison.peerProtocol, workload, concurrency);
          push(
            `| ${concurrency} | ${ops(cairn)} | ${ms(cairn?.p50Ms)} | ${ms(cairn?.p99Ms)} | ${ops(peer)} | ${ms(peer?.p50Ms)} | ${ms(peer?.p99Ms)} | ${ratio(cairn?.opsMean, peer?.opsMean)} | ${ratio(cairn?.p99Ms, peer?.p99Ms)} | ${floorMs === null ? '–' : ms(floorMs)} |`,
          );
        }
        push('');
      }
    }
  }
  if (charts.length > 0) {
    push('## Charts', '');
    for (const chart of charts) push(`![${chart.title}](${chart.file})`, '');
  }
  if (results.failover.length > 0) {
    push(
      '## Fail-over',
      '',
      `Writers (creates, ${results.failover[0]!.concurrency} in flight from several connections spread over the servers, the leader's first) run against a 3-server topology; the leader gets SIGKILL; ` +
        'a writer whose server dies or refuses it connects to the next one (a new session on the ZooKeeper protocol), and gives up on a call after 1 s as a client deadline would. Recovery = from the kill to the completion of the first write sent after it.',
      '',
      '| topology | protocol | killed | recovery ms | longest gap without a completed write ms | errors after the kill |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
    for (const run of results.failover) push(`| ${run.topology} | ${run.protocol} | server ${run.killedServer} | ${fmt(run.recoveryMs)} | ${fmt(run.longestGapMs)} | ${run.errorsAfterKill} |`);
    push('');
  }
  if (results.scale.length > 0) {
    push(
      '## Scale',
      '',
      'Standalone servers loaded through the same jute client (2 processes × 2 connections × 128 in flight, creates spread over 1000 parents), then stopped (SIGTERM) and restarted on their data.',
      '',
      '| system | znodes | load s | creates/s | create p99 ms | RSS after load MiB | peak RSS MiB | last snapshot MiB | its time ms (server-reported) | stop ms | restart → first read ms | RSS after restart MiB |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const run of results.scale) {
      push(
        `| ${run.system} ${run.version} | ${fmt(run.nodes)} | ${fmt(run.load.seconds, 1)} | ${fmt(run.load.opsPerSec)} | ${ms(run.load.latency.p99Ms)} | ${fmt(run.rssAfterLoadMiB)} | ${fmt(run.peakRssMiB)} | ${fmt(run.snapshot?.sizeMiB, 1)} | ${fmt(run.snapshot?.reportedMs)} | ${fmt(run.stopMs)} | ${fmt(run.restartToServingMs)} | ${fmt(run.rssAfterRestartMiB)} |`,
      );
    }
    push('');
  }
  push('## Settings that differ from each system\'s defaults', '');
  for (const [topology, list] of Object.entries(results.systemSettings)) push(`- **${topology}**: ${list.join('; ')}`);
  push(
    '',
    'How load is spread: REST holds one request per connection (autocannon, HTTP/1.1); the other protocols pipeline over min(in flight, 6) connections. ' +
      'Connections go round-robin over the servers, the leader first, and over generator processes (2 from 16 in flight up, else 1). ' +
      "Reads use each system's default: ZooKeeper and Cairn answer from the server the client is connected to; etcd's range is linearizable (it confirms leadership with a quorum first).",
    '',
  );
  if (results.skipped.length > 0) {
    push('## Not measured', '');
    for (const entry of results.skipped) push(`- ${entry.topology}: ${entry.reason.split('\n')[0]}`);
    push('');
  }
  push(
    '## Every cell',
    '',
    '| topology | protocol | workload | in flight | run | ops/s | p50 | p90 | p99 | p99.9 | max ms | errors | server CPU s/1000 ops | server CPU util | peak RSS MiB | client ELU |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | --- |',
  );
  for (const cell of results.cells) {
    const errors = Object.entries(cell.errors).map(([code, count]) => `${code} ${count}`).join(', ') || '0';
    push(
      `| ${cell.topology} | ${cell.protocol} | ${cell.workload} | ${cell.concurrency} | ${cell.run} | ${fmt(cell.opsPerSec)} | ${ms(cell.latency.p50Ms)} | ${ms(cell.latency.p90Ms)} | ${ms(cell.latency.p99Ms)} | ${ms(cell.latency.p999Ms)} | ${ms(cell.latency.maxMs)} | ${errors} | ${cell.serverCpuSecPer1000 === null ? '–' : cell.serverCpuSecPer1000.toFixed(3)} | ${cell.serverCpuUtil.join(' / ')} | ${cell.serverPeakRssMiB.join(' / ')} | ${cell.clientElu.join(' / ')}${cell.clientSaturated ? ' ⚠' : ''} |`,
    );
  }
  push('');
  return `${lines.join('\n')}\n`;
}

export function writeReport(results: Results, dir: string): void {
  const aggregates = aggregate(results.cells);
  const charts = chartFiles(results, aggregates, dir);
  writeFileSync(join(dir, 'report.md'), renderReport(results, aggregates, charts));
}
