// etcd under test (Debian's etcd-server package, 3.4): one member or a 3-member cluster of
// /usr/bin/etcd processes on loopback, each with its own temporary data directory, at etcd's
// defaults (fsync on, heartbeat 100 ms, election 1000 ms, snapshot-count 100000) but for the
// ports, directories and cluster bootstrap flags the report lists.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../test/integration/ensemble-harness.js';
import type { ServerHandle, Topology } from './topology.js';

const ETCD = '/usr/bin/etcd';
const HOST = '127.0.0.1';
const OUTPUT_TAIL_CHARS = 20_000;
const STOP_GRACE_MS = 5_000;
/** Start-up attempts when a port handed out by the OS was taken before etcd bound it. */
const START_ATTEMPTS = 3;

export function etcdInstalled(): boolean {
  return existsSync(ETCD);
}

interface Member {
  id: number;
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  /** Set once SIGKILL has been sent: the process is as good as gone before its exit event arrives. */
  killed: boolean;
  /** etcd's own member id (uint64 as a decimal string), learnt from its status. */
  memberId: string | null;
  output(): string;
}

interface MemberStatus {
  memberId: string;
  leader: string;
  raftTerm: number;
}

function isRunning(member: Member): boolean {
  return member.pid > 0 && !member.killed && member.child.exitCode === null && member.child.signalCode === null;
}

function url(port: number): string {
  return `http://${HOST}:${port}`;
}

function clientUrl(member: Member): string {
  return url(member.clientPort);
}

/** The environment without ETCD_* variables, which etcd would read as flags. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_')));
}

async function status(member: Member, timeoutMs: number): Promise<MemberStatus | null> {
  try {
    const response = await fetch(`${clientUrl(member)}/v3/maintenance/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { header?: { member_id?: string }; leader?: string; raftTerm?: string };
    const memberId = body.header?.member_id;
    if (memberId === undefined) return null;
    member.memberId = memberId;
    return { memberId, leader: body.leader ?? '0', raftTerm: Number(body.raftTerm ?? 0) };
  } catch {
    return null;
  }
}

async function healthy(member: Member, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl(member)}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return false;
    const body = (await response.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

/** The member that leads by the newest term any live member reports, if it is one of ours and alive. */
async function currentLeader(members: Member[], timeoutMs: number): Promise<number | null> {
  const live = members.filter(isRunning);
  const reports = await Promise.all(live.map((member) => status(member, timeoutMs)));
  let best: MemberStatus | null = null;
  for (const report of reports) {
    if (report === null || report.leader === '0') continue;
    if (best === null || report.raftTerm > best.raftTerm) best = report;
  }
  if (best === null) return null;
  const leader = members.find((member) => member.memberId === best.leader);
  return leader !== undefined && isRunning(leader) ? leader.id : null;
}

function spawnMember(id: number, clientPort: number, peerPort: number, dataDir: string, initialCluster: string, token: string): Member {
  const name = `m${id}`;
  const child = spawn(
    ETCD,
    [
      '--name',
      name,
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      url(clientPort),
      '--advertise-client-urls',
      url(clientPort),
      '--listen-peer-urls',
      url(peerPort),
      '--initial-advertise-peer-urls',
      url(peerPort),
      '--initial-cluster',
      initialCluster,
      '--initial-cluster-state',
      'new',
      '--initial-cluster-token',
      token,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnvironment() },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      keep(Buffer.from(`\n${error.message}\n`));
      resolve();
    });
  });
  return {
    id,
    name,
    clientPort,
    peerPort,
    dataDir,
    child,
    pid: child.pid ?? -1,
    exited,
    killed: false,
    memberId: null,
    output: () => output,
  };
}

async function stopMembers(members: Member[], dataDirs: string[]): Promise<void> {
  await Promise.all(
    members.map(async (member) => {
      if (member.pid <= 0) return;
      if (isRunning(member)) {
        process.kill(member.pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (member.child.exitCode !== null || member.child.signalCode !== null) return;
          try {
            process.kill(member.pid, 'SIGKILL');
          } catch {
            // exited meanwhile
          }
        }, STOP_GRACE_MS);
        await member.exited;
        clearTimeout(timer);
        member.killed = true;
      } else {
        // Exited, or SIGKILLed and about to be reaped.
        await member.exited;
      }
    }),
  );
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

function outputTails(members: Member[]): string {
  return members.map((member) => `--- ${member.name} (pid ${member.pid}) ---\n${member.output().slice(-4_000)}`).join('\n');
}

async function waitUntilReady(members: Member[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = members.find((member) => !isRunning(member));
    if (gone !== undefined) throw new Error(`etcd member ${gone.name} exited during start-up (code ${gone.child.exitCode}, signal ${gone.child.signalCode})`);
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const probeMs = Math.max(100, Math.min(2_000, remaining));
    const health = await Promise.all(members.map((member) => healthy(member, probeMs)));
    if (health.every(Boolean) && (await currentLeader(members, probeMs)) !== null && members.every((member) => member.memberId !== null)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd did not become healthy with a leader within ${timeoutMs} ms`);
}

async function versionOf(member: Member): Promise<string> {
  try {
    const response = await fetch(`${clientUrl(member)}/version`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { etcdserver?: string; etcdcluster?: string };
    if (body.etcdserver !== undefined) return body.etcdserver;
  } catch {
    // fall through
  }
  return 'unknown';
}

async function launch(count: number, timeoutMs: number): Promise<{ members: Member[]; dataDirs: string[]; token: string; initialCluster: string }> {
  const ports = await freePorts(count * 2);
  const dataDirs: string[] = [];
  const members: Member[] = [];
  try {
    for (let index = 0; index < count; index++) dataDirs.push(await mkdtemp(join(tmpdir(), `etcd-bench-m${index + 1}-`)));
    const token = `cairn-bench-${randomUUID()}`;
    const initialCluster = Array.from({ length: count }, (_, index) => `m${index + 1}=${url(ports[index * 2 + 1]!)}`).join(',');
    for (let index = 0; index < count; index++) {
      members.push(spawnMember(index + 1, ports[index * 2]!, ports[index * 2 + 1]!, dataDirs[index]!, initialCluster, token));
    }
    await waitUntilReady(members, timeoutMs);
    return { members, dataDirs, token, initialCluster };
  } catch (error) {
    const tails = outputTails(members);
    await stopMembers(members, dataDirs);
    const failure = new Error(`${(error as Error).message}\n${tails}`);
    (failure as Error & { portInUse?: boolean }).portInUse = /address already in use/.test(tails);
    throw failure;
  }
}

export async function startEtcd(options: { members: 1 | 3; startTimeoutMs?: number }): Promise<Topology> {
  if (!etcdInstalled()) throw new Error(`${ETCD} is not installed (Debian package etcd-server)`);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let launched: Awaited<ReturnType<typeof launch>> | undefined;
  for (let attempt = 1; launched === undefined; attempt++) {
    try {
      launched = await launch(options.members, Math.max(0, deadline - Date.now()));
    } catch (error) {
      const portInUse = (error as Error & { portInUse?: boolean }).portInUse === true;
      if (!portInUse || attempt >= START_ATTEMPTS || Date.now() >= deadline) throw error;
    }
  }
  const { members, dataDirs, token, initialCluster } = launched;
  const servers: ServerHandle[] = members.map((member) => ({
    id: member.id,
    pid: member.pid,
    dataDir: member.dataDir,
    grpc: `${HOST}:${member.clientPort}`,
    http: clientUrl(member),
    alive: () => isRunning(member),
  }));
  let stopping: Promise<void> | undefined;
  return {
    system: 'etcd',
    name: `etcd-${options.members}`,
    servers,
    version: await versionOf(members[0]!),
    settings: [
      `--listen-client-urls/--advertise-client-urls http://127.0.0.1:<port> (gRPC and the HTTP/JSON gateway on one port), --listen-peer-urls/--initial-advertise-peer-urls http://127.0.0.1:<port>; ports from the OS`,
      ...members.map((member) => `${member.name}: client 127.0.0.1:${member.clientPort}, peer 127.0.0.1:${member.peerPort}, --data-dir ${member.dataDir} (temporary)`),
      `--name m1..m${options.members}`,
      `--initial-cluster ${initialCluster}`,
      '--initial-cluster-state new',
      `--initial-cluster-token ${token} (unique per run)`,
      'everything else at the defaults: fsync on, --heartbeat-interval 100, --election-timeout 1000, --snapshot-count 100000, --quota-backend-bytes 2 GiB',
    ],
    leader: () => currentLeader(members, 1_000),
    kill(id) {
      const member = members[id - 1];
      if (member === undefined) throw new Error(`no etcd member ${id}`);
      if (!isRunning(member)) return;
      process.kill(member.pid, 'SIGKILL');
      member.killed = true;
    },
    stop() {
      stopping ??= (async () => {
        // A leader stopped by SIGTERM first hands its leadership to a follower it is connected to,
        // and waits for that (up to 7 s) even when the follower is going away at the same moment:
        // stop the others first, then the leader, which then has no one to hand over to.
        const leader = await currentLeader(members, 1_000);
        await stopMembers(
          members.filter((member) => member.id !== leader),
          [],
        );
        await stopMembers(members, dataDirs);
      })();
      return stopping;
    },
  };
}
