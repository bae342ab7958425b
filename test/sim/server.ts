// One simulated server: the real CairnNode with its real ZAB driver and real storage, built by
// the same assembly as `cairn server`, in a world of simulated time over a simulated disk and
// network. A crash ends the incarnation (its disk loses what was not synced); a restart builds a
// new node from what the disk kept.

import { pino, type Logger } from 'pino';
import type { TxnRecord, Zxid } from '../../src/core/types.js';
import type { ReplicatedState } from '../../src/core/state.js';
import { assembleNode } from '../../src/server/assemble.js';
import { decodeForwarded } from '../../src/server/forwarding.js';
import type { CairnNode, NodeSettings } from '../../src/server/node.js';
import type { Membership, PeerMessage, ServerId } from '../../src/zab/types.js';
import { SimDisk } from './disk.js';
import { SimPeerLink, type LinkObserver } from './link.js';
import type { Delivery, SimNetwork } from './network.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import { newIncarnation, SimWorld, type Incarnation } from './world.js';

export interface SimServerOptions {
  id: ServerId;
  membership: Membership;
  scheduler: Scheduler;
  network: SimNetwork;
  prng: Prng;
  tickTimeMs: number;
  initLimit: number;
  syncLimit: number;
  historyLimit: number;
  snapCount: number;
  clockRate: number;
  syncLatencyMaxMs: number;
  syncFailureProbability(): number;
  zxidCounterLimit?: number;
  hooks: SimServerHooks;
}

export interface SimServerHooks {
  proposed(server: SimServer, record: TxnRecord): void;
  applied(server: SimServer, record: TxnRecord, previousZxid: Zxid, state: ReplicatedState): void;
  /** A server threw or halted in a way a real process would not survive. */
  died(server: SimServer, why: string, error: unknown): void;
  /** A guarantee broken. */
  violated(server: SimServer, message: string): void;
  /** The server stopped itself (halted, or died of an fsync failure). */
  stopped(server: SimServer): void;
  /** The server sent a quorum message. */
  sent(server: SimServer, message: PeerMessage): void;
  /** The server acknowledged a sync that began with a TRUNC. */
  /** 'truncAck': it acknowledged a sync that began with a TRUNC; 'snapshotInstall': it starts installing `peer`'s snapshot. */
  moment(server: SimServer, moment: 'truncAck' | 'snapshotInstall', peer?: ServerId): void;
  /** A snapshot of the server's was renamed into place (where recovery finds it). */
  snapshotPublished(server: SimServer): void;
  /**
   * A snapshot install or a truncation replaced the state at `previousZxid` with one at `zxid`;
   * `truncatedTo` is the point of the leader's TRUNC when a truncation did it.
   */
  replaced(server: SimServer, previousZxid: Zxid, zxid: Zxid, truncatedTo: Zxid | null): void;
  log(server: SimServer, line: string): void;
}

export class SimServer {
  readonly id: ServerId;
  readonly disk = new SimDisk();
  readonly dataDir: string;
  node: CairnNode | null = null;
  link: SimPeerLink | null = null;
  world: SimWorld | null = null;
  incarnation: Incarnation = { ...newIncarnation(), alive: false };
  incarnations = 0;
  /** Set while the node is being built from its disk. */
  booting = false;
  /**
   * The highest zxid this server told a leader is durable (its acks), lowered by a truncation
   * it was told to make: a restart must recover at least this much.
   */
  durableClaim: Zxid = 0;
  /** The highest epoch this server acknowledged accepting (ACKEPOCH), across restarts. */
  acceptedEpochMax = 0;
  /**
   * Once it acknowledged a sync that began with a TRUNC: the highest zxid its log may hold since
   * (the synced history, and what it logged after), so a restart must not recover more — that
   * would be txns the TRUNC cut coming back. Null before any such acknowledgement.
   */
  recoveryCeiling: Zxid | null = null;
  /** A TRUNC came on the current connection and no ack has gone out since. */
  private truncUnacknowledged = false;
  /** The point of the last TRUNC received, until the state it makes the server rebuild replaces the old one. */
  private truncPoint: Zxid | null = null;
  /** The highest zxid it was given to log since that TRUNC (proposals may follow NEWLEADER before its ack). */
  private loggedSinceTrunc: Zxid = 0;

  private raiseCeiling(zxid: Zxid): void {
    this.loggedSinceTrunc = Math.max(this.loggedSinceTrunc, zxid);
    if (this.recoveryCeiling !== null) this.recoveryCeiling = Math.max(this.recoveryCeiling, zxid);
  }

  constructor(private readonly options: SimServerOptions) {
    this.id = options.id;
    this.dataDir = `/server${options.id}`;
    this.disk.mkdirDurably(`${this.dataDir}/cairn`);
  }

  get up(): boolean {
    return this.incarnation.alive;
  }

  get pausedUntilMs(): number {
    return this.incarnation.pausedUntilMs;
  }

  set pausedUntilMs(value: number) {
    this.incarnation.pausedUntilMs = value;
  }

  /** Ends a pause now (not at the time it was meant to end). */
  resume(): void {
    if (this.world === null) this.incarnation.pausedUntilMs = 0;
    else this.world.resume();
  }

  /** Serving clients now: built, started and with a leader. */
  get serving(): boolean {
    return this.up && this.node !== null && this.node.serving;
  }

  start(): void {
    if (this.up) throw new Error(`server ${this.id} is already up`);
    const incarnation = newIncarnation();
    this.incarnation = incarnation;
    this.incarnations++;
    const prng = this.options.prng.fork();
    const world = new SimWorld({
      scheduler: this.options.scheduler,
      prng,
      disk: this.disk,
      incarnation,
      clockRate: this.options.clockRate,
      clockOffsetMs: 1_700_000_000_000 + this.id * 37,
      syncLatencyMaxMs: this.options.syncLatencyMaxMs,
      syncFailureProbability: this.options.syncFailureProbability,
      onHalt: (exitCode) => this.crashFromWithin(`halted with exit code ${exitCode}`),
      // An exception out of a callback ends a real process: an injected EIO is such a stop (the
      // epoch files are written synchronously); anything else is a bug.
      onRenamed: (to) => {
        if (/\/snapshot\.[0-9a-f]+$/.test(to)) this.options.hooks.snapshotPublished(this);
      },
      onUncaught: (error) => (isInjectedEio(error) ? this.crashFromWithin('died of an fsync failure') : this.options.hooks.died(this, 'threw', error)),
    });
    this.world = world;
    this.node = null;
    this.link = null;
    this.booting = true;
    const settings: NodeSettings = {
      serverId: this.id,
      tickTimeMs: this.options.tickTimeMs,
      minSessionTimeoutMs: 2 * this.options.tickTimeMs,
      maxSessionTimeoutMs: 100 * this.options.tickTimeMs,
      maxDataBytes: 1024 * 1024,
      extendedTypesEnabled: true,
      enforceQuota: true,
      superDigest: undefined,
      snapCount: this.options.snapCount,
      containerCheckIntervalMs: 10 * this.options.tickTimeMs,
      sessionOutstandingLimit: 1000,
    };
    const claim = this.durableClaim;
    const ceiling = this.recoveryCeiling;
    this.truncUnacknowledged = false;
    const built = assembleNode({
      world,
      logger: this.logger(),
      dataDir: this.dataDir,
      dataLogDir: this.dataDir,
      snapRetainCount: 3,
      settings,
      ensemble: {
        self: this.id,
        membership: this.options.membership,
        link: (events) => (this.link = new SimPeerLink(this.id, this.options.network, world, events, this.linkObserver())),
        initLimit: this.options.initLimit,
        syncLimit: this.options.syncLimit,
        syncHistoryTxns: this.options.historyLimit,
        ...(this.options.zxidCounterLimit === undefined ? {} : { zxidCounterLimit: this.options.zxidCounterLimit }),
      },
      preallocateBytes: 4096,
      observer: {
        proposed: (record) => {
          this.raiseCeiling(record.header.zxid);
          this.options.hooks.proposed(this, record);
        },
        applied: (record, previousZxid, state) => this.options.hooks.applied(this, record, previousZxid, state),
        replaced: (previousZxid, state) => {
          const truncatedTo = state.lastZxid <= previousZxid ? this.truncPoint : null;
          this.truncPoint = null;
          this.options.hooks.replaced(this, previousZxid, state.lastZxid, truncatedTo);
        },
      },
    });
    built
      .then(async (node) => {
        if (!incarnation.alive) return;
        if (node.lastZxid() < claim) {
          this.options.hooks.violated(this, `server ${this.id} acknowledged 0x${claim.toString(16)} as durable but recovered only up to 0x${node.lastZxid().toString(16)}`);
        }
        if (ceiling !== null && node.lastZxid() > ceiling) {
          this.options.hooks.violated(this, `server ${this.id} recovered up to 0x${node.lastZxid().toString(16)}, past 0x${ceiling.toString(16)}: txns a TRUNC it acknowledged had cut came back`);
        }
        await node.start();
        if (!incarnation.alive) return;
        this.node = node;
        this.booting = false;
      })
      .catch((error: unknown) => {
        if (!incarnation.alive) return;
        // A real server that cannot recover its disk exits; only an injected fsync failure may do that.
        if (isInjectedEio(error)) this.crashFromWithin('could not start: an fsync failed');
        else this.options.hooks.died(this, 'failed to start', error);
      });
  }

  /** kill -9: the process is gone, the disk keeps what it keeps. */
  crash(prng: Prng): void {
    if (!this.up) return;
    this.incarnation.alive = false;
    this.disk.crash(prng);
    this.node = null;
    this.link = null;
    this.world = null;
    this.booting = false;
  }

  private crashFromWithin(why: string): void {
    // Every failed batch of the log halts again; the process is gone after the first.
    if (!this.up) return;
    this.options.hooks.log(this, `server ${this.id} ${why}`);
    this.crash(this.options.prng);
    this.options.hooks.stopped(this);
  }

  private linkObserver(): LinkObserver {
    return {
      sent: (to, message) => {
        if (TRACE_MESSAGES && (message.type !== 'notification' || TRACE_NOTIFICATIONS)) this.options.hooks.log(this, `→${to} ${describeMessage(message)}`);
        if (message.type === 'ack') {
          this.durableClaim = Math.max(this.durableClaim, message.zxid);
          if (this.truncUnacknowledged) {
            this.truncUnacknowledged = false;
            this.recoveryCeiling = Math.max(message.zxid, this.loggedSinceTrunc);
            this.options.hooks.moment(this, 'truncAck');
          }
        }
        // ZAB keeps acceptedEpoch durable: a server never offers an epoch older than one it accepted.
        if (message.type === 'ackEpoch') this.acceptedEpochMax = Math.max(this.acceptedEpochMax, message.epoch);
        if (message.type === 'followerInfo' && message.acceptedEpoch < this.acceptedEpochMax) {
          this.options.hooks.violated(this, `server ${this.id} forgot that it accepted epoch ${this.acceptedEpochMax}: it offers ${message.acceptedEpoch}`);
        }
        // Only the leader expires sessions, and simulated clients never close theirs: a learner
        // asking to close one expired it on its own.
        if (message.type === 'forward' && decodeForwarded(message.payload).kind === 'closeSession') {
          this.options.hooks.violated(this, `server ${this.id}, a learner, asked the leader to close a session no client closed`);
        }
        if (message.type !== 'notification') this.options.hooks.sent(this, message);
      },
      installing: (from) => this.options.hooks.moment(this, 'snapshotInstall', from),
      received: (from, message) => {
        if (TRACE_MESSAGES && (message.type !== 'notification' || TRACE_NOTIFICATIONS)) this.options.hooks.log(this, `←${from} ${describeMessage(message)}`);
        if (message.type === 'proposal' || message.type === 'inform') this.raiseCeiling(message.entries.at(-1)?.zxid ?? 0);
        if (message.type !== 'syncStart') return;
        // Only the latest sync's TRUNC can explain a replacement that follows it.
        this.truncPoint = message.mode === 'trunc' ? message.zxid : null;
        if (message.mode === 'trunc') {
          this.durableClaim = Math.min(this.durableClaim, message.zxid);
          this.truncUnacknowledged = true;
          this.loggedSinceTrunc = message.zxid;
        }
        if (message.mode === 'snap') {
          // The snapshot replaces what it held; it claims the snapshot only by acknowledging the
          // NEWLEADER that follows (a connection that breaks first claims nothing of it).
          this.durableClaim = Math.min(this.durableClaim, message.zxid);
          this.raiseCeiling(message.zxid);
        }
      },
    };
  }

  /** Delivery from the network to this incarnation's link. */
  deliver(delivery: Delivery): void {
    // A snapshot it installs may be on disk before ZAB hears of it (the install comes first).
    if (this.link !== null && delivery.message.type === 'syncStart' && delivery.message.mode === 'snap') this.raiseCeiling(delivery.message.zxid);
    this.link?.deliver(delivery);
  }

  connectionLost(peer: ServerId): void {
    this.link?.connectionLost(peer);
  }

  /** Runs `run` inside this server (after a pause; not at all once it crashed). */
  enter(run: (node: CairnNode) => void): void {
    const world = this.world;
    const node = this.node;
    if (world === null || node === null) return;
    world.enter(() => {
      if (this.node === node) run(node);
    });
  }

  private logger(): Logger {
    // The server's own log lines go into the simulation's trace, synchronously.
    const stream = { write: (line: string) => this.options.hooks.log(this, summarize(line)) };
    return pino({ level: process.env.SIM_LOG_LEVEL ?? 'info', base: null, timestamp: false }, stream);
  }
}

const TRACE_MESSAGES = process.env.SIM_TRACE_MESSAGES === '1';
/** Election notifications too (SIM_TRACE_NOTIFICATIONS=1): many, since a looking server repeats its vote every tick. */
const TRACE_NOTIFICATIONS = process.env.SIM_TRACE_NOTIFICATIONS === '1';

function isInjectedEio(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'EIO';
}

function describeMessage(message: PeerMessage): string {
  switch (message.type) {
    case 'proposal':
    case 'inform':
      return `${message.type}[${message.entries.map((entry) => entry.zxid.toString(16)).join(',')}]`;
    case 'forward':
    case 'reply':
      return message.type;
    default:
      return JSON.stringify(message, (key, value) => (typeof value === 'number' && key.toLowerCase().includes('zxid') ? `0x${value.toString(16)}` : value));
  }
}

function summarize(line: string): string {
  try {
    const { msg, level: _level, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.entries(rest)
      .filter(([key]) => key !== 'component' && key !== 'self')
      .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
      .join(' ');
    return `${String(msg)}${extra ? ` (${extra})` : ''}`;
  } catch {
    return line.trim();
  }
}
