import { describe, expect, it } from 'vitest';
import { endpointsFor, spread } from '../../bench/cells.js';
import { aggregate, checkTargets } from '../../bench/report/report.js';
import type { CellResult } from '../../bench/cells.js';
import type { Results } from '../../bench/run.js';

describe('how the bench spreads a concurrency', () => {
  it('puts every in-flight request somewhere, evenly, over processes and servers', () => {
    for (const protocol of ['jute', 'cairn-stream', 'cairn-unary', 'etcd-grpc', 'rest'] as const) {
      for (const servers of [1, 3]) {
        for (const concurrency of [1, 4, 16, 64, 256]) {
          const { processes, perProcess } = spread(concurrency, servers, protocol);
          expect(perProcess).toHaveLength(processes);
          const lanes = perProcess.flatMap((share) => share.lanes);
          expect(lanes.reduce((sum, value) => sum + value, 0)).toBe(concurrency);
          expect(Math.max(...lanes) - Math.min(...lanes)).toBeLessThanOrEqual(1);
          for (const share of perProcess) expect(share.connections).toHaveLength(share.lanes.length);
          const perServer = new Array<number>(servers).fill(0);
          for (const share of perProcess) for (const endpoint of share.connections) perServer[endpoint]!++;
          // Round-robin, the leader (index 0) first: no server has more than one connection over another.
          expect(Math.max(...perServer) - Math.min(...perServer)).toBeLessThanOrEqual(1);
          expect(perServer[0]).toBe(Math.max(...perServer));
          if (protocol === 'rest') expect(lanes.every((value) => value === 1)).toBe(true);
          expect(processes).toBe(concurrency < 16 ? 1 : protocol === 'jute' || protocol === 'rest' ? 2 : 4);
        }
      }
    }
  });

  it('orders endpoints with the leader first', () => {
    const server = (id: number) => ({ id, pid: id, dataDir: '', jute: `h:${id}`, grpc: `g:${id}`, http: `http://h:${id}`, alive: () => true });
    expect(endpointsFor([server(1), server(2), server(3)], 2, 'jute')).toEqual(['h:2', 'h:1', 'h:3']);
    expect(endpointsFor([server(1), server(2), server(3)], null, 'rest')).toEqual(['http://h:1', 'http://h:2', 'http://h:3']);
    expect(() => endpointsFor([{ ...server(1), jute: undefined }], 1, 'jute')).toThrow(/no jute endpoint/);
  });
});

describe('the report', () => {
  const cell = (topology: string, protocol: string, run: number, opsPerSec: number, p99Ms: number): CellResult => ({
    topology,
    system: topology.split('-')[0]!,
    servers: Number(topology.split('-')[1]),
    protocol,
    workload: 'create',
    concurrency: 64,
    run,
    processes: 2,
    connections: 6,
    windowMs: 1000,
    ops: opsPerSec,
    opsPerSec,
    latency: { count: opsPerSec, p50Ms: p99Ms / 4, p90Ms: p99Ms / 2, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3, meanMs: p99Ms / 3 },
    errors: {},
    serverCpuSecPer1000: 0.1,
    serverCpuUtil: [0.5],
    serverPeakRssMiB: [100],
    clientElu: [0.2],
    clientSaturated: false,
  });

  it('averages runs, keeps their spread, and judges a target on the means', () => {
    const cells = [cell('cairn-3', 'jute', 1, 9000, 20), cell('cairn-3', 'jute', 2, 11000, 30), cell('zookeeper-3', 'jute', 1, 6000, 40), cell('zookeeper-3', 'jute', 2, 8000, 20)];
    const aggregates = aggregate(cells);
    const cairn = aggregates.find((entry) => entry.topology === 'cairn-3')!;
    expect(cairn).toMatchObject({ runs: 2, opsMean: 10000, opsMin: 9000, opsMax: 11000, p99Ms: 25 });
    const results = { floor: { writeFloorMs: { standalone: 0.2, threeServers: 0.3 } } } as unknown as Results;
    const target = checkTargets(results, aggregates)[0]!;
    // 10,000 / 7,000 = 1.43× < 1.5×: not met, though one run alone would have been.
    expect(target.met).toBe(false);
    expect(target.measured).toContain('1.43×');
    expect(checkTargets(results, aggregates)[1]!.met).toBeNull();
  });
});
