// Ensembles of real `cairn server` processes on loopback: free ports from the OS, one data
// directory with its myid per server, server.N lines in every config, as ZooKeeper's
// pseudo-distributed mode.

import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CairnUnaryClient } from '../../src/client/unary.js';
import { isKeeperError } from '../../src/core/errors.js';
import { makeDataDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';

/** Ports the OS hands out now (held together so they differ, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export interface EnsembleMember {
  id: number;
  /** The address its ports bind to. */
  host: string;
  dataDir: string;
  config: Record<string, string | number | boolean>;
  process: ServerProcess | null;
  grpcAddress: string;
  httpPort: number;
  /** The ZooKeeper-protocol port. */
  clientPort: number;
}

export interface Ensemble {
  members: EnsembleMember[];
  start(id: number): Promise<EnsembleMember>;
  /** The id of a server that leads and serves by its own logs (a paused one may still say so). */
  leader(): number | null;
  /** Every server whose logs say it leads and serves (an old, paused leader among them). */
  leaders(): number[];
  /** A server's latest role and whether it serves, from its log; null when it is down. */
  roleOf(id: number): { role: string; serving: boolean } | null;
  /** Waits until some server leads and serves, and `count` servers serve in all. */
  awaitServing(count: number, timeoutMs?: number): Promise<number>;
  stopAll(): Promise<void>;
}

interface RoleLine {
  msg?: string;
  role?: string;
  serving?: boolean;
}

function currentRole(member: EnsembleMember): { role: string; serving: boolean } | null {
  if (member.process === null || member.process.child.exitCode !== null || member.process.child.signalCode !== null) return null;
  const lines = member.process.logs as RoleLine[];
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!;
    if (line.msg === 'replication role changed') return { role: line.role!, serving: line.serving! };
  }
  return null;
}

/** Where a server runs: its address, a command to run it under (e.g. in a network namespace), fixed ports. */
export interface Placement {
  host: string;
  wrap?: string[];
  ports?: { grpc: number; http: number; client: number; quorum: number; election: number };
}

export async function startEnsemble(options: {
  voters: number;
  observers?: number;
  config?: Record<string, string | number>;
  env?: Record<string, string>;
  nodeArgs?: string[];
  placement?: (id: number) => Placement;
}): Promise<Ensemble> {
  const count = options.voters + (options.observers ?? 0);
  const ports = await freePorts(count * 2);
  const placements = Array.from({ length: count }, (_, index) => options.placement?.(index + 1) ?? { host: '127.0.0.1' });
  const servers: Record<string, string> = {};
  for (let index = 0; index < count; index++) {
    const id = index + 1;
    const type = id > options.voters ? ':observer' : '';
    const placed = placements[index]!;
    const quorum = placed.ports?.quorum ?? ports[index * 2];
    const election = placed.ports?.election ?? ports[index * 2 + 1];
    servers[`server.${id}`] = `${placed.host}:${quorum}:${election}${type}`;
  }
  const members: EnsembleMember[] = [];
  for (let index = 0; index < count; index++) {
    const id = index + 1;
    const dataDir = await makeDataDir(`cairn-ensemble-${id}-`);
    await writeFile(join(dataDir, 'myid'), `${id}\n`);
    const host = placements[index]!.host;
    members.push({
      id,
      host,
      dataDir,
      // hash: digestOf reads the tree digest through /commands/hash (srvr and last_zxid are always on).
      config: { tickTime: 200, initLimit: 10, syncLimit: 5, '4lw.commands.whitelist': 'hash', ...options.config, clientPortAddress: host, ...servers },
      process: null,
      grpcAddress: '',
      httpPort: 0,
      clientPort: 0,
    });
  }
  const start = async (id: number): Promise<EnsembleMember> => {
    const member = members[id - 1]!;
    const placed = placements[id - 1]!;
    member.process = await startServerProcess({
      dataDir: member.dataDir,
      config: member.config,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
      ...(placed.wrap === undefined ? {} : { wrap: placed.wrap }),
      ...(placed.ports === undefined ? {} : { ports: placed.ports }),
    });
    member.grpcAddress = member.process.grpcAddress;
    member.httpPort = member.process.httpPort;
    member.clientPort = member.process.clientPort;
    return member;
  };
  await Promise.all(members.map((member) => start(member.id)));
  const ensemble: Ensemble = {
    members,
    start,
    roleOf(id) {
      return currentRole(members[id - 1]!);
    },
    leaders() {
      return members.filter((member) => {
        const role = currentRole(member);
        return role?.role === 'leader' && role.serving;
      }).map((member) => member.id);
    },
    leader() {
      for (const member of members) {
        const role = currentRole(member);
        if (role?.role === 'leader' && role.serving) return member.id;
      }
      return null;
    },
    async awaitServing(servingCount, timeoutMs = 30_000) {
      await waitFor(
        () => ensemble.leader() !== null && members.filter((member) => currentRole(member)?.serving === true).length >= servingCount,
        timeoutMs,
        `an ensemble with a leader and ${servingCount} serving servers`,
      );
      return ensemble.leader()!;
    },
    async stopAll() {
      await Promise.all(members.map((member) => member.process?.stop('SIGKILL')));
    },
  };
  return ensemble;
}

/** What a server says it is through its admin API ('leader', 'follower', 'observer', 'looking'). */
export async function stateOf(member: EnsembleMember): Promise<string | null> {
  try {
    const response = await fetch(`http://${member.host}:${member.httpPort}/commands/srvr`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { server_stats: { server_state: string } };
    return body.server_stats.server_state;
  } catch {
    return null;
  }
}

/** The last zxid a server proposed (a leader) or logged, from its admin API. */
export async function lastProposedOf(member: EnsembleMember): Promise<number> {
  const response = await fetch(`http://${member.host}:${member.httpPort}/commands/last_zxid`, { signal: AbortSignal.timeout(2_000) });
  return ((await response.json()) as { last_proposed_zxid: number }).last_proposed_zxid;
}

/** The tree digest and last zxid a server reports through its admin API. */
export async function digestOf(member: EnsembleMember): Promise<{ zxid: number; digest: number }> {
  const response = await fetch(`http://${member.host}:${member.httpPort}/commands/hash`);
  const body = (await response.json()) as { digests: { zxid: number; digest: number }[] };
  return body.digests[0]!;
}

/** Every live server reports the same last zxid and tree digest. */
export async function awaitConvergence(members: EnsembleMember[], timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const digests = await Promise.all(members.map((member) => digestOf(member).catch(() => null)));
      if (digests.some((digest) => digest === null)) return false;
      return new Set(digests.map((digest) => `${digest!.zxid}:${digest!.digest}`)).size === 1;
    },
    timeoutMs,
    'every server at the same zxid and digest',
  );
}

/** Children of a path as every server sees it after a sync. */
export async function childrenEverywhere(members: EnsembleMember[], path: string): Promise<string[][]> {
  return Promise.all(
    members.map(async (member) => {
      const client = new CairnUnaryClient(member.grpcAddress, { timeoutMs: 10_000 });
      try {
        await client.sync(path);
        return (await client.children(path)).children.sort();
      } finally {
        client.close();
      }
    }),
  );
}

/** Creates nodes under `parent` through `address` until stopped; records what was acknowledged. */
export function writeLoad(addresses: string[], parent: string) {
  const acknowledged = new Set<string>();
  const attempted = new Set<string>();
  let stopped = false;
  let failures = 0;
  let lastSuccessMs = Date.now();
  const successTimes: number[] = [];
  const run = async (address: string, worker: number) => {
    const client = new CairnUnaryClient(address, { timeoutMs: 3_000 });
    try {
      for (let index = 0; !stopped && index < 100_000; index++) {
        const path = `${parent}/w${worker}-${index}`;
        attempted.add(path);
        try {
          await client.create(path, `v${index}`);
          acknowledged.add(path);
          lastSuccessMs = Date.now();
          successTimes.push(lastSuccessMs);
        } catch (error) {
          if (!isKeeperError(error)) throw error;
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    } finally {
      client.close();
    }
  };
  const done = Promise.all(addresses.map((address, worker) => run(address, worker)));
  return {
    acknowledged,
    attempted,
    successTimes,
    get failures() {
      return failures;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}
