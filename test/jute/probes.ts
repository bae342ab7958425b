// Raw protocol probes: one connection each, a handshake (unless the probe is about the
// handshake), then frames a stock client would rarely or never send. Captured against a real
// ZooKeeper 3.8 and replayed against Cairn by the byte-level tests.

import { connect, type Socket } from 'node:net';
import { JuteWriter } from '../../src/api/jute/records.js';

export interface Probe {
  name: string;
  /** Send a ConnectRequest first and wait for its answer. */
  handshake: boolean;
  /** The frames to send after the handshake, each with its 4-byte length prefix. */
  frames: () => Buffer[];
}

export interface ProbeResult {
  /** Every frame the server sent, the ConnectResponse included, as hex. */
  received: string[];
  /** Whether the server closed the connection within the wait. */
  closed: boolean;
}

export function connectRequest(options: { sessionId?: bigint; password?: Buffer; lastZxidSeen?: bigint; readOnly?: boolean; timeoutMs?: number } = {}): Buffer {
  const writer = new JuteWriter()
    .int(0)
    .long(0)
    .int(options.timeoutMs ?? 30_000)
    .long(0)
    .buffer(options.password ?? Buffer.alloc(16));
  if (options.readOnly !== undefined) writer.bool(options.readOnly);
  const frame = writer.frame();
  // Longs beyond 2^53 are written by hand: the writer takes JS numbers.
  frame.writeBigInt64BE(options.lastZxidSeen ?? 0n, 8);
  frame.writeBigInt64BE(options.sessionId ?? 0n, 20);
  return frame;
}

function request(xid: number, type: number, body: (writer: JuteWriter) => void = () => undefined): Buffer {
  const writer = new JuteWriter().int(xid).int(type);
  body(writer);
  return writer.frame();
}

const OPEN = (writer: JuteWriter) => writer.vector([0], (inner) => inner.int(31).string('world').string('anyone'));

export const PROBES: readonly Probe[] = [
  { name: 'unknownOpcode', handshake: true, frames: () => [request(1, 999)] },
  { name: 'reconfig', handshake: true, frames: () => [request(1, 16, (w) => w.string('').string('').string('').long(-1))] },
  { name: 'sasl', handshake: true, frames: () => [request(1, 102, (w) => w.buffer(Buffer.from('token')))] },
  { name: 'deleteContainer', handshake: true, frames: () => [request(1, 20, (w) => w.string('/'))] },
  { name: 'checkStandalone', handshake: true, frames: () => [request(1, 13, (w) => w.string('/').int(-1))] },
  { name: 'createBadFlags', handshake: true, frames: () => [request(1, 1, (w) => OPEN(w.string('/flags').buffer(null)).int(99))] },
  { name: 'createInvalidPath', handshake: true, frames: () => [request(1, 1, (w) => OPEN(w.string('no-slash').buffer(null)).int(0))] },
  { name: 'createNullAcl', handshake: true, frames: () => [request(1, 1, (w) => w.string('/nullacl').buffer(null).int(-1).int(0))] },
  { name: 'createGarbled', handshake: true, frames: () => [request(1, 1, (w) => w.int(100).int(0x2f2f2f2f))] },
  { name: 'getDataGarbled', handshake: true, frames: () => [request(1, 4, (w) => w.int(1000).int(0))] },
  { name: 'existsInvalidPath', handshake: true, frames: () => [request(1, 3, (w) => w.string('/a//b').bool(true))] },
  { name: 'addWatchBadMode', handshake: true, frames: () => [request(1, 106, (w) => w.string('/').int(7))] },
  { name: 'authUnknownScheme', handshake: true, frames: () => [request(-4, 100, (w) => w.int(0).string('nosuch').buffer(Buffer.from('x'))), request(2, 3, (w) => w.string('/').bool(false))] },
  { name: 'authDigest', handshake: true, frames: () => [request(-4, 100, (w) => w.int(0).string('digest').buffer(Buffer.from('u:p'))), request(2, 107)] },
  { name: 'ping', handshake: true, frames: () => [request(-2, 11)] },
  { name: 'whoAmI', handshake: true, frames: () => [request(1, 107)] },
  {
    name: 'setWatches',
    handshake: true,
    frames: () => [
      request(-8, 101, (w) => w.long(0x7fff_ffff).stringVector(['/missing']).stringVector(['/']).stringVector(['/zookeeper'])),
      request(2, 3, (w) => w.string('/').bool(false)),
    ],
  },
  {
    name: 'setWatches2',
    handshake: true,
    frames: () => [
      request(-8, 105, (w) => w.long(0x7fff_ffff).stringVector(['/missing']).stringVector([]).stringVector([]).stringVector(['/p']).stringVector(['/']).int(0)),
      request(2, 1, (w) => OPEN(w.string('/p').buffer(Buffer.from('x'))).int(0)),
      request(3, 2, (w) => w.string('/p').int(-1)),
    ],
  },
  { name: 'multiEmpty', handshake: true, frames: () => [request(1, 14, (w) => w.int(-1).bool(true).int(-1))] },
  { name: 'multiWithRead', handshake: true, frames: () => [request(1, 14, (w) => w.int(4).bool(false).int(-1).string('/').bool(false).int(-1).bool(true).int(-1))] },
  { name: 'closeSession', handshake: true, frames: () => [request(1, -11)] },
  { name: 'frameOverMaxBuffer', handshake: true, frames: () => [Buffer.from([0x00, 0x10, 0x00, 0x00, 0, 0, 0, 1])] },
  { name: 'negativeLength', handshake: true, frames: () => [Buffer.from([0xff, 0xff, 0xff, 0xfb])] },
  { name: 'headerTooShort', handshake: true, frames: () => [Buffer.from([0, 0, 0, 2, 0, 1])] },
  { name: 'resumeUnknownSession', handshake: false, frames: () => [connectRequest({ sessionId: 0x1234n, readOnly: false })] },
  { name: 'resumeUnknownSessionOldClient', handshake: false, frames: () => [connectRequest({ sessionId: 0x1234n })] },
  { name: 'clientAheadOfServer', handshake: false, frames: () => [connectRequest({ lastZxidSeen: 0x7fff_0000_0000_0000n, readOnly: false })] },
  { name: 'garbageFirstFrame', handshake: false, frames: () => [Buffer.from([0, 0, 0, 3, 1, 2, 3])] },
  { name: 'oversizeFirstFrame', handshake: false, frames: () => [Buffer.from([0x7f, 0xff, 0xff, 0xff])] },
];

/** Runs one probe: connects, optionally handshakes, sends its frames, collects what comes back. */
export function runProbe(port: number, probe: Probe, waitMs = 1500): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const received: string[] = [];
    let pending = Buffer.alloc(0);
    let closed = false;
    let sentProbe = false;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const sendProbe = () => {
      if (sentProbe) return;
      sentProbe = true;
      for (const frame of probe.frames()) socket.write(frame);
      timer = setTimeout(finish, waitMs);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received, closed });
    };
    socket.on('connect', () => {
      if (probe.handshake) socket.write(connectRequest({ readOnly: false }));
      else sendProbe();
    });
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const length = 4 + pending.readInt32BE(0);
        received.push(pending.subarray(0, length).toString('hex'));
        pending = pending.subarray(length);
        if (received.length === 1 && probe.handshake) sendProbe();
      }
    });
    socket.on('close', () => {
      if (!finished) closed = true;
      finish();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
  });
}
