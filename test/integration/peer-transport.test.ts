// The real ZAB transport: three transports in one process on 127.0.0.1, plus raw sockets playing
// a misbehaving peer.

import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { makeZxid } from '../../src/core/types.js';
import { PeerTransport, type PeerAddress, type PeerTransportLimits } from '../../src/server/peer-transport.js';
import { FRAME_LENGTH_BYTES, PEER_PROTOCOL_VERSION, decodeFrame, encodeLengthPrefixedFrame, type WireFrame } from '../../src/zab/codec.js';
import type { Entry, Notification, PeerMessage, ServerId } from '../../src/zab/types.js';

const HOST = '127.0.0.1';
const WAIT_MS = 5_000;
const logger = pino({ level: process.env.CAIRN_TEST_LOG_LEVEL ?? 'silent' });

type SnapshotHandler = (from: ServerId, zxid: number, chunks: Uint8Array[]) => Promise<void>;

/** Everything one transport reported, with a bounded wait for a condition over it. */
class Recorder {
  readonly messages: { from: ServerId; message: PeerMessage }[] = [];
  readonly disconnects: ServerId[] = [];
  readonly snapshots: { from: ServerId; zxid: number; chunks: Uint8Array[]; deliveredBefore: number }[] = [];
  /** Messages received, by type (cheap to test on every arrival). */
  readonly counts = new Map<string, number>();
  snapshotHandler: SnapshotHandler = () => Promise.resolve();
  /** Called on each message after it is recorded: a member reacting as a driver would. */
  react: (from: ServerId, message: PeerMessage) => void = () => {};
  private readonly waiters = new Set<() => void>();

  changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  count(type: PeerMessage['type']): number {
    return this.counts.get(type) ?? 0;
  }

  messagesOfType<T extends PeerMessage['type']>(type: T): Extract<PeerMessage, { type: T }>[] {
    return this.messages.filter((entry) => entry.message.type === type).map((entry) => entry.message as Extract<PeerMessage, { type: T }>);
  }

  waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

interface Member {
  id: ServerId;
  transport: PeerTransport;
  recorder: Recorder;
}

const open: PeerTransport[] = [];
const rawSockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

function createMember(id: ServerId, ids: ServerId[], limits: Partial<PeerTransportLimits> = {}, listen: Partial<PeerAddress> = {}): Member {
  const recorder = new Recorder();
  const peers = new Map<ServerId, PeerAddress>(ids.map((other) => [other, { host: HOST, quorumPort: 0, electionPort: 0 }]));
  peers.set(id, { host: HOST, quorumPort: listen.quorumPort ?? 0, electionPort: listen.electionPort ?? 0 });
  const transport = new PeerTransport({
    self: id,
    peers,
    logger,
    limits,
    onMessage: (from, message) => {
      recorder.messages.push({ from, message });
      recorder.counts.set(message.type, recorder.count(message.type) + 1);
      recorder.react(from, message);
      recorder.changed();
    },
    onDisconnected: (peer) => {
      recorder.disconnects.push(peer);
      recorder.changed();
    },
    onSnapshot: (from, zxid, chunks) => {
      recorder.snapshots.push({ from, zxid, chunks, deliveredBefore: recorder.messages.length });
      recorder.changed();
      return recorder.snapshotHandler(from, zxid, chunks);
    },
  });
  open.push(transport);
  return { id, transport, recorder };
}

function addressOf(member: Member): PeerAddress {
  return { host: HOST, quorumPort: member.transport.quorumPort, electionPort: member.transport.electionPort };
}

/** Three started transports that know each other's ports. */
async function cluster(limits: Partial<PeerTransportLimits> = {}): Promise<[Member, Member, Member]> {
  const ids = [1, 2, 3];
  const members = ids.map((id) => createMember(id, ids, limits)) as [Member, Member, Member];
  await Promise.all(members.map((member) => member.transport.start()));
  for (const member of members) {
    for (const other of members) if (other !== member) member.transport.setPeerAddress(other.id, addressOf(other));
  }
  return members;
}

function notification(leader: ServerId, round: number): Notification {
  return { type: 'notification', vote: { leader, zxid: makeZxid(1, round), epoch: 1 }, round, state: 'looking' };
}

const followerInfo: PeerMessage = { type: 'followerInfo', acceptedEpoch: 1, lastZxid: makeZxid(1, 5), observer: false };

/** A learner connects to its leader; the leader answers; both have seen the other. */
async function connectLearner(learner: Member, leader: Member): Promise<void> {
  const before = leader.recorder.count('followerInfo');
  learner.transport.send(leader.id, followerInfo);
  await leader.recorder.waitFor(() => leader.recorder.count('followerInfo') > before, 'followerInfo at the leader');
  const pings = learner.recorder.count('ping');
  leader.transport.send(learner.id, { type: 'ping', round: 0 });
  await learner.recorder.waitFor(() => learner.recorder.count('ping') > pings, 'ping at the learner');
}

let fenceId = 0;

/** A message both ways between two connected members: everything sent before it has arrived. */
async function fence(learner: Member, leader: Member): Promise<void> {
  const id = ++fenceId;
  learner.transport.send(leader.id, { type: 'syncRequest', id });
  await leader.recorder.waitFor(() => leader.recorder.messagesOfType('syncRequest').some((message) => message.id === id), 'fence at the leader');
  leader.transport.send(learner.id, { type: 'syncReply', id });
  await learner.recorder.waitFor(() => learner.recorder.messagesOfType('syncReply').some((message) => message.id === id), 'fence at the learner');
}

// ---------------------------------------------------------------------------------------------
// A raw peer: a plain socket speaking (or not) the frame protocol.

interface RawPeer {
  socket: net.Socket;
  frames: WireFrame[];
  closed: Promise<void>;
  send(frame: WireFrame): void;
  waitForFrames(count: number): Promise<void>;
}

async function rawConnect(port: number): Promise<RawPeer> {
  const socket = net.connect({ host: HOST, port });
  rawSockets.push(socket);
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const frames: WireFrame[] = [];
  const listeners = new Set<() => void>();
  let buffered = Buffer.alloc(0);
  socket.on('data', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    while (buffered.length >= FRAME_LENGTH_BYTES && buffered.length >= FRAME_LENGTH_BYTES + buffered.readUInt32BE(0)) {
      const length = buffered.readUInt32BE(0);
      frames.push(decodeFrame(buffered.subarray(FRAME_LENGTH_BYTES, FRAME_LENGTH_BYTES + length)));
      buffered = buffered.subarray(FRAME_LENGTH_BYTES + length);
    }
    for (const listener of listeners) listener();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    frames,
    closed,
    send: (frame) => socket.write(encodeLengthPrefixedFrame(frame)),
    waitForFrames: (count) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (frames.length < count) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} frames`)), WAIT_MS);
        listeners.add(check);
        check();
      }),
  };
}

function within<T>(promise: Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Lets pending I/O and timers run a little: only ever used before checking that something did NOT happen. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 2));
}

function entriesFor(index: number): Entry[] {
  const count = 1 + (index % 3);
  return Array.from({ length: count }, (_, offset) => ({
    zxid: makeZxid(2, index * 3 + offset + 1),
    payload: new TextEncoder().encode(`proposal ${index} entry ${offset} ${'x'.repeat(index % 50)}`),
  }));
}

// ---------------------------------------------------------------------------------------------

describe('peer transport', () => {
  it('listens on the ports it was given or any free ones', async () => {
    const [one] = await cluster();
    expect(one.transport.quorumPort).toBeGreaterThan(0);
    expect(one.transport.electionPort).toBeGreaterThan(0);
    expect(one.transport.quorumPort).not.toBe(one.transport.electionPort);
  });

  it('carries election notifications both ways', async () => {
    const [one, two, three] = await cluster();
    one.transport.sendNotification(2, notification(1, 1));
    two.transport.send(1, notification(2, 2));
    three.transport.sendNotification(1, notification(3, 3));
    one.transport.send(3, notification(1, 4));
    await two.recorder.waitFor(() => two.recorder.messages.length === 1, 'a notification at 2');
    await one.recorder.waitFor(() => one.recorder.messages.length === 2, 'two notifications at 1');
    await three.recorder.waitFor(() => three.recorder.messages.length === 1, 'a notification at 3');
    expect(two.recorder.messages).toEqual([{ from: 1, message: notification(1, 1) }]);
    expect(one.recorder.messages).toEqual(expect.arrayContaining([
      { from: 2, message: notification(2, 2) },
      { from: 3, message: notification(3, 3) },
    ]));
    expect(three.recorder.messages).toEqual([{ from: 1, message: notification(1, 4) }]);
    // Notifications open no quorum connection.
    expect(one.transport.quorumPeers()).toEqual([]);
  });

  it('reconnects the election channel on the next send after a failure', async () => {
    const [one, two] = await cluster();
    one.transport.sendNotification(2, notification(1, 1));
    await two.recorder.waitFor(() => two.recorder.messages.length === 1, 'a notification at 2');
    const ports = addressOf(two);
    await two.transport.close();
    // Server 2 comes back on the same ports.
    const twoAgain = createMember(2, [1, 2, 3], {}, ports);
    await twoAgain.transport.start();
    let round = 2;
    const resend = setInterval(() => one.transport.sendNotification(2, notification(1, round++)), 5);
    try {
      await twoAgain.recorder.waitFor(() => twoAgain.recorder.messages.length > 0, 'a notification at the restarted 2');
    } finally {
      clearInterval(resend);
    }
    expect(twoAgain.recorder.messages[0]!.from).toBe(1);
  });

  it('opens a quorum connection from a learner and keeps 10,000 proposals in order both ways', async () => {
    const [leader, learner, other] = await cluster();
    await connectLearner(learner, leader);
    expect(leader.recorder.messages[0]).toEqual({ from: 2, message: followerInfo });
    expect(leader.transport.quorumPeers()).toEqual([2]);
    expect(learner.transport.quorumPeers()).toEqual([1]);

    const count = 10_000;
    const ackedBefore = leader.recorder.count('ack');
    // The learner acknowledges each proposal as it arrives: replies come back on the same connection.
    learner.recorder.react = (from, message) => {
      if (message.type === 'proposal') learner.transport.send(from, { type: 'ack', zxid: message.entries.at(-1)!.zxid });
    };
    for (let index = 0; index < count; index++) leader.transport.send(2, { type: 'proposal', entries: entriesFor(index) });
    await learner.recorder.waitFor(() => learner.recorder.count('proposal') === count, `${count} proposals at the learner`);
    await leader.recorder.waitFor(() => leader.recorder.count('ack') - ackedBefore === count, `${count} acks at the leader`);
    const proposals = learner.recorder.messagesOfType('proposal');
    proposals.forEach((proposal, index) => {
      const expected = entriesFor(index);
      if (proposal.entries.length !== expected.length) throw new Error(`proposal ${index} has ${proposal.entries.length} entries`);
      proposal.entries.forEach((entry, offset) => {
        if (entry.zxid !== expected[offset]!.zxid || !Buffer.from(entry.payload).equals(expected[offset]!.payload)) {
          throw new Error(`proposal ${index} entry ${offset} differs`);
        }
      });
    });
    const acks = leader.recorder.messagesOfType('ack').slice(ackedBefore);
    acks.forEach((ack, index) => {
      if (ack.zxid !== entriesFor(index).at(-1)!.zxid) throw new Error(`ack ${index} out of order`);
    });
    expect(leader.recorder.messages.every((entry) => entry.from === 2)).toBe(true);

    // The leader never initiates, and a learner's message other than FOLLOWERINFO opens nothing.
    leader.transport.send(3, { type: 'leaderInfo', epoch: 9 });
    other.transport.send(1, { type: 'ack', zxid: 1 });
    expect(leader.transport.quorumPeers()).toEqual([2]);
    expect(other.transport.quorumPeers()).toEqual([]);
    await settle();
    expect(other.recorder.messages).toEqual([]);
    expect(leader.recorder.messages.every((entry) => entry.from === 2)).toBe(true);
  });

  it('splits a proposal too large for one frame into several, in order', async () => {
    const [leader, learner] = await cluster({ maxFrameBytes: 4096 });
    await connectLearner(learner, leader);
    const entries: Entry[] = Array.from({ length: 40 }, (_, index) => ({ zxid: makeZxid(3, index + 1), payload: new Uint8Array(1000).fill(index) }));
    leader.transport.send(2, { type: 'proposal', entries });
    leader.transport.send(2, { type: 'commit', zxid: makeZxid(3, 40) });
    await learner.recorder.waitFor(() => learner.recorder.count('commit') === 1, 'the commit');
    const received = learner.recorder.messagesOfType('proposal').flatMap((proposal) => proposal.entries);
    expect(learner.recorder.messagesOfType('proposal').length).toBeGreaterThan(1);
    expect(received.map((entry) => [entry.zxid, Buffer.from(entry.payload).toString('hex')])).toEqual(entries.map((entry) => [entry.zxid, Buffer.from(entry.payload).toString('hex')]));
  });

  it('replaces a connection with a newer one from the same peer, silently', async () => {
    const [leader] = await cluster();
    const first = await rawConnect(leader.transport.quorumPort);
    first.send({ type: 'hello', serverId: 2, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION });
    first.send(followerInfo);
    await leader.recorder.waitFor(() => leader.recorder.messages.length === 1, 'followerInfo on the first connection');
    leader.transport.send(2, { type: 'leaderInfo', epoch: 2 });
    await first.waitForFrames(1);

    const second = await rawConnect(leader.transport.quorumPort);
    second.send({ type: 'hello', serverId: 2, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION });
    second.send({ type: 'followerInfo', acceptedEpoch: 2, lastZxid: 0, observer: false });
    await leader.recorder.waitFor(() => leader.recorder.messages.length === 2, 'followerInfo on the second connection');
    await within(first.closed, 'the replaced connection to close');

    leader.transport.send(2, { type: 'leaderInfo', epoch: 3 });
    await second.waitForFrames(1);
    expect(second.frames).toEqual([{ type: 'leaderInfo', epoch: 3 }]);
    expect(first.frames).toEqual([{ type: 'leaderInfo', epoch: 2 }]);
    expect(leader.recorder.disconnects).toEqual([]);

    // The current one failing is reported, once.
    second.socket.destroy();
    await leader.recorder.waitFor(() => leader.recorder.disconnects.length === 1, 'the disconnect report');
    await settle();
    expect(leader.recorder.disconnects).toEqual([2]);
    expect(leader.transport.quorumPeers()).toEqual([]);
  });

  it('reports a disconnect when the other side closes, but not for its own closing', async () => {
    const [leader, learner, other] = await cluster();
    await connectLearner(learner, leader);
    await connectLearner(other, leader);

    // Closed on purpose by the leader: only the learner hears of it.
    leader.transport.close(3);
    await other.recorder.waitFor(() => other.recorder.disconnects.length === 1, 'the disconnect at 3');
    expect(other.recorder.disconnects).toEqual([1]);
    expect(leader.transport.quorumPeers()).toEqual([2]);

    // The whole leader transport goes away: the learner hears of it.
    await leader.transport.close();
    await learner.recorder.waitFor(() => learner.recorder.disconnects.length === 1, 'the disconnect at 2');
    await settle();
    expect(learner.recorder.disconnects).toEqual([1]);
    expect(leader.recorder.disconnects).toEqual([]);
    expect(learner.transport.quorumPeers()).toEqual([]);
  });

  it('reports a learner whose transport closes to the leader', async () => {
    const [leader, learner] = await cluster();
    await connectLearner(learner, leader);
    await learner.transport.close();
    await leader.recorder.waitFor(() => leader.recorder.disconnects.length === 1, 'the disconnect at the leader');
    expect(leader.recorder.disconnects).toEqual([2]);
    expect(learner.recorder.disconnects).toEqual([]);
  });

  it('reports a learner whose leader is not there', async () => {
    const [leader, learner] = await cluster();
    const leaderPorts = addressOf(leader);
    await leader.transport.close();
    learner.transport.setPeerAddress(1, leaderPorts);
    learner.transport.send(1, followerInfo);
    await learner.recorder.waitFor(() => learner.recorder.disconnects.length === 1, 'the failed connection report');
    expect(learner.recorder.disconnects).toEqual([1]);
  });

  it('streams a snapshot behind its syncStart and delivers what follows only after the install', async () => {
    const [leader, learner] = await cluster({ maxFrameBytes: 4096 });
    await connectLearner(learner, leader);
    let finishInstall!: () => void;
    learner.recorder.snapshotHandler = () => new Promise<void>((resolve) => (finishInstall = resolve));
    const zxid = makeZxid(4, 10);
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(10_000).map((_, index) => index % 256), new Uint8Array(0), new Uint8Array(4090).fill(5)];
    const later: PeerMessage[] = [
      { type: 'proposal', entries: [{ zxid: makeZxid(4, 11), payload: new Uint8Array([11]) }] },
      { type: 'newLeader', epoch: 5, zxid: makeZxid(4, 11) },
      { type: 'commit', zxid: makeZxid(4, 10) },
    ];
    const deliveredBefore = learner.recorder.messages.length;
    // As the driver does it: the step's messages first, the snapshot after them.
    leader.transport.send(2, { type: 'syncStart', mode: 'snap', zxid });
    for (const message of later) leader.transport.send(2, message);
    leader.transport.sendSnapshot(2, zxid, chunks);
    leader.transport.send(2, { type: 'upToDate', zxid: makeZxid(4, 11) });

    await learner.recorder.waitFor(() => learner.recorder.snapshots.length === 1, 'the snapshot');
    const snapshot = learner.recorder.snapshots[0]!;
    expect(snapshot.from).toBe(1);
    expect(snapshot.zxid).toBe(zxid);
    expect(snapshot.chunks.map((chunk) => Buffer.from(chunk))).toEqual(chunks.map((chunk) => Buffer.from(chunk)));
    expect(snapshot.deliveredBefore).toBe(deliveredBefore);
    // Whatever followed is held while the install runs.
    await leader.recorder.waitFor(() => leader.transport.queuedBytes(2) === 0, 'the leader to hand everything to the socket');
    await settle();
    expect(learner.recorder.messages.length).toBe(deliveredBefore);

    finishInstall();
    await learner.recorder.waitFor(() => learner.recorder.messages.length === deliveredBefore + 5, 'the held messages');
    expect(learner.recorder.messages.slice(deliveredBefore).map((entry) => entry.message)).toEqual([
      { type: 'syncStart', mode: 'snap', zxid },
      ...later,
      { type: 'upToDate', zxid: makeZxid(4, 11) },
    ]);
    // The connection reads on.
    await fence(learner, leader);
    expect(learner.recorder.disconnects).toEqual([]);
    expect(leader.recorder.disconnects).toEqual([]);
  });

  it('fails the connection when a snapshot install fails', async () => {
    const [leader, learner] = await cluster();
    await connectLearner(learner, leader);
    learner.recorder.snapshotHandler = () => Promise.reject(new Error('disk full'));
    leader.transport.send(2, { type: 'syncStart', mode: 'snap', zxid: 7 });
    leader.transport.send(2, { type: 'newLeader', epoch: 1, zxid: 7 });
    leader.transport.sendSnapshot(2, 7, [new Uint8Array([1])]);
    await learner.recorder.waitFor(() => learner.recorder.disconnects.length === 1, 'the learner to drop the connection');
    await leader.recorder.waitFor(() => leader.recorder.disconnects.length === 1, 'the leader to hear of it');
    expect(learner.recorder.messagesOfType('syncStart')).toEqual([]);
    expect(learner.recorder.messagesOfType('newLeader')).toEqual([]);
  });

  it('closes only the connection that sends garbage or a huge length prefix', async () => {
    const [leader, learner] = await cluster();
    await connectLearner(learner, leader);

    // A well-introduced peer sending a frame that does not decode.
    const garbage = await rawConnect(leader.transport.quorumPort);
    garbage.send({ type: 'hello', serverId: 3, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION });
    garbage.socket.write(Buffer.from([0, 0, 0, 3, 9, 9, 9]));
    await within(garbage.closed, 'the garbage connection to close');
    // It was the current connection with 3, so its failure is reported.
    await leader.recorder.waitFor(() => leader.recorder.disconnects.length === 1, 'the report of 3');
    expect(leader.recorder.disconnects).toEqual([3]);

    // Huge length prefixes, before and after hello, on both ports.
    const hugeQuorum = await rawConnect(leader.transport.quorumPort);
    hugeQuorum.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const hugeElection = await rawConnect(leader.transport.electionPort);
    hugeElection.send({ type: 'hello', serverId: 3, purpose: 'election', protocolVersion: PEER_PROTOCOL_VERSION });
    hugeElection.socket.write(Buffer.from([0x7f, 0x00, 0x00, 0x00]));
    // A message before hello, a hello for the wrong port, and a hello from nobody known.
    const noHello = await rawConnect(leader.transport.quorumPort);
    noHello.send({ type: 'ping', round: 0 });
    const wrongPort = await rawConnect(leader.transport.electionPort);
    wrongPort.send({ type: 'hello', serverId: 3, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION });
    const stranger = await rawConnect(leader.transport.quorumPort);
    stranger.send({ type: 'hello', serverId: 99, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION });
    const oldProtocol = await rawConnect(leader.transport.quorumPort);
    oldProtocol.send({ type: 'hello', serverId: 3, purpose: 'quorum', protocolVersion: PEER_PROTOCOL_VERSION + 1 });
    await within(Promise.all([hugeQuorum, hugeElection, noHello, wrongPort, stranger, oldProtocol].map((peer) => peer.closed)), 'the bad connections to close');

    // The learner's connection and the election channel are untouched.
    await fence(learner, leader);
    learner.transport.sendNotification(1, notification(2, 1));
    await leader.recorder.waitFor(() => leader.recorder.count('notification') === 1, 'a notification after the garbage');
    expect(leader.transport.quorumPeers()).toEqual([2]);
    expect(leader.recorder.disconnects).toEqual([3]);
    expect(learner.recorder.disconnects).toEqual([]);
  });

  it('closes a connection that does not say hello in time', async () => {
    const [leader] = await cluster({ helloTimeoutMs: 50 });
    const silent = await rawConnect(leader.transport.quorumPort);
    await within(silent.closed, 'the silent connection to close');
    expect(leader.recorder.disconnects).toEqual([]);
  });

  it('fails a quorum connection whose outbound queue overflows', async () => {
    const [leader, learner] = await cluster({ maxQueuedBytes: 64 * 1024 });
    await connectLearner(learner, leader);
    const payload = new Uint8Array(16 * 1024);
    // Queued within one turn, before anything can be written: the bound is hit.
    for (let index = 0; index < 10; index++) leader.transport.send(2, { type: 'proposal', entries: [{ zxid: index + 1, payload }] });
    await leader.recorder.waitFor(() => leader.recorder.disconnects.length === 1, 'the overflow report');
    expect(leader.recorder.disconnects).toEqual([2]);
    await learner.recorder.waitFor(() => learner.recorder.disconnects.length === 1, 'the learner to hear of it');
  });
});
