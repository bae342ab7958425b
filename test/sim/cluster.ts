// A whole ensemble in one process on simulated time: servers, clients, faults, the recorded
// history and the invariants checked after every event. `runSimulation(seed)` is the one entry
// point; the same seed and options always give the same run.

import { assert } from '../../src/core/errors.js';
import { CreateMode, type Zxid } from '../../src/core/types.js';
import type { PeerOptions } from '../../src/zab/peer.js';
import type { Entry, ServerId } from '../../src/zab/types.js';
import { checkLinearizable, type NodeOp, type NodeResult, type Operation } from './checker.js';
import { SimNetwork, type NetworkFaults } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimNode, type ClientAnswer } from './simnode.js';

export interface SimulationOptions {
  voters: number;
  observers: number;
  clients: number;
  /** Client operations to run before healing and checking. */
  operations: number;
  keys: number;
  tickMs: number;
  /** Faults on (crashes, partitions, pauses, resets, skew); off gives a calm baseline. */
  faults: boolean;
  historyLimit: number;
  /** Upper bound on simulated time, so every run ends. */
  maxSimulatedMs: number;
  /** Run a deliberately broken protocol (see PeerOptions.brokenForTesting). */
  broken?: PeerOptions['brokenForTesting'];
}

export const DEFAULT_OPTIONS: SimulationOptions = {
  voters: 3,
  observers: 1,
  clients: 4,
  operations: 200,
  keys: 3,
  tickMs: 100,
  faults: true,
  historyLimit: 40,
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
  trace: string[];
}

class InvariantViolation extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

export function runSimulation(seed: number, overrides: Partial<SimulationOptions> = {}): SimulationResult {
  const options = { ...DEFAULT_OPTIONS, ...overrides };
  const simulation = new Simulation(seed, options);
  try {
    simulation.run();
    return simulation.result(true);
  } catch (error) {
    const message = error instanceof Error ? `${error.message}\n${error instanceof InvariantViolation ? '' : (error.stack ?? '')}` : String(error);
    return simulation.result(false, message);
  }
}

class Simulation {
  private readonly scheduler = new Scheduler();
  private readonly prng: Prng;
  private readonly faultPrng: Prng;
  private readonly clientPrng: Prng;
  private readonly network: SimNetwork;
  private readonly nodes = new Map<ServerId, SimNode>();
  private readonly operations: Operation[] = [];
  private readonly trace: string[] = [];
  /** zxid → payload and predecessor, as first applied anywhere: every server must agree. */
  private readonly committed = new Map<Zxid, { payload: string; previous: Zxid }>();
  private readonly leaderOfEpoch = new Map<number, ServerId>();
  private readonly acknowledged: { zxid: Zxid; operation: Operation }[] = [];
  private nextOperationId = 0;
  private operationsStarted = 0;
  private events = 0;
  private calm = false;

  constructor(
    private readonly seed: number,
    private readonly options: SimulationOptions,
  ) {
    this.prng = new Prng(seed);
    this.faultPrng = this.prng.fork();
    this.clientPrng = this.prng.fork();
    const networkPrng = this.prng.fork();
    this.network = new SimNetwork(
      this.scheduler,
      networkPrng,
      {
        isUp: (id) => this.nodes.get(id)!.up,
        availableAt: (id) => this.nodes.get(id)!.pausedUntilMs,
        deliver: (delivery) => this.nodes.get(delivery.to)!.receive(delivery),
        connectionLost: (id, peer) => this.nodes.get(id)!.connectionLost(peer),
      },
      this.networkFaults(),
    );
    const voters = range(1, options.voters);
    const observers = range(options.voters + 1, options.voters + options.observers);
    for (const id of [...voters, ...observers]) {
      const peerOptions: PeerOptions = { self: id, membership: { voters, observers }, initLimit: 10, syncLimit: 5, historyLimit: options.historyLimit, ...(options.broken === undefined ? {} : { brokenForTesting: options.broken }) };
      const nodePrng = this.prng.fork();
      const node = new SimNode(id, peerOptions, this.scheduler, this.network, nodePrng, {
        onApply: (applier, entry, previous) => this.onApply(applier, entry, previous),
        onServing: (server) => this.onServing(server),
      });
      this.nodes.set(id, node);
      this.scheduleTicks(node);
    }
  }

  private networkFaults(): NetworkFaults {
    if (!this.options.faults || this.calm) return { delayMinMs: 1, delayMaxMs: 4, dropProbability: 0, duplicateProbability: 0, resetProbability: 0 };
    return { delayMinMs: 1, delayMaxMs: 30, dropProbability: 0.05, duplicateProbability: 0.05, resetProbability: 0.002 };
  }

  private log(line: string): void {
    this.trace.push(`${String(this.scheduler.now).padStart(7)} ${line}`);
    if (this.trace.length > 400) this.trace.shift();
  }

  // ------------------------------------------------------------------------------------------
  // Driving

  run(): void {
    for (let client = 0; client < this.options.clients; client++) this.scheduler.after(this.clientPrng.int(0, 50), () => this.clientStep(client));
    if (this.options.faults) this.scheduleFault();
    const deadline = this.options.maxSimulatedMs;
    while (this.operationsStarted < this.options.operations || this.inFlight > 0) {
      this.step();
      check(this.scheduler.now < deadline, `no progress: ${this.operationsStarted} of ${this.options.operations} operations started by ${deadline} ms`);
    }
    this.heal();
    this.awaitQuiescence();
    this.checkFinal();
  }

  private step(): void {
    check(this.scheduler.step(), 'the simulation ran out of events');
    this.events++;
    this.checkLeaders();
  }

  private scheduleTicks(node: SimNode): void {
    // Clock skew: each server's tick runs a little fast or slow.
    const skew = this.options.faults ? 1 + (this.prng.next() - 0.5) * 0.1 : 1;
    const interval = Math.round(this.options.tickMs * skew);
    const tick = () => {
      if (node.up) {
        if (node.pausedUntilMs > this.scheduler.now) {
          this.scheduler.at(node.pausedUntilMs, tick);
          return;
        }
        node.tick();
      }
      this.scheduler.after(interval, tick);
    };
    this.scheduler.after(interval, tick);
  }

  // ------------------------------------------------------------------------------------------
  // Faults

  private scheduleFault(): void {
    this.scheduler.after(this.faultPrng.int(200, 1500), () => {
      if (this.calm) return;
      this.injectFault();
      this.scheduleFault();
    });
  }

  private injectFault(): void {
    const prng = this.faultPrng;
    const ids = [...this.nodes.keys()];
    const choice = prng.int(0, 9);
    const target = prng.pick(ids);
    const node = this.nodes.get(target)!;
    if (choice <= 2) {
      const down = [...this.nodes.values()].filter((n) => !n.up).length;
      if (!node.up || down >= Math.floor(this.options.voters / 2) + 1) return;
      this.log(`crash ${target}`);
      node.crash();
      this.network.crashed(target, ids);
      this.scheduler.after(prng.int(100, 3000), () => {
        if (node.up) return; // healing restarted it already
        this.log(`restart ${target}`);
        node.restart();
      });
    } else if (choice <= 4) {
      // A partition: one side against the rest, symmetric or one-way.
      const side = new Set(ids.filter(() => prng.chance(0.4)));
      const oneWay = prng.chance(0.3);
      this.log(`partition {${[...side].join(',')}}${oneWay ? ' one-way' : ''}`);
      for (const a of side) for (const b of ids) if (!side.has(b)) {
        this.network.cutLink(a, b, prng.chance(0.5));
        if (!oneWay) this.network.cutLink(b, a, prng.chance(0.5));
      }
      this.scheduler.after(prng.int(300, 4000), () => {
        this.log('heal partitions');
        this.network.healAll();
      });
    } else if (choice <= 6) {
      if (!node.up) return;
      const pauseMs = prng.int(100, 2000);
      this.log(`pause ${target} for ${pauseMs} ms`);
      node.pausedUntilMs = this.scheduler.now + pauseMs;
    } else if (ids.length > 1) {
      const other = prng.pick(ids.filter((id) => id !== target));
      this.log(`reset connection ${target}-${other}`);
      this.network.reset(target, other, prng.chance(0.5));
    }
  }

  private heal(): void {
    this.calm = true;
    this.log('heal everything');
    this.network.healAll();
    this.network.faults = this.networkFaults();
    for (const node of this.nodes.values()) {
      node.pausedUntilMs = 0;
      if (!node.up) node.restart();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Clients: each runs one operation at a time against a random server.

  private inFlight = 0;

  private clientStep(client: number): void {
    if (this.operationsStarted >= this.options.operations) return;
    this.operationsStarted++;
    const prng = this.clientPrng;
    const path = `/k${prng.int(0, this.options.keys - 1)}`;
    const kind = prng.pick(['create', 'set', 'set', 'set', 'read', 'read', 'delete'] as const);
    const id = this.nextOperationId++;
    const value = `c${client}-${id}`;
    const op: NodeOp = kind === 'create' || kind === 'set' ? { kind, value } : { kind };
    const operation: Operation = { id, client, path, op, invokeMs: this.scheduler.now, returnMs: null, result: null };
    const server = this.nodes.get(prng.pick([...this.nodes.keys()]))!;
    const sessionId = 1000 + client;
    let answered = false;
    this.inFlight++;
    const finish = (answer: ClientAnswer | null) => {
      if (answered) return;
      answered = true;
      this.inFlight--;
      this.record(operation, answer);
      this.scheduler.after(prng.int(0, 30), () => this.clientStep(client));
    };
    // A client gives up after a while: the outcome stays unknown.
    this.scheduler.after(3000, () => finish(null));
    if (!server.up) {
      this.scheduler.after(1, () => finish({ ok: false, error: 'ConnectionLoss', definite: true }));
      return;
    }
    const deliver = (answer: ClientAnswer) => this.scheduler.after(prng.int(0, 3), () => finish(answer));
    this.scheduler.after(prng.int(0, 3), () => {
      if (!server.up) return finish({ ok: false, error: 'ConnectionLoss', definite: true });
      if (op.kind === 'read') return server.syncRead(path, deliver);
      const request =
        op.kind === 'create'
          ? { op: 'create' as const, path, data: text(op.value), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode: CreateMode.PERSISTENT }
          : op.kind === 'set'
            ? { op: 'setData' as const, path, data: text(op.value), version: -1 }
            : { op: 'delete' as const, path, version: -1 };
      server.submitWrite(sessionId, id, request, deliver);
    });
  }

  private record(operation: Operation, answer: ClientAnswer | null): void {
    if (answer !== null && !answer.ok && answer.definite && answer.error === 'ConnectionLoss') return; // never happened
    if (answer === null || (!answer.ok && !answer.definite)) {
      this.operations.push(operation); // unknown outcome
      return;
    }
    operation.returnMs = this.scheduler.now;
    operation.result = toResult(answer);
    this.operations.push(operation);
    if (answer.ok && operation.op.kind !== 'read') this.acknowledged.push({ zxid: answer.zxid, operation });
  }

  // ------------------------------------------------------------------------------------------
  // Invariants

  private onApply(node: SimNode, entry: Entry, previous: Zxid): void {
    const payload = Buffer.from(entry.payload).toString('base64');
    const known = this.committed.get(entry.zxid);
    if (known === undefined) {
      this.committed.set(entry.zxid, { payload, previous });
      return;
    }
    check(known.payload === payload, `server ${node.id} applied a different txn at zxid ${hex(entry.zxid)}`);
    check(known.previous === previous, `server ${node.id} applied ${hex(entry.zxid)} after ${hex(previous)}, others after ${hex(known.previous)}: committed prefixes differ`);
  }

  private onServing(node: SimNode): void {
    this.log(`server ${node.id} serving as ${node.zab.role} in epoch ${node.zab.epoch}`);
  }

  private checkLeaders(): void {
    for (const node of this.nodes.values()) {
      if (!node.up || node.zab.role !== 'leading' || !node.zab.serving) continue;
      const epoch = node.zab.epoch;
      const leader = this.leaderOfEpoch.get(epoch);
      if (leader === undefined) this.leaderOfEpoch.set(epoch, node.id);
      else check(leader === node.id, `two leaders in epoch ${epoch}: ${leader} and ${node.id}`);
    }
  }

  /** Everyone up, one leader, every server serving at the same zxid. */
  private awaitQuiescence(): void {
    const deadline = this.scheduler.now + 120_000;
    for (;;) {
      const servers = [...this.nodes.values()];
      const leader = servers.find((node) => node.zab.role === 'leading' && node.zab.serving);
      if (leader !== undefined && servers.every((node) => node.zab.serving && node.state.lastZxid === leader.state.lastZxid)) {
        // A last write through the leader makes sure every learner committed the whole history.
        return;
      }
      this.step();
      check(this.scheduler.now < deadline, `the ensemble did not settle: ${this.describe()}`);
    }
  }

  private describe(): string {
    return [...this.nodes.values()].map((node) => `${node.id}:${node.zab.role}${node.zab.serving ? '*' : ''}@${hex(node.state.lastZxid)}`).join(' ');
  }

  private checkFinal(): void {
    const servers = [...this.nodes.values()];
    const digests = new Set(servers.map((node) => node.state.tree.digest()));
    check(digests.size === 1, `tree digests differ at quiescence: ${this.describe()}`);
    for (const { zxid, operation } of this.acknowledged) {
      check(this.committed.has(zxid), `acknowledged write ${operation.id} at ${hex(zxid)} was never committed`);
      for (const node of servers) check(node.state.lastZxid >= zxid, `server ${node.id} lacks acknowledged ${hex(zxid)}`);
    }
    const outcome = checkLinearizable(this.operations);
    check(outcome.ok, `history not linearizable for ${outcome.failedPath}`);
    assert(servers.length > 0, 'a cluster has servers');
  }

  result(ok: boolean, failure?: string): SimulationResult {
    const result: SimulationResult = {
      seed: this.seed,
      ok,
      operations: this.operations.length,
      acknowledgedWrites: this.acknowledged.length,
      simulatedMs: this.scheduler.now,
      events: this.events,
      trace: ok ? [] : this.trace,
    };
    if (failure !== undefined) result.failure = failure;
    return result;
  }
}

function toResult(answer: ClientAnswer): NodeResult {
  if (!answer.ok) return { ok: false, error: answer.error as 'NoNode' | 'NodeExists' };
  const response = answer.response;
  switch (response.op) {
    case 'create':
      return { ok: true };
    case 'setData':
      return { ok: true, version: response.stat.version };
    case 'getData':
      return { ok: true, version: response.stat.version, value: response.data === null ? '' : new TextDecoder().decode(response.data) };
    default:
      return { ok: true };
  }
}

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function range(from: number, to: number): number[] {
  const result: number[] = [];
  for (let value = from; value <= to; value++) result.push(value);
  return result;
}

function hex(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}
