// Byte-level compatibility: the frames a real ZooKeeper 3.8 sent to real clients (captured by
// test/jute/capture.ts into test/jute/captures/) are what Cairn sends for the same client
// frames. Every field is compared except zxids, times, session ids and passwords; each frame
// must decode exactly, so the format cannot drift.

import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBES, runProbe, type ProbeResult } from '../jute/probes.js';
import { decodeConnectResponse, decodeReply, requestHeader } from '../jute/reply-decoder.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';

const CAPTURES = resolve(import.meta.dirname, '../jute/captures');

interface CapturedFrame {
  connection: number;
  from: 'client' | 'server';
  hex: string;
}

function loadCapture(name: string): { frames: CapturedFrame[] } {
  return JSON.parse(readFileSync(resolve(CAPTURES, `${name}.json`), 'utf8')) as { frames: CapturedFrame[] };
}

/** What one server said on one connection, decoded and masked. */
function decodeServerFrames(frames: Buffer[], opcodeOf: (xid: number) => number | undefined): unknown[] {
  return frames.map((frame, index) => (index === 0 ? { connect: decodeConnectResponse(frame) } : decodeReply(frame, opcodeOf)));
}

class FrameReader {
  private pending = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiter: (() => void) | null = null;
  closed = false;

  constructor(socket: Socket) {
    socket.on('data', (chunk) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const length = 4 + this.pending.readInt32BE(0);
        const frame = this.pending.subarray(0, length);
        this.pending = this.pending.subarray(length);
        // Pings depend on timing, not on the script.
        if (frame.length >= 8 && frame.readInt32BE(4) === -2) continue;
        this.frames.push(frame);
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  async next(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('the connection closed before the expected frame');
      if (Date.now() > deadline) throw new Error('no frame within the timeout');
      await new Promise<void>((resolveWait) => {
        this.waiter = resolveWait;
        setTimeout(resolveWait, 50);
      });
      this.waiter = null;
    }
    return this.frames.shift()!;
  }
}

/** Replays the client frames of a capture against `port`, in the captured order and pace. */
async function replay(port: number, frames: CapturedFrame[]): Promise<{ expected: unknown[]; actual: unknown[] }> {
  const sockets = new Map<number, { socket: Socket; reader: FrameReader; zookeeper: Buffer[]; cairn: Buffer[]; opcodes: Map<number, number> }>();
  const open = async (connection: number) => {
    let entry = sockets.get(connection);
    if (entry === undefined) {
      const socket = connect({ port, host: '127.0.0.1' });
      await new Promise<void>((resolveConnect, reject) => {
        socket.once('connect', resolveConnect);
        socket.once('error', reject);
      });
      entry = { socket, reader: new FrameReader(socket), zookeeper: [], cairn: [], opcodes: new Map() };
      sockets.set(connection, entry);
    }
    return entry;
  };
  for (const frame of frames) {
    const bytes = Buffer.from(frame.hex, 'hex');
    const entry = await open(frame.connection);
    if (frame.from === 'client') {
      const header = requestHeader(bytes);
      if (header !== null && header.type === 11) continue;
      if (header !== null && entry.zookeeper.length > 0) entry.opcodes.set(header.xid, header.type);
      entry.socket.write(bytes);
    } else {
      if (bytes.length >= 8 && bytes.readInt32BE(4) === -2 && entry.zookeeper.length > 0) continue;
      entry.zookeeper.push(bytes);
      entry.cairn.push(await entry.reader.next());
    }
  }
  const expected: unknown[] = [];
  const actual: unknown[] = [];
  for (const entry of sockets.values()) {
    entry.socket.destroy();
    const opcodeOf = (xid: number) => entry.opcodes.get(xid);
    expected.push(...decodeServerFrames(entry.zookeeper, opcodeOf));
    actual.push(...decodeServerFrames(entry.cairn, opcodeOf));
  }
  return { expected, actual };
}

function decodeProbe(probeName: string, result: ProbeResult): unknown {
  const probe = PROBES.find((candidate) => candidate.name === probeName)!;
  const opcodes = new Map<number, number>();
  for (const frame of probe.frames()) {
    const header = requestHeader(frame);
    if (header !== null) opcodes.set(header.xid, header.type);
  }
  const frames = result.received.map((hex) => Buffer.from(hex, 'hex'));
  return {
    closed: result.closed,
    frames: frames.map((frame, index) =>
      index === 0 && (probe.handshake || frame.length <= 41) ? { connect: decodeConnectResponse(frame) } : decodeReply(frame, (xid) => opcodes.get(xid)),
    ),
  };
}

/** Where Cairn answers differently from ZooKeeper 3.8.0 on purpose (see the README). */
const DELIBERATE_DIFFERENCES: Record<string, (actual: ProbeResult) => void> = {
  // ZooKeeper 3.8.0 never answers a check outside a multi; Cairn answers it.
  checkStandalone: (actual) => {
    expect(actual.closed).toBe(false);
    expect(actual.received).toHaveLength(2);
    expect(decodeReply(Buffer.from(actual.received[1]!, 'hex'), () => 13)).toMatchObject({ xid: 1, err: 0, trailing: 0, length: 20 });
  },
  // ZooKeeper without SASL configured answers an empty token; Cairn has no SASL: Unimplemented.
  sasl: (actual) => {
    expect(actual.closed).toBe(false);
    expect(decodeReply(Buffer.from(actual.received[1]!, 'hex'), () => 102)).toMatchObject({ xid: 1, err: -6, trailing: 0 });
  },
};

describe('jute frames against ZooKeeper 3.8 captures', () => {
  // Each capture was taken on a fresh ZooKeeper, so each replay gets a fresh Cairn.
  const servers: ServerProcess[] = [];
  const freshServer = async () => {
    const server = await startServerProcess({ config: { extendedTypesEnabled: true, '4lw.commands.whitelist': '*' } });
    servers.push(server);
    return server;
  };

  afterAll(async () => {
    for (const server of servers) {
      await server.stop();
      await removeDir(server.dataDir);
    }
  });

  it('answers the raw probes as ZooKeeper does (handshakes, refusals, special xids, limits)', async () => {
    const captured = (JSON.parse(readFileSync(resolve(CAPTURES, 'probes.json'), 'utf8')) as { results: Record<string, ProbeResult> }).results;
    expect(Object.keys(captured).sort()).toEqual(PROBES.map((probe) => probe.name).sort());
    const server = await freshServer();
    const results = await Promise.all(PROBES.map((probe) => runProbe(server.clientPort, probe, 1000)));
    PROBES.forEach((probe, index) => {
      const actual = results[index]!;
      const special = DELIBERATE_DIFFERENCES[probe.name];
      if (special !== undefined) special(actual);
      else expect({ probe: probe.name, ...(decodeProbe(probe.name, actual) as object) }).toEqual({ probe: probe.name, ...(decodeProbe(probe.name, captured[probe.name]!) as object) });
    });
  });

  it("replays ZooKeeper's Java client session: every reply and notification matches", async () => {
    const server = await freshServer();
    const { expected, actual } = await replay(server.clientPort, loadCapture('java-client').frames);
    expect(expected.length).toBeGreaterThan(80);
    expect(actual).toEqual(expected);
  });

  it("replays node-zookeeper-client's session: every reply and notification matches", async () => {
    const server = await freshServer();
    const { expected, actual } = await replay(server.clientPort, loadCapture('node-zookeeper-client').frames);
    expect(expected.length).toBeGreaterThan(30);
    expect(actual).toEqual(expected);
  });
});
