// A bounded fuzz of the ZooKeeper port: random and mutated frames (seeded from frames real
// clients sent, see test/jute/captures) on many connections for a few seconds. The server must
// stay up, keep answering a well-behaved client throughout, and end with no leaked connections,
// file descriptors or runaway memory. Also: a connection that never sends its handshake is
// closed after ZooKeeper's sessionless timeout.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NzcClient } from '../jute/nzc.js';
import { connectRequest } from '../jute/probes.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { fourLetterWord } from './zookeeper-process.js';

const FUZZ_MS = 8000;
const PARALLEL_CONNECTIONS = 8;

/** A small deterministic generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedFrames(): Buffer[] {
  const frames: Buffer[] = [];
  for (const name of ['java-client', 'node-zookeeper-client']) {
    const capture = JSON.parse(readFileSync(resolve(import.meta.dirname, `../jute/captures/${name}.json`), 'utf8')) as { frames: { from: string; hex: string }[] };
    for (const frame of capture.frames) if (frame.from === 'client') frames.push(Buffer.from(frame.hex, 'hex'));
  }
  return frames;
}

function mutate(frame: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(frame);
  const pick = (limit: number) => Math.floor(next() * limit);
  switch (pick(8)) {
    case 0: // flip bits in the body
      for (let flips = 1 + pick(4); flips > 0 && copy.length > 4; flips--) copy[4 + pick(copy.length - 4)]! ^= 1 << pick(8);
      return copy;
    case 1: // a random opcode
      if (copy.length >= 12) copy.writeInt32BE(pick(300) - 20, 8);
      return copy;
    case 2: // truncate the body but keep the length prefix honest
      return withLength(copy.subarray(4, 4 + pick(Math.max(1, copy.length - 4))));
    case 3: // a lying length prefix
      copy.writeInt32BE([0x7fffffff, -1, 0x100000, copy.length + 100, 0][pick(5)]!, 0);
      return copy;
    case 4: // random bytes with an honest prefix
      return withLength(Buffer.from(Array.from({ length: pick(200) }, () => pick(256))));
    case 5: // corrupt a string length inside
      if (copy.length >= 16) copy.writeInt32BE([-2, 0x7ffffff0, 1_000_000, -1][pick(4)]!, 12);
      return copy;
    case 6: // raw garbage, no framing at all
      return Buffer.from(Array.from({ length: 1 + pick(64) }, () => pick(256)));
    default:
      return copy;
  }
}

function withLength(body: Buffer): Buffer {
  const framed = Buffer.alloc(body.length + 4);
  framed.writeInt32BE(body.length, 0);
  body.copy(framed, 4);
  return framed;
}

/** One fuzz connection: maybe a handshake, then a few mutated frames, then gone. */
function fuzzConnection(port: number, seeds: Buffer[], next: () => number): Promise<void> {
  return new Promise((resolveDone) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const finish = () => {
      socket.destroy();
      resolveDone();
    };
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.on('data', () => undefined);
    socket.on('connect', () => {
      if (next() < 0.8) socket.write(connectRequest({ readOnly: next() < 0.5, timeoutMs: 4000 }));
      for (let count = 1 + Math.floor(next() * 6); count > 0; count--) socket.write(mutate(seeds[Math.floor(next() * seeds.length)]!, next));
      setTimeout(finish, 20 + Math.floor(next() * 150));
    });
  });
}

function residentMegabytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

describe('fuzzing the ZooKeeper port', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess({ config: { maxClientCnxns: 0, '4lw.commands.whitelist': '*' } });
  });

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  it('survives random and mutated frames, keeps serving, and leaks nothing', async () => {
    const pid = server.child.pid!;
    const seeds = seedFrames();
    expect(seeds.length).toBeGreaterThan(50);
    const metric = async (key: string) => {
      const mntr = await fourLetterWord(server.clientPort, 'mntr');
      return Number(new Map(mntr.trim().split('\n').map((line) => line.split('\t') as [string, string])).get(key));
    };
    const baselineDescriptors = await metric('zk_open_file_descriptor_count');
    const baselineMemory = residentMegabytes(pid);

    // A client that never sends its handshake: closed after the sessionless timeout (10 s).
    const idleStarted = Date.now();
    const idleClosed = new Promise<number>((resolveClosed) => {
      const idle = connect({ port: server.clientPort, host: '127.0.0.1' });
      idle.on('error', () => undefined);
      idle.on('close', () => resolveClosed(Date.now() - idleStarted));
    });

    const healthy = await NzcClient.connect(`127.0.0.1:${server.clientPort}`);
    await healthy.create('/healthy', Buffer.from('0'));
    const seed = Date.now() % 100_000;
    const next = random(seed);
    const deadline = Date.now() + FUZZ_MS;
    let connections = 0;
    let healthyWrites = 0;
    const fuzzers = Array.from({ length: PARALLEL_CONNECTIONS }, async () => {
      while (Date.now() < deadline) {
        await fuzzConnection(server.clientPort, seeds, next);
        connections++;
      }
    });
    const checker = (async () => {
      while (Date.now() < deadline) {
        await healthy.setData('/healthy', Buffer.from(String(++healthyWrites)));
        await new Promise((resolveDelay) => setTimeout(resolveDelay, 50));
      }
    })();
    await Promise.all([...fuzzers, checker]);
    expect(connections, `fuzz seed ${seed}`).toBeGreaterThan(100);
    expect(healthyWrites).toBeGreaterThan(20);
    expect((await healthy.getData('/healthy')).data?.toString()).toBe(String(healthyWrites));
    await healthy.close();

    expect(server.child.exitCode, `fuzz seed ${seed}`).toBeNull();
    expect(await fourLetterWord(server.clientPort, 'ruok')).toBe('imok');
    // Only the connection asking remains; descriptors return to where they were.
    await waitFor(async () => (await metric('zk_num_alive_connections')) <= 2, 15_000, 'fuzz connections to be gone');
    await waitFor(async () => (await metric('zk_open_file_descriptor_count')) <= baselineDescriptors + 4, 15_000, 'file descriptors to return to the baseline');
    expect(residentMegabytes(pid) - baselineMemory).toBeLessThan(150);

    const idleMs = await idleClosed;
    expect(idleMs).toBeGreaterThanOrEqual(9_000);
    expect(idleMs).toBeLessThan(15_000);
  });
});
