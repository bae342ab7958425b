// The bench's etcd pieces against a real etcd 3.4 (Debian's etcd-server): the process topology
// (start-up, leader, fail-over, stop) and the hand-encoded gRPC driver, whose bytes are checked
// by reading and writing the same keys through etcd's own HTTP/JSON gateway.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEtcdGrpc, decodeRangeCount, encodePutRequest, encodeRangeRequest } from '../../bench/gen/etcd-grpc.js';
import { DriverError, errorCode, type Driver } from '../../bench/gen/driver.js';
import { startEtcd } from '../../bench/systems/etcd.js';
import type { Topology } from '../../bench/systems/topology.js';
import { describeWith } from '../support/requirements.js';
import { processExists } from '../../src/storage/lock.js';

const START_TIMEOUT_MS = 45_000;
const HOOK_TIMEOUT_MS = 90_000;

const base64 = (data: string | Uint8Array) => Buffer.from(data).toString('base64');

async function gateway<T>(http: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${http}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface RangeAnswer {
  kvs?: { key: string; value?: string; version: string }[];
  count?: string;
}


async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

describe('the protobuf encoding by hand', () => {
  it('writes keys and values as length-delimited fields with varint lengths', () => {
    expect([...encodeRangeRequest('/a')]).toEqual([0x0a, 2, 0x2f, 0x61]);
    const value = new Uint8Array(300).fill(7);
    const put = encodePutRequest('/é', value);
    expect([...put.subarray(0, 8)]).toEqual([0x0a, 3, 0x2f, 0xc3, 0xa9, 0x12, 0xac, 0x02]);
    expect(put.length).toBe(8 + 300);
  });

  it('finds count among the other fields of a RangeResponse', () => {
    // header {revision: 5}, kvs {key: 'k'}, more: false, count: 300, an unknown fixed32 and fixed64.
    const response = Buffer.from([0x0a, 2, 0x18, 5, 0x12, 3, 0x0a, 1, 0x6b, 0x18, 0, 0x20, 0xac, 0x02, 0x2d, 1, 2, 3, 4, 0x31, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decodeRangeCount(response)).toBe(300);
    expect(decodeRangeCount(Buffer.from([0x0a, 2, 0x18, 5]))).toBe(0);
    expect(() => decodeRangeCount(Buffer.from([0x12, 9, 1]))).toThrow();
  });
});

describeWith('etcd', 'etcd 3.4 as a bench system', () => {
  describe('one member', () => {
    let topology: Topology | undefined;
    let driver: Driver | undefined;
    let http = '';

    beforeAll(async () => {
      topology = await startEtcd({ members: 1, startTimeoutMs: START_TIMEOUT_MS });
      http = topology.servers[0]!.http!;
      driver = await connectEtcdGrpc(topology.servers[0]!.grpc!);
    }, HOOK_TIMEOUT_MS);

    afterAll(async () => {
      await driver?.close();
      await topology?.stop();
    }, HOOK_TIMEOUT_MS);

    it('describes itself', async () => {
      expect(topology!.system).toBe('etcd');
      expect(topology!.name).toBe('etcd-1');
      expect(topology!.version).toMatch(/^3\.4\.\d+/);
      expect(topology!.servers[0]!.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(topology!.servers[0]!.jute).toBeUndefined();
      expect(topology!.settings.some((line) => line.includes('--initial-cluster-token'))).toBe(true);
      expect(await topology!.leader()).toBe(1);
    });

    it('creates, writes and reads a key', async () => {
      await driver!.prepare('/bench/r1');
      await driver!.create('/bench/r1/k1', new Uint8Array([1, 2, 3]));
      await driver!.read('/bench/r1/k1');
      await driver!.write('/bench/r1/k1', new Uint8Array([4, 5]));
      await driver!.read('/bench/r1/k1');
      const answer = await gateway<RangeAnswer>(http, '/v3/kv/range', { key: base64('/bench/r1/k1') });
      expect(answer.count).toBe('1');
      expect(answer.kvs![0]!.version).toBe('2');
      expect(Buffer.from(answer.kvs![0]!.value!, 'base64')).toEqual(Buffer.from([4, 5]));
      expect(driver!.broken).toBe(false);
    });

    it('puts the exact bytes of long values and non-ASCII keys', async () => {
      const value = Buffer.alloc(70_000);
      for (let index = 0; index < value.length; index++) value[index] = (index * 31) & 0xff;
      await driver!.create('/bench/ключ/€', value);
      const answer = await gateway<RangeAnswer>(http, '/v3/kv/range', { key: base64('/bench/ключ/€') });
      expect(Buffer.from(answer.kvs![0]!.key, 'base64').toString('utf8')).toBe('/bench/ключ/€');
      expect(Buffer.from(answer.kvs![0]!.value!, 'base64').equals(value)).toBe(true);
      await driver!.create('/bench/empty', new Uint8Array(0));
      await driver!.read('/bench/empty');
    });

    it('reads a key written through the gateway', async () => {
      await gateway(http, '/v3/kv/put', { key: base64('/bench/gw'), value: base64('from the gateway') });
      await driver!.read('/bench/gw');
    });

    it('rejects a read of a missing key with NotFound', async () => {
      const failure = await driver!.read('/bench/missing').then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(DriverError);
      expect(errorCode(failure)).toBe('NotFound');
      expect(driver!.broken).toBe(false);
    });

    it('keeps 1000 puts in flight on one connection', async () => {
      const value = new Uint8Array(100).fill(0x61);
      const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, index) => driver!.create(`/bench/many/k${index}`, value)));
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      const answer = await gateway<RangeAnswer>(http, '/v3/kv/range', {
        key: base64('/bench/many/'),
        range_end: base64('/bench/many0'),
        count_only: true,
      });
      expect(answer.count).toBe('1000');
    });

    it('fails at once once closed', async () => {
      const other = await connectEtcdGrpc(topology!.servers[0]!.grpc!);
      await other.read('/bench/gw');
      await other.close();
      await other.close();
      expect(other.broken).toBe(true);
      await expect(other.read('/bench/gw')).rejects.toMatchObject({ code: 'closed' });
    });
  });

  describe('three members', () => {
    let topology: Topology | undefined;

    beforeAll(async () => {
      topology = await startEtcd({ members: 3, startTimeoutMs: START_TIMEOUT_MS });
    }, HOOK_TIMEOUT_MS);

    afterAll(async () => {
      await topology?.stop();
    }, HOOK_TIMEOUT_MS);

    it('elects a new leader when the leader is killed', async () => {
      expect(topology!.name).toBe('etcd-3');
      expect(new Set(topology!.servers.map((server) => server.grpc)).size).toBe(3);
      const first = await waitFor('no leader', () => topology!.leader(), 10_000);
      expect([1, 2, 3]).toContain(first);
      const survivor = topology!.servers.find((server) => server.id !== first)!;
      const driver = await connectEtcdGrpc(survivor.grpc!);
      try {
        await driver.create('/failover/before', new Uint8Array([1]));
        topology!.kill(first);
        expect(topology!.servers[first - 1]!.alive()).toBe(false);
        const second = await waitFor('no new leader', async () => {
          const leader = await topology!.leader();
          return leader !== null && leader !== first ? leader : null;
        }, 30_000);
        expect([1, 2, 3]).toContain(second);
        // The survivors still make progress; etcd may refuse a call or two while it elects.
        await waitFor('no put succeeded after the fail-over', () => driver.create('/failover/after', new Uint8Array([2])).then(() => true, () => null), 30_000);
        await driver.read('/failover/before');
      } finally {
        await driver.close();
      }
    }, 90_000);

    it('stops every process it started and removes the data', async () => {
      const pids = topology!.servers.map((server) => server.pid);
      const dirs = topology!.servers.map((server) => server.dataDir);
      await topology!.stop();
      expect(topology!.servers.map((server) => server.alive())).toEqual([false, false, false]);
      expect(pids.filter(processExists)).toEqual([]);
      expect(dirs.filter((dir) => existsSync(dir))).toEqual([]);
      expect(await topology!.leader()).toBeNull();
    }, HOOK_TIMEOUT_MS);
  });
});
