// A whole ensemble in one process on simulated time: real servers (CairnNode, the ZAB driver and
// storage, as `cairn server` runs them) over a simulated disk and network, session clients,
// faults, the recorded history and the invariants checked after every event.
// `runSimulation(seed)` is the one entry point; the same seed and options always give the same run.

import { setImmediate as afterMicrotasks } from 'node:timers/promises';
import { setMutantForTesting, type MutantName } from '../../src/core/mutants.js';
import type { ReplicatedState } from '../../src/core/state.js';
import { EventType, zxidEpoch, type TxnRecord, type Zxid } from '../../src/core/types.js';
import type { PeerMessage, ServerId } from '../../src/zab/types.js';
import { checkLinearizable, pathsOf, type Operation } from './checker.js';
import { SimClient, type PersistentWatch } from './client.js';
import { SimNetwork, type NetworkFaults } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimServer } from './server.js';

export interface SimulationOptions {
  voters: number;
  observers: number;
  clients: number;
  /** Client operations to run before healing and checking. */
  operations: number;
  keys: number;
  tickMs: number;
  /** The session timeout (in ticks) clients ask for; odd clients ask for three times as much. */
  sessionTicks: number;
  /** Faults on (crashes, partitions, pauses, resets, skew); off gives a calm baseline. */
  faults: boolean;
  historyLimit: number;
  /** Txns between snapshots. */
  snapCount: number;
  /** Upper bound on simulated time, so every run ends. */
  maxSimulatedMs: number;
  /** Switch on one deliberate bug in the real code (src/core/mutants.ts). */
  mutant?: MutantName;
  /** Return the trace of a run that passed too (a failure always returns it). */
  keepTrace?: boolean;
  /** A shortened zxid counter (the last a leader may use in an epoch), to exercise its roll-over. */
  zxidCounterLimit?: number;
}

export const DEFAULT_OPTIONS: SimulationOptions = {
  voters: 3,
  observers: 1,
  clients: 4,
  operations: 200,
  keys: 3,
  tickMs: 100,
  sessionTicks: 10,
  faults: true,
  historyLimit: 40,
  snapCount: 50,
  maxSimulatedMs: 600_000,
};

export interface SimulationResult {
  seed: number;
  ok: boolean;
  failure?: string;
  operations: number;
  acknowledgedWrites: number;
  simulatedMs: number;
  events: number;
  /** Watch events the clients received (each checked). */
  watchEvents: number;
  /** Persistent watches set, and how many of them were still open at the end. */
  persistentWatches: number;
  persistentWatchesLive: number;
  /** Sessions the ensemble expired. */
  sessionsExpired: number;
  /** Epochs whose txns were applied. */
  epochs: number;
  /** fsyncs that failed (each must stop its server). */
  failedSyncs: number;
  trace: string[];
}

class InvariantViolation extends Error {}

/** The servers' initLimit, in ticks. */
const INIT_LIMIT_TICKS = 10;
/** How much of initLimit a voter may lead without serving, once healed, while another serves. */
const STUCK_LEADER_INIT_LIMIT_SHARE = 0.5;
/** Client operations in the trace as they complete (SIM_TRACE_OPERATIONS=1). */
const TRACE_OPERATIONS = process.env.SIM_TRACE_OPERATIONS === '1';
/** How much of the trace a failure shows (SIM_TRACE_LINES; SIM_TRACE_MESSAGES=1 adds every quorum message). */
const TRACE_LINES = Number(process.env.SIM_TRACE_LINES ?? 400);

/** Chance that one fsync fails with EIO while faults are on (a server must then stop). */
const SYNC_FAILURE_PROBABILITY = 0.002;

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

/** Runs one seed. Simulations share the process's mutant switch, so they run one at a time. */
export async function runSimulation(seed: number, overrides: Partial<SimulationOptions> = {}): Promise<SimulationResult> {
  const options = { ...DEFAULT_OPTIONS, ...overrides };
  setMutantForTesting(options.mutant ?? null);
  const simulation = new Simulation(seed, options);
  try {
    await simulation.run();
    return simulation.result(true);
  } catch (error) {
    const message = error instanceof Error ? `${error.message}\n${error instanceof InvariantViolation ? '' : (error.stack ?? '')}` : String(error);
    return simulation.result(false, message);
  } finally {
    setMutantForTesting(null);
  }
}

class Simulation {
  private readonly scheduler = new Scheduler();
  private readonly prng: Prng;
  private readonly faultPrng: Prng;
  /** Forked after every other stream, so adding this fault left the others' draws as they were. */
  private readonly staleLeaderPrng: Prng;
  /**
   * A TRUNC is rare (a follower with txns a new leader does not have), and the moment after its
   * acknowledgement is where a cut not yet durable would show: whether the next one is followed
   * by a crash is drawn apart from the other faults.
   */
  private readonly truncCrashPrng: Prng;
  private truncCrashArmed: boolean;
  /** Whether healing restarts the whole ensemble, and when each server comes back. */
  private readonly restartPrng: Prng;
  /**
   * A learner installing its leader's snapshot (SNAP) is rare too, and the connection breaking
   * before the install is done (its syncStart never delivered) is where a driver that learns of
   * the install only from the syncStart would show: whether it breaks is drawn apart.
   */
  private readonly installResetPrng: Prng;
  /** Since when (simulated ms) each server has led without serving while another led and served. */
  private readonly ledUnservedSince = new Map<SimServer, number>();
  /** The leader of a stale-leader episode under way. */
  private staleLeader: SimServer | null = null;
  private readonly network: SimNetwork;
  private readonly servers = new Map<ServerId, SimServer>();
  private readonly clients: SimClient[] = [];
  private readonly operations: Operation[] = [];
  private readonly trace: string[] = [];
  /** zxid → what applying it gave, and its predecessor, as first applied anywhere: every server must agree. */
  private readonly committed = new Map<Zxid, { fingerprint: string; previous: Zxid }>();
  private readonly leaderOfEpoch = new Map<number, ServerId>();
  private readonly acknowledged: { zxid: Zxid; operation: Operation }[] = [];
  /**
   * The data of every create and setData any leader proposed: a write whose value is not here
   * never happened. (Not only those applied through a commit: a restarted server replays its
   * logged tail, which a new leader may then commit without applying it there again.)
   */
  private readonly proposedValues = new Set<string>();
  /** When a leader first proposed closing each session: when it decided the session had expired. */
  private readonly closeProposedMs = new Map<number, number>();
  private nextOperationId = 0;
  private events = 0;
  private calm = false;
  /** When the last fault was injected (the session check looks at quiet stretches only). */
  private lastFaultMs = 0;
  private readonly sessionTimeoutMs: number;
  /** Sessions some server has closed, so each is checked once. */
  private readonly closedSessions = new Set<number>();
  /** Acknowledged ephemeral creates, and acknowledged sequential creates. */
  private readonly ephemerals: { sessionId: number; path: string }[] = [];
  private readonly sequentials: { path: string; invokeMs: number; returnMs: number }[] = [];
  private readonly persistentWatches: PersistentWatch[] = [];
  /** The watch events each committed txn makes for the keys, from the txn itself, by zxid. */
  private readonly keyEvents = new Map<Zxid, { path: string; type: number }[]>();
  /** Epochs of the txns applied anywhere. */
  private readonly epochsSeen = new Set<number>();
  /** The first thing a server did that a real process would not survive. */
  private death: string | null = null;

  constructor(
    private readonly seed: number,
    private readonly options: SimulationOptions,
  ) {
    this.prng = new Prng(seed);
    this.sessionTimeoutMs = options.sessionTicks * options.tickMs;
    this.faultPrng = this.prng.fork();
    const clientPrng = this.prng.fork();
    const networkPrng = this.prng.fork();
    this.network = new SimNetwork(
      this.scheduler,
      networkPrng,
      {
        isUp: (id) => this.servers.get(id)!.up,
        availableAt: (id) => this.servers.get(id)!.pausedUntilMs,
        deliver: (delivery) => this.servers.get(delivery.to)!.deliver(delivery),
        connectionLost: (id, peer) => this.servers.get(id)!.connectionLost(peer),
        faulted: (what) => {
          this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
          this.log(what);
        },
      },
      this.networkFaults(),
    );
    const voters = range(1, options.voters);
    const observers = range(options.voters + 1, options.voters + options.observers);
    for (const id of [...voters, ...observers]) {
      // Clock skew: each server's clock (and so its timers) runs a little fast or slow.
      const clockRate = options.faults ? 1 + (this.prng.next() - 0.5) * 0.1 : 1;
      const server = new SimServer({
        id,
        membership: { voters, observers },
        scheduler: this.scheduler,
        network: this.network,
        prng: this.prng.fork(),
        tickTimeMs: options.tickMs,
        initLimit: INIT_LIMIT_TICKS,
        syncLimit: 5,
        historyLimit: options.historyLimit,
        snapCount: options.snapCount,
        clockRate,
        syncLatencyMaxMs: 3,
        syncFailureProbability: () => (this.options.faults && !this.calm ? SYNC_FAILURE_PROBABILITY : 0),
        ...(options.zxidCounterLimit === undefined ? {} : { zxidCounterLimit: options.zxidCounterLimit }),
        hooks: {
          proposed: (_proposer, record) => this.onProposed(record),
          applied: (applier, record, previous, state) => this.onApplied(applier, record, previous, state),
          died: (victim, why, error) => this.onDied(victim, why, error),
          violated: (_server, message) => (this.death ??= message),
          replaced: (victim, previous, zxid, truncatedTo) => this.onReplaced(victim, previous, zxid, truncatedTo),
          sent: (sender, message) => this.onMoment(sender, message.type),
          snapshotPublished: (publisher) => this.onMoment(publisher, 'snapshot'),
          moment: (server, moment, peer) => this.onMoment(server, moment, peer),
          stopped: (victim) => {
            this.pendingApplications.delete(victim);
            // The process exits: its kernel ends its connections, as when it is killed.
            this.network.crashed(victim.id, [...this.servers.keys()]);
            this.log(`server ${victim.id} stopped itself`);
            this.scheduler.after(this.faultPrng.int(100, 3000), () => {
              if (!victim.up && !this.calm) victim.start();
            });
          },
          log: (_server, line) => this.log(`[${_server.id}] ${line}`),
        },
      });
      this.servers.set(id, server);
    }
    const host = {
      scheduler: this.scheduler,
      servers: () => [...this.servers.values()],
      nextOperation: () => (this.nextOperationId < this.options.operations ? this.nextOperationId++ : null),
      record: (operation: Operation, zxid: Zxid | null) => this.record(operation, zxid),
      recordEphemeral: (sessionId: number, path: string) => this.ephemerals.push({ sessionId, path }),
      recordSequential: (path: string, invokeMs: number, returnMs: number) => this.sequentials.push({ path, invokeMs, returnMs }),
      recordPersistentWatch: (watch: PersistentWatch) => this.persistentWatches.push(watch),
      log: (line: string) => this.log(line),
      violation: (message: string) => (this.death ??= message),
      keys: options.keys,
      sessionTimeoutMs: this.sessionTimeoutMs,
    };
    for (let client = 0; client < options.clients; client++) this.clients.push(new SimClient(client, host, clientPrng.fork()));
    this.staleLeaderPrng = this.prng.fork();
    this.truncCrashPrng = this.prng.fork();
    this.truncCrashArmed = this.truncCrashPrng.chance(0.5);
    this.restartPrng = this.prng.fork();
    this.installResetPrng = this.prng.fork();
  }

  private networkFaults(): NetworkFaults {
    if (!this.options.faults || this.calm) return { delayMinMs: 1, delayMaxMs: 4, dropProbability: 0, duplicateProbability: 0, resetProbability: 0 };
    return { delayMinMs: 1, delayMaxMs: 30, dropProbability: 0.05, duplicateProbability: 0.05, resetProbability: 0.002 };
  }

  private log(line: string): void {
    this.trace.push(`${String(this.scheduler.now).padStart(7)} ${line}`);
    if (this.trace.length > TRACE_LINES) this.trace.shift();
  }

  // ------------------------------------------------------------------------------------------
  // Driving

  async run(): Promise<void> {
    for (const server of this.servers.values()) server.start();
    for (const client of this.clients) client.start();
    if (this.options.faults) {
      this.scheduleFault();
      this.scheduleStaleLeader();
    }
    const deadline = this.options.maxSimulatedMs;
    while (this.nextOperationId < this.options.operations || this.clients.some((client) => client.busy)) {
      await this.step();
      check(this.scheduler.now < deadline, `no progress: ${this.nextOperationId} of ${this.options.operations} operations started by ${deadline} ms`);
    }
    this.heal();
    await this.awaitQuiescence();
    // What the servers sent before they settled reaches the clients (watch events among it);
    // meanwhile the servers may commit more (expiries), so they settle again.
    const settled = { ms: this.scheduler.now, zxid: Math.max(...[...this.servers.values()].map((server) => server.node!.lastZxid())) };
    while (this.scheduler.now < settled.ms + 500) await this.step();
    await this.awaitQuiescence();
    this.checkFinal(settled.zxid);
  }

  private async step(): Promise<void> {
    check(this.scheduler.step(), 'the simulation ran out of events');
    // Everything the event set off within the servers (promise continuations) runs before the
    // next event, as in a real process, where microtasks run before the next macrotask.
    await afterMicrotasks();
    this.events++;
    if (this.death !== null) throw new InvariantViolation(this.death);
    this.promoteApplications();
    this.checkLeaders();
  }

  // ------------------------------------------------------------------------------------------
  // Faults

  private scheduleFault(): void {
    this.scheduler.after(this.faultPrng.int(200, 1500), () => {
      if (this.calm) return;
      if (this.staleLeader === null) this.injectFault();
      this.scheduleFault();
    });
  }

  private scheduleStaleLeader(first = true): void {
    this.scheduler.after(first ? this.staleLeaderPrng.int(500, 2500) : this.staleLeaderPrng.int(1000, 4000), () => {
      if (this.calm) return;
      this.injectStaleLeader();
      this.scheduleStaleLeader(false);
    });
  }

  /**
   * A leader frozen (a long GC pause, a stopped VM) while cut off from its peers without a word
   * (no connection seems to break), until the others have elected a new leader that committed a
   * write. It runs again still cut off, leading in its own eyes until its ticks show that no
   * quorum answers, and clients come to it. What it answers then must not be stale. Other faults
   * wait meanwhile, so that the episode plays out.
   */
  private injectStaleLeader(): void {
    const prng = this.staleLeaderPrng;
    const now = this.scheduler.now;
    const leader = [...this.servers.values()].find((server) => server.serving && server.node!.role === 'leader' && server.pausedUntilMs <= now);
    if (leader === undefined || this.staleLeader !== null) return;
    this.staleLeader = leader;
    this.lastFaultMs = Math.max(this.lastFaultMs, now);
    const epoch = leader.node!.epoch;
    // The others, connected among themselves, can elect a new leader.
    this.network.healAll();
    this.network.isolate(leader.id, [...this.servers.keys()]);
    // Paused until the episode lets it run (below), at most 40 ticks unless healing comes first.
    const latestResumeMs = now + 40 * this.options.tickMs;
    leader.pausedUntilMs = Number.MAX_SAFE_INTEGER;
    this.log(`stale leader: ${leader.id} (epoch ${epoch}) cut off and paused`);
    // Its clients try other servers, as clients whose requests time out do.
    const others = [...this.servers.values()].filter((server) => server !== leader);
    for (const client of this.clients) if (client.server === leader) client.moveTo(prng.pick(others));
    // A write of a newer epoch acknowledged to a client: what a stale answer would miss.
    const succeeded = () => this.acknowledged.some(({ zxid }) => zxidEpoch(zxid) > epoch);
    const watch = () => {
      if (this.staleLeader !== leader) return;
      if (!succeeded() && this.scheduler.now < latestResumeMs) {
        this.scheduler.after(this.options.tickMs / 2, watch);
        return;
      }
      this.scheduler.after(prng.int(2, 8) * this.options.tickMs, () => {
        if (this.staleLeader !== leader) return;
        this.log(`stale leader: ${leader.id} runs again, still cut off`);
        // Until it finds out, it takes pings of sessions that the real leader may expire.
        this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
        leader.resume();
        // Clients whose sessions outlive the pause are the ones it can still serve.
        for (const client of this.clients) if (client.sessionTimeoutMs > this.sessionTimeoutMs || prng.chance(0.5)) client.moveTo(leader, true);
        this.scheduler.after(prng.int(3, 10) * this.options.tickMs, () => {
          if (this.staleLeader !== leader) return;
          this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
          this.network.rejoin(leader.id);
          this.staleLeader = null;
        });
      });
    };
    watch();
  }

  private injectFault(): void {
    this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
    const prng = this.faultPrng;
    const ids = [...this.servers.keys()];
    const choice = prng.int(0, 11);
    const target = prng.pick(ids);
    const server = this.servers.get(target)!;
    if (choice <= 2) {
      this.crashAndRestart(server, 'crash');
    } else if (choice >= 10) {
      // A crash at the worst moment: right after the server sends this (a leader's proposal,
      // before its fsync completes; a follower's ack; a leader's sync of a learner), or right after
      // one of its snapshots is published (its log may not hold all that the snapshot does yet).
      // (Crashes right after a TRUNC's acknowledgement are drawn apart: see truncCrashArmed.)
      const moment = prng.pick(['proposal', 'ack', 'syncStart', 'newLeader', 'snapshot'] as const);
      this.log(`crash ${target} right after its next ${moment}`);
      this.armedCrash = { server, moment };
    } else if (choice <= 4) {
      // A partition: one side against the rest, symmetric or one-way.
      const side = new Set(ids.filter(() => prng.chance(0.4)));
      const oneWay = prng.chance(0.3);
      this.log(`partition {${[...side].join(',')}}${oneWay ? ' one-way' : ''}`);
      for (const a of side)
        for (const b of ids)
          if (!side.has(b)) {
            this.network.cutLink(a, b, prng.chance(0.5));
            if (!oneWay) this.network.cutLink(b, a, prng.chance(0.5));
          }
      this.scheduler.after(prng.int(300, 4000), () => {
        this.log('heal partitions');
        // A fault lasts until it ends: the session check counts from here.
        this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
        this.network.healAll();
      });
    } else if (choice <= 6) {
      if (!server.up) return;
      const pauseMs = prng.int(100, 2000);
      this.log(`pause ${target} for ${pauseMs} ms`);
      // A pause of a paused server extends it (never cuts it short).
      server.pausedUntilMs = Math.max(server.pausedUntilMs, this.scheduler.now + pauseMs);
      // It lasts until the server runs again (and then serves for a while on what it last knew).
      this.lastFaultMs = Math.max(this.lastFaultMs, server.pausedUntilMs);
    } else if (ids.length > 1) {
      const other = prng.pick(ids.filter((id) => id !== target));
      this.log(`reset connection ${target}-${other}`);
      this.network.reset(target, other, prng.chance(0.5));
    }
  }

  /** A targeted crash waiting for its moment (see injectFault). */
  private armedCrash: { server: SimServer; moment: Moment } | null = null;

  /**
   * `moment`: a quorum message the server sent, 'snapshot' when one of its snapshots was
   * published, 'truncAck' when it acknowledged a sync that began with a TRUNC, 'snapshotInstall'
   * when it starts installing `peer`'s snapshot.
   */
  private onMoment(server: SimServer, moment: Moment, peer?: ServerId): void {
    if (moment === 'snapshotInstall') {
      if (peer === undefined || !this.options.faults || this.calm || !this.installResetPrng.chance(0.5)) return;
      const afterMs = this.installResetPrng.int(0, 3);
      this.scheduler.after(afterMs, () => {
        if (this.calm) return;
        this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
        this.log(`reset connection ${server.id}-${peer} while ${server.id} installs ${peer}'s snapshot`);
        this.network.reset(server.id, peer, this.installResetPrng.chance(0.5));
      });
      return;
    }
    if (moment === 'truncAck' && this.truncCrashArmed && this.options.faults && !this.calm) {
      this.truncCrashArmed = this.truncCrashPrng.chance(0.5);
      this.scheduler.after(0, () => this.crashAndRestart(server, 'crash right after acknowledging a TRUNC:'));
      return;
    }
    const armed = this.armedCrash;
    if (armed === null || armed.server !== server || armed.moment !== moment || this.calm) return;
    this.armedCrash = null;
    // After the event that sent it, before anything else happens (its fsync takes at least 0 ms).
    this.scheduler.after(0, () => this.crashAndRestart(server, `crash right after ${moment}:`));
  }

  private crashAndRestart(server: SimServer, why: string): void {
    const down = [...this.servers.values()].filter((candidate) => !candidate.up).length;
    if (!server.up || down >= Math.floor(this.options.voters / 2) + 1) return;
    this.log(`${why} ${server.id}`);
    this.crash(server);
    this.scheduler.after(this.faultPrng.int(100, 3000), () => {
      if (server.up) return; // healing restarted it already
      this.log(`restart ${server.id}`);
      this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
      server.start();
    });
  }

  private crash(server: SimServer): void {
    this.pendingApplications.delete(server);
    server.crash(this.faultPrng);
    this.network.crashed(server.id, [...this.servers.keys()]);
  }

  private heal(): void {
    this.calm = true;
    this.lastFaultMs = Math.max(this.lastFaultMs, this.scheduler.now);
    this.log('heal everything');
    this.network.healAll();
    for (const id of this.servers.keys()) this.network.rejoin(id);
    this.network.faults = this.networkFaults();
    this.staleLeader = null;
    if (this.options.faults && this.restartPrng.chance(0.3)) {
      // An ensemble restart (`cairn ensemble` on its directories, a rolling deploy gone wrong):
      // every server stops at once and starts again a little apart, as processes do.
      this.log('heal: restart the whole ensemble');
      for (const server of this.servers.values()) if (server.up) this.crash(server);
      for (const server of this.servers.values()) this.scheduler.after(this.restartPrng.int(0, 300), () => server.up || server.start());
      return;
    }
    for (const server of this.servers.values()) {
      if (server.up) server.resume();
      else server.start();
    }
  }

  // ------------------------------------------------------------------------------------------
  // History

  private record(operation: Operation, zxid: Zxid | null): void {
    this.operations.push(operation);
    if (TRACE_OPERATIONS) this.log(`client ${operation.client} #${operation.id} ${operation.path} ${JSON.stringify(operation.op)} [${operation.invokeMs}, ${operation.returnMs}] → ${JSON.stringify(operation.result)}`);
    if (zxid !== null) this.acknowledged.push({ zxid, operation });
  }

  // ------------------------------------------------------------------------------------------
  // Invariants

  private onApplied(server: SimServer, record: TxnRecord, previous: Zxid, state: ReplicatedState): void {
    const zxid = record.header.zxid;
    const counterLimit = this.options.zxidCounterLimit ?? 2 ** 32 - 1;
    if (zxid % 2 ** 32 > counterLimit) this.death ??= `server ${server.id} applied ${hex(zxid)}, past the zxid counter limit ${counterLimit}`;
    this.epochsSeen.add(Math.floor(zxid / 2 ** 32));
    const txn = record.txn;
    if (txn.type === 'closeSession') {
      const left = state.tree.ephemeralsOf(record.header.sessionId);
      if (left.size > 0) this.death ??= `server ${server.id} closed session 0x${record.header.sessionId.toString(16)} but kept its ephemerals ${[...left].join(', ')}`;
    }
    const application: Application = { record, previous, fingerprint: `${record.header.sessionId}:${record.header.cxid}:${record.txn.type}:${state.tree.digest()}` };
    if (server.serving) {
      this.commitApplication(server, application);
      return;
    }
    // A server that does not serve may apply what is not committed: a restarted one replays its
    // whole log, a learner applies what a new leader syncs before the epoch is established. That
    // counts once it serves (promoteApplications), and not at all if it is cut back first.
    this.compareApplication(server, application);
    let pending = this.pendingApplications.get(server);
    if (pending === undefined) this.pendingApplications.set(server, (pending = []));
    pending.push(application);
  }

  /** Applications of servers that did not serve then, kept until they do (see onApplied). */
  private readonly pendingApplications = new Map<SimServer, Application[]>();

  private promoteApplications(): void {
    for (const [server, pending] of this.pendingApplications) {
      if (!server.serving) continue;
      this.pendingApplications.delete(server);
      for (const application of pending) this.commitApplication(server, application);
    }
  }

  /** A txn a serving server applied is committed. */
  private commitApplication(server: SimServer, application: Application): void {
    const { record, previous, fingerprint } = application;
    const zxid = record.header.zxid;
    if (record.txn.type === 'closeSession') this.onSessionClosed(record.header.sessionId);
    if (this.committed.has(zxid)) {
      this.compareApplication(server, application);
      return;
    }
    this.committed.set(zxid, { fingerprint, previous });
    const events = keyEventsOf(record);
    if (events.length > 0) this.keyEvents.set(zxid, events);
  }

  private compareApplication(server: SimServer, { record, previous, fingerprint }: Application): void {
    const zxid = record.header.zxid;
    const known = this.committed.get(zxid);
    if (known === undefined) return;
    if (known.fingerprint !== fingerprint) this.death ??= `server ${server.id} applied a different txn at zxid ${hex(zxid)} (${fingerprint} vs ${known.fingerprint})`;
    else if (known.previous !== previous) this.death ??= `server ${server.id} applied ${hex(zxid)} after ${hex(previous)}, others after ${hex(known.previous)}: committed prefixes differ`;
  }

  /**
   * A session is never expired while its heartbeats reach a live quorum: with no fault for two
   * timeouts, a session whose pings a serving server took at least twice in the last timeout
   * must not be closed (only our clients close nothing; every close here is an expiry). Judged
   * when a leader decided it, which is when it proposed the close: an election may delay the
   * commit, and pings the session's server took after the decision cannot undo it (found by
   * seed 9,711,163, whose close was proposed at the end of epoch 4 and committed by epoch 5).
   */
  private onSessionClosed(sessionId: number): void {
    if (this.closedSessions.has(sessionId)) return;
    this.closedSessions.add(sessionId);
    const now = this.closeProposedMs.get(sessionId) ?? this.scheduler.now;
    for (const client of this.clients) {
      if (client.sessionId !== sessionId) continue;
      const timeoutMs = client.sessionTimeoutMs;
      if (now - this.lastFaultMs < 2 * timeoutMs || now < 2 * timeoutMs) continue;
      const recent = client.pingsHeardMs.filter((heardMs) => heardMs <= now && now - heardMs < timeoutMs);
      if (recent.length >= 2) this.death ??= `session 0x${sessionId.toString(16)} of client ${client.id} was expired at ${now} ms although serving servers took its pings at ${recent.join(', ')} ms and nothing failed since ${this.lastFaultMs} ms`;
    }
  }

  /**
   * ZAB never takes a committed txn back. A restarted server's state includes its logged tail,
   * committed or not, which a TRUNC may cut; but no server may lose a txn some server applied
   * (servers apply only what is committed).
   */
  private onReplaced(server: SimServer, previous: Zxid, zxid: Zxid, truncatedTo: Zxid | null): void {
    const pending = this.pendingApplications.get(server);
    if (pending !== undefined) this.pendingApplications.set(server, pending.filter((application) => application.record.header.zxid <= zxid));
    if (zxid >= previous) return;
    // What the leader's TRUNC asked to cut is what ZAB must never ask of a committed txn. A cut that
    // removed a leader's snapshot may leave less than that (the older log stops earlier): the server
    // then syncs again from what it kept, which the checks of durability and of every later read judge.
    const kept = truncatedTo === null ? zxid : Math.max(zxid, truncatedTo);
    for (const committed of this.committed.keys()) {
      if (committed > kept && committed <= previous) {
        this.death ??= `server ${server.id} took back committed txn ${hex(committed)}: its state went from ${hex(previous)} to ${hex(zxid)}${truncatedTo === null ? '' : ` (a TRUNC to ${hex(truncatedTo)})`}`;
        return;
      }
    }
  }

  private onProposed(record: TxnRecord): void {
    const txn = record.txn;
    if (txn.type === 'closeSession' && !this.closeProposedMs.has(record.header.sessionId)) this.closeProposedMs.set(record.header.sessionId, this.scheduler.now);
    for (const part of txn.type === 'multi' ? txn.txns : [txn]) {
      if ((part.type === 'create' || part.type === 'setData') && part.data !== null) this.proposedValues.add(new TextDecoder().decode(part.data));
    }
  }

  private onDied(server: SimServer, why: string, error: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.death ??= `server ${server.id} ${why}: ${detail}`;
  }

  private checkLeaders(): void {
    let serving: SimServer | undefined;
    for (const server of this.servers.values()) {
      const node = server.node;
      if (node === null || !server.up || node.role !== 'leader' || !node.serving) continue;
      serving = server;
      const epoch = node.epoch;
      const leader = this.leaderOfEpoch.get(epoch);
      if (leader === undefined) this.leaderOfEpoch.set(epoch, server.id);
      else check(leader === server.id, `two leaders in epoch ${epoch}: ${leader} and ${server.id}`);
    }
    if (this.calm) this.checkNoStuckLeader(serving);
  }

  /**
   * Once everything is healed, a voter does not go on leading without serving while another
   * leads and serves: it would sit out initLimit before it looked again (found restarting
   * `cairn ensemble`: a voter that decided on votes that had moved on stayed "leader, serving:
   * false" for 20 s). Half of initLimit is more than it takes to learn the others follow elsewhere.
   */
  private checkNoStuckLeader(serving: SimServer | undefined): void {
    const now = this.scheduler.now;
    for (const server of this.servers.values()) {
      const node = server.node;
      const stuck = serving !== undefined && server !== serving && server.up && node !== null && node.role === 'leader' && !node.serving;
      if (!stuck) {
        this.ledUnservedSince.delete(server);
        continue;
      }
      const since = this.ledUnservedSince.get(server) ?? now;
      this.ledUnservedSince.set(server, since);
      const limitMs = (STUCK_LEADER_INIT_LIMIT_SHARE * INIT_LIMIT_TICKS * this.options.tickMs);
      if (now - since > limitMs) this.death ??= `server ${server.id} has led without serving since ${since} ms while ${serving!.id} leads and serves, everything healed: a voter stuck sitting out initLimit`;
    }
  }

  /** Everyone up, one leader, every server serving at the same zxid. */
  private async awaitQuiescence(): Promise<void> {
    const deadline = this.scheduler.now + 120_000;
    for (;;) {
      const servers = [...this.servers.values()];
      const leader = servers.find((server) => server.serving && server.node!.role === 'leader');
      if (leader !== undefined && servers.every((server) => server.serving && server.node!.lastZxid() === leader.node!.lastZxid())) return;
      await this.step();
      check(this.scheduler.now < deadline, `the ensemble did not settle: ${this.describe()}`);
    }
  }

  private describe(): string {
    return [...this.servers.values()]
      .map((server) => (server.node === null ? `${server.id}:${server.up ? 'booting' : 'down'}` : `${server.id}:${server.node.role}${server.serving ? '*' : ''}@${hex(server.node.lastZxid())}`))
      .join(' ');
  }

  /** `settledZxid`: where the ensemble first settled; watch events of changes up to it have all arrived. */
  private checkFinal(settledZxid: Zxid): void {
    const servers = [...this.servers.values()];
    const digests = new Set(servers.map((server) => server.node!.state.tree.digest()));
    check(digests.size === 1, `tree digests differ at quiescence: ${this.describe()}`);
    for (const { zxid, operation } of this.acknowledged) {
      check(this.committed.has(zxid), `acknowledged write ${operation.id} at ${hex(zxid)} was never committed`);
      for (const server of servers) check(server.node!.lastZxid() >= zxid, `server ${server.id} lacks acknowledged ${hex(zxid)}`);
    }
    this.checkEphemerals();
    this.checkSequentials();
    this.checkPersistentWatches(settledZxid);
    const outcome = checkLinearizable(this.operations.filter((operation) => this.mayHaveHappened(operation)));
    if (!outcome.ok) check(false, `history not linearizable for ${outcome.failedPaths!.join(', ')}:\n${this.describeHistory(outcome.failedPaths!)}`);
  }

  /**
   * A persistent watch misses no event: it brought one for every change to its path committed
   * after its addWatch was answered, in order, and nothing else, up to where the ensemble settled
   * on a connection still open at the end, else up to the last event it brought (the changes come from the committed
   * txns themselves, not from the servers' watch code).
   */
  private checkPersistentWatches(settledZxid: Zxid): void {
    const committed = [...this.keyEvents].sort(([a], [b]) => a - b);
    for (const watch of this.persistentWatches) {
      // On a connection still open at the end, up to where the ensemble settled; else up to the last event it brought.
      const last = watch.live() ? Math.max(settledZxid, watch.events.at(-1)?.zxid ?? 0) : watch.events.at(-1)?.zxid;
      if (last === undefined) continue;
      const expected = committed
        .filter(([zxid]) => zxid > watch.fromZxid && zxid <= last)
        .flatMap(([zxid, events]) => events.filter((event) => event.path === watch.path).map((event) => ({ zxid, type: event.type })));
      const got = watch.events.map((event) => `${hex(event.zxid)}:${event.type}`).join(' ');
      const want = expected.map((event) => `${hex(event.zxid)}:${event.type}`).join(' ');
      // A connection that closed may have lost the rest of its last zxid's events (a multi makes several).
      const matches = watch.live() ? got === want : want === got || want.startsWith(`${got} `);
      check(matches, `client ${watch.client}'s persistent watch (mode ${watch.mode}) on ${watch.path} from ${hex(watch.fromZxid)} brought [${got}], but the committed changes were [${want}]`);
    }
  }

  /** An ephemeral exists exactly while its session lives. */
  private checkEphemerals(): void {
    for (const server of this.servers.values()) {
      const state = server.node!.state;
      for (const owner of state.tree.sessionsWithEphemerals()) {
        check(state.sessions.has(owner), `server ${server.id} keeps ephemerals ${[...state.tree.ephemeralsOf(owner)].join(', ')} of session 0x${owner.toString(16)}, which is gone`);
      }
      for (const { sessionId, path } of this.ephemerals) {
        if (state.sessions.has(sessionId)) check(state.tree.get(path) !== undefined, `server ${server.id} lost ephemeral ${path} of live session 0x${sessionId.toString(16)}`);
      }
    }
  }

  /** Sequential names are unique, and one created after another was answered sorts after it. */
  private checkSequentials(): void {
    const seen = new Map<string, number>();
    for (const [index, created] of this.sequentials.entries()) {
      const earlier = seen.get(created.path);
      check(earlier === undefined, `two sequential creates both got ${created.path}`);
      seen.set(created.path, index);
    }
    const byAnswer = [...this.sequentials].sort((a, b) => a.returnMs - b.returnMs);
    for (const later of this.sequentials) {
      for (const earlier of byAnswer) {
        if (earlier.returnMs >= later.invokeMs) break;
        check(earlier.path < later.path, `sequential ${later.path}, asked for at ${later.invokeMs} ms, sorts before ${earlier.path}, answered at ${earlier.returnMs} ms`);
      }
    }
  }

  private describeHistory(paths: string[]): string {
    return this.operations
      .filter((operation) => pathsOf(operation).some((path) => paths.includes(path)) && this.mayHaveHappened(operation))
      .map((operation) => {
        const op = describeOp(operation);
        const result = operation.result === null ? '?' : JSON.stringify(operation.result);
        return `  #${operation.id} client ${operation.client} ${op} [${operation.invokeMs}, ${operation.returnMs ?? '∞'}] → ${result}`;
      })
      .join('\n');
  }

  /**
   * Operations whose outcome the client never learned may or may not have taken effect, and each
   * one multiplies the checker's search. The simulation knows more than a client: a read without
   * an answer changed nothing, and a create or setData whose unique value no leader ever proposed
   * never happened.
   */
  private mayHaveHappened(operation: Operation): boolean {
    if (operation.returnMs !== null) return true;
    const op = operation.op;
    if (op.kind === 'read') return false;
    if (op.kind === 'create' || op.kind === 'set') return this.proposedValues.has(op.value);
    if (op.kind === 'multi') {
      // All of it or none: a multi with a value no leader proposed never happened.
      const values = op.ops.flatMap((sub) => (sub.kind === 'create' || sub.kind === 'set' ? [sub.value] : []));
      return values.every((value) => this.proposedValues.has(value));
    }
    return true;
  }

  result(ok: boolean, failure?: string): SimulationResult {
    const result: SimulationResult = {
      seed: this.seed,
      ok,
      operations: this.operations.length,
      acknowledgedWrites: this.acknowledged.length,
      simulatedMs: this.scheduler.now,
      events: this.events,
      watchEvents: this.clients.reduce((sum, client) => sum + client.eventCount, 0),
      persistentWatches: this.persistentWatches.length,
      persistentWatchesLive: this.persistentWatches.filter((watch) => watch.live()).length,
      sessionsExpired: this.closedSessions.size,
      epochs: this.epochsSeen.size,
      failedSyncs: [...this.servers.values()].reduce((sum, server) => sum + server.disk.stats.failedSyncs, 0),
      trace: !ok || this.options.keepTrace === true ? this.trace : [],
    };
    if (failure !== undefined) result.failure = failure;
    return result;
  }
}

function range(from: number, to: number): number[] {
  const result: number[] = [];
  for (let value = from; value <= to; value++) result.push(value);
  return result;
}

function hex(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}

type Moment = PeerMessage['type'] | 'snapshot' | 'truncAck' | 'snapshotInstall';

interface Application {
  record: TxnRecord;
  previous: Zxid;
  fingerprint: string;
}

function describeOp(operation: Operation): string {
  const op = operation.op;
  switch (op.kind) {
    case 'create':
      return `create(${op.value})`;
    case 'set':
      return op.version === undefined ? `set(${op.value})` : `set(${op.value}, v${op.version})`;
    case 'delete':
      return op.version === undefined ? 'delete' : `delete(v${op.version})`;
    case 'read':
      return 'read';
    case 'multi':
      return `multi[${op.ops.map((sub) => `${sub.kind} ${sub.path}${'value' in sub ? `=${sub.value}` : ''}${'version' in sub ? ` v${sub.version}` : ''}`).join('; ')}]`;
  }
}

/** The events a committed txn makes for the keys (/k*), in order: what a persistent watch on one must bring. */
function keyEventsOf(record: TxnRecord): { path: string; type: number }[] {
  const txn = record.txn;
  const events: { path: string; type: number }[] = [];
  for (const part of txn.type === 'multi' ? txn.txns : [txn]) {
    if (part.type !== 'create' && part.type !== 'setData' && part.type !== 'delete') continue;
    if (!/^\/k\d+$/.test(part.path)) continue;
    events.push({ path: part.path, type: part.type === 'create' ? EventType.NodeCreated : part.type === 'delete' ? EventType.NodeDeleted : EventType.NodeDataChanged });
  }
  return events;
}
