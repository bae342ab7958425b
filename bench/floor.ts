// The floor under any write-quorum latency on this machine: a small append made durable
// (write + fdatasync, in the directory the servers keep their data in) and a loopback TCP round
// trip. No system can acknowledge a durable write faster than one round trip to it plus one
// fdatasync; a 3-server quorum adds the round trip from leader to follower (whose fdatasync runs
// beside the leader's).

import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { round, summarize, type LatencySummary } from './lib.js';

export interface Floor {
  directory: string;
  fdatasync: LatencySummary;
  loopbackRtt: LatencySummary;
  /** Lowest possible p50 of an acknowledged write: standalone = RTT + fdatasync; 3 servers = 2 RTT + fdatasync. */
  writeFloorMs: { standalone: number; threeServers: number };
}

export function measureFdatasync(directory: string, count: number): LatencySummary {
  const file = join(directory, `cairn-bench-floor-${process.pid}`);
  const fd = openSync(file, 'w');
  const record = Buffer.alloc(100, 0x61);
  const samples = new Float64Array(count);
  try {
    for (let index = 0; index < count; index++) {
      const started = process.hrtime.bigint();
      writeSync(fd, record);
      fdatasyncSync(fd);
      samples[index] = Number(process.hrtime.bigint() - started) / 1000;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return summarize(samples);
}

export async function measureLoopbackRtt(count: number): Promise<LatencySummary> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  const socket: Socket = connect({ port, host: '127.0.0.1' });
  socket.setNoDelay(true);
  await new Promise<void>((done, reject) => socket.once('connect', done).once('error', reject));
  const samples = new Float64Array(count);
  const ping = Buffer.alloc(16, 1);
  try {
    for (let index = 0; index < count; index++) {
      const started = process.hrtime.bigint();
      await new Promise<void>((done) => {
        socket.once('data', () => done());
        socket.write(ping);
      });
      samples[index] = Number(process.hrtime.bigint() - started) / 1000;
    }
  } finally {
    socket.destroy();
    await new Promise((done) => server.close(done));
  }
  return summarize(samples);
}

export async function measureFloor(samples: { fsyncs: number; roundTrips: number }): Promise<Floor> {
  const directory = tmpdir();
  const fdatasync = measureFdatasync(directory, samples.fsyncs);
  const loopbackRtt = await measureLoopbackRtt(samples.roundTrips);
  return {
    directory,
    fdatasync,
    loopbackRtt,
    writeFloorMs: {
      standalone: round(loopbackRtt.p50Ms + fdatasync.p50Ms),
      threeServers: round(2 * loopbackRtt.p50Ms + fdatasync.p50Ms),
    },
  };
}
