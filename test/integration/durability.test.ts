// Durability under SIGKILL: several sessions write concurrently with many requests in flight, the
// server is killed mid-load and restarted on the same data directory, and every acknowledged write
// must be there, nothing half-applied, nothing invented. A second test damages the newest log file
// after a kill (garbage after the last record, then a flipped byte inside it) and checks that the
// server repairs it and keeps every acknowledged write whose record precedes the damage.

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CairnClient } from '../../src/client/index.js';
import { isKeeperError } from '../../src/core/errors.js';
import { CreateMode, OPEN_ACL_UNSAFE } from '../../src/core/types.js';
import { listLogFiles, listSnapshots, LogFileScanner } from '../../src/storage/index.js';
import { makeDataDir, removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { nodeFileSystem } from '../../src/storage/world.js';

const CLIENTS = 4;
const IN_FLIGHT_PER_CLIENT = 32;
const HOT_PER_CLIENT = 2;
/** Load runs at least this long and until this many writes are acknowledged, then the kill. */
const MIN_LOAD_MS = 1_000;
const MIN_ACKED_PER_CYCLE = 1_000;
const SERVER_CONFIG = { snapCount: 500, maxSessionTimeoutMs: 60_000 };
const SESSION_TIMEOUT_MS = 30_000;
const PAD = 'x'.repeat(60);

type Outcome = 'acked' | 'inflight' | 'lost';

interface CreateEntry {
  data: string;
  outcome: Outcome;
  /** The txn's zxid, from the acknowledgement. */
  zxid: number;
}

interface MultiEntry {
  a: string;
  b: string;
  outcome: Outcome;
  zxid: number;
}

interface HotEntry {
  /** Version and data as last verified after a restart (the start of this cycle). */
  baseVersion: number;
  baseData: string;
  /** Highest version sent so far (the next setData expects this version). */
  sentVersion: number;
  /** Data sent for each version this cycle. */
  sentData: Map<number, string>;
  /** Acknowledged versions this cycle with their zxids, in order. */
  acked: Array<{ version: number; zxid: number }>;
}

/** Everything requested and what became of it, accumulated over kill/restart cycles. */
class Tracker {
  readonly creates = new Map<string, CreateEntry>();
  readonly multis = new Map<string, MultiEntry>();
  readonly hot = new Map<string, HotEntry>();
  /** Every path a request ever named (created or meant to be created). */
  readonly requested = new Set<string>();
  ackedThisCycle = 0;
  readonly unexpected: string[] = [];
}

interface LoadRun {
  clients: CairnClient[];
  lanes: Promise<void>[];
  killed: boolean;
}

function hotData(path: string, version: number, cycle: number): string {
  return `${path}#${version}@${cycle}`;
}

/** Starts `CLIENTS` sessions with `IN_FLIGHT_PER_CLIENT` lanes each, writing until an error. */
async function startLoad(server: ServerProcess, tracker: Tracker, cycle: number): Promise<LoadRun> {
  const run: LoadRun = { clients: [], lanes: [], killed: false };
  tracker.ackedThisCycle = 0;
  for (let c = 0; c < CLIENTS; c++) {
    const client = await CairnClient.connect(server.grpcAddress, { timeoutMs: SESSION_TIMEOUT_MS });
    run.clients.push(client);
    const hotPaths = Array.from({ length: HOT_PER_CLIENT }, (_, h) => `/h/c${c}-${h}`);
    let sequence = 0;
    const lane = async (laneIndex: number): Promise<void> => {
      for (let step = 0; ; step++) {
        const id = `k${cycle}-c${c}-l${laneIndex}-${step}`;
        const kind = (laneIndex + step) % 8;
        try {
          if (kind < 5) await createOne(client, tracker, `/d/${id}`, `${id}:${PAD}`);
          else if (kind < 7) await setHot(client, tracker, hotPaths[(sequence++) % hotPaths.length]!, cycle);
          else await multiPair(client, tracker, `/m/a-${id}`, `/m/b-${id}`);
        } catch (error) {
          if (!run.killed) tracker.unexpected.push(`${id}: ${String(error)}`);
          return;
        }
      }
    };
    for (let l = 0; l < IN_FLIGHT_PER_CLIENT; l++) run.lanes.push(lane(l));
  }
  return run;
}

async function createOne(client: CairnClient, tracker: Tracker, path: string, data: string): Promise<void> {
  const entry: CreateEntry = { data, outcome: 'inflight', zxid: -1 };
  tracker.requested.add(path);
  tracker.creates.set(path, entry);
  const { stat } = await client.create(path, data);
  entry.outcome = 'acked';
  entry.zxid = stat.czxid;
  tracker.ackedThisCycle++;
}

async function setHot(client: CairnClient, tracker: Tracker, path: string, cycle: number): Promise<void> {
  const hot = tracker.hot.get(path)!;
  // Requests of one session apply in order, so pipelined version checks can be predicted.
  const expectedVersion = hot.sentVersion++;
  const version = expectedVersion + 1;
  const data = hotData(path, version, cycle);
  hot.sentData.set(version, data);
  const stat = await client.setData(path, data, expectedVersion);
  if (stat.version !== version) throw new Error(`setData ${path} acknowledged version ${stat.version}, expected ${version}`);
  hot.acked.push({ version, zxid: stat.mzxid });
  tracker.ackedThisCycle++;
}

async function multiPair(client: CairnClient, tracker: Tracker, a: string, b: string): Promise<void> {
  const entry: MultiEntry = { a, b, outcome: 'inflight', zxid: -1 };
  tracker.requested.add(a);
  tracker.requested.add(b);
  tracker.multis.set(a, entry);
  const acl = [...OPEN_ACL_UNSAFE];
  const results = await client.multi([
    { op: 'create', path: a, data: Buffer.from(`multi ${a}`), acl, mode: CreateMode.PERSISTENT },
    { op: 'create', path: b, data: Buffer.from(`multi ${b}`), acl, mode: CreateMode.PERSISTENT },
  ]);
  const first = results[0];
  if (results.length !== 2 || first?.op !== 'create' || results[1]?.op !== 'create') throw new Error(`multi ${a} failed: ${JSON.stringify(results)}`);
  entry.outcome = 'acked';
  entry.zxid = first.stat.czxid;
  tracker.ackedThisCycle++;
}

/** Creates the parents and hot nodes, recording them as acknowledged. */
async function setUp(server: ServerProcess, tracker: Tracker): Promise<void> {
  const client = await CairnClient.connect(server.grpcAddress, { timeoutMs: SESSION_TIMEOUT_MS });
  try {
    for (const parent of ['/d', '/m', '/h']) {
      await client.create(parent, null);
      tracker.requested.add(parent);
    }
    for (let c = 0; c < CLIENTS; c++) {
      for (let h = 0; h < HOT_PER_CLIENT; h++) {
        const path = `/h/c${c}-${h}`;
        const data = hotData(path, 0, 0);
        await client.create(path, data);
        tracker.requested.add(path);
        tracker.hot.set(path, { baseVersion: 0, baseData: data, sentVersion: 0, sentData: new Map(), acked: [] });
      }
    }
  } finally {
    await client.close();
  }
}

/** Runs the load until enough is acknowledged, then SIGKILLs the server mid-load. */
async function loadAndKill(server: ServerProcess, tracker: Tracker, cycle: number): Promise<void> {
  const startedMs = Date.now();
  const run = await startLoad(server, tracker, cycle);
  try {
    await waitFor(
      () => tracker.unexpected.length > 0 || (Date.now() - startedMs >= MIN_LOAD_MS && tracker.ackedThisCycle >= MIN_ACKED_PER_CYCLE),
      20_000,
      `${MIN_ACKED_PER_CYCLE} acknowledged writes in cycle ${cycle}`,
    );
    expect(tracker.unexpected).toEqual([]);
    const inFlight = run.clients.reduce((sum, client) => sum + client.pendingCount, 0);
    expect(inFlight, 'requests in flight at the kill').toBeGreaterThan(0);
    run.killed = true;
    server.child.kill('SIGKILL');
    const exit = await server.exited;
    expect(exit.signal).toBe('SIGKILL');
    await Promise.all(run.lanes);
    expect(tracker.unexpected).toEqual([]);
  } finally {
    run.killed = true;
    for (const client of run.clients) client.detach();
  }
}

type Read = { data: string | null; version: number } | null;

async function readAll(client: CairnClient, paths: string[]): Promise<Map<string, Read>> {
  const found = new Map<string, Read>();
  const BATCH = 2_000;
  for (let start = 0; start < paths.length; start += BATCH) {
    const batch = paths.slice(start, start + BATCH);
    const reads = await Promise.all(
      batch.map((path) =>
        client.getData(path).then(
          ({ data, stat }): Read => ({ data: data === null ? null : Buffer.from(data).toString('utf8'), version: stat.version }),
          (error: unknown): Read => {
            if (isKeeperError(error) && error.codeName === 'NoNode') return null;
            throw error;
          },
        ),
      ),
    );
    batch.forEach((path, index) => found.set(path, reads[index]!));
  }
  return found;
}

async function childrenOf(client: CairnClient, path: string): Promise<string[]> {
  const { children } = await client.getChildren(path);
  return children.map((child) => (path === '/' ? `/${child}` : `${path}/${child}`));
}

/**
 * Checks the restarted server against the tracker and settles what was in flight. Acknowledged
 * writes with a zxid at or past `damagedFromZxid` are treated as in flight: their record was
 * deliberately damaged.
 */
async function verify(server: ServerProcess, tracker: Tracker, damagedFromZxid = Number.POSITIVE_INFINITY): Promise<{ acked: number; settled: number }> {
  const client = await CairnClient.connect(server.grpcAddress, { timeoutMs: SESSION_TIMEOUT_MS });
  const failures: string[] = [];
  let acked = 0;
  let settled = 0;
  try {
    const mustHave = (entry: { outcome: Outcome; zxid: number }) => entry.outcome === 'acked' && entry.zxid < damagedFromZxid;

    const createPaths = [...tracker.creates.keys()];
    const creates = await readAll(client, createPaths);
    for (const path of createPaths) {
      const entry = tracker.creates.get(path)!;
      const read = creates.get(path)!;
      if (read !== null && read.data !== entry.data) failures.push(`${path} holds ${read.data}, not ${entry.data}`);
      if (entry.outcome === 'lost') {
        if (read !== null) failures.push(`${path} was lost after an earlier restart and is back`);
        continue;
      }
      if (mustHave(entry)) {
        acked++;
        if (read === null) failures.push(`acknowledged create ${path} (zxid ${entry.zxid}) is missing`);
        continue;
      }
      settled++;
      entry.outcome = read === null ? 'lost' : 'acked';
    }

    const multiEntries = [...tracker.multis.values()];
    const multiReads = await readAll(client, multiEntries.flatMap((entry) => [entry.a, entry.b]));
    for (const entry of multiEntries) {
      const a = multiReads.get(entry.a)!;
      const b = multiReads.get(entry.b)!;
      if ((a === null) !== (b === null)) failures.push(`multi ${entry.a} + ${entry.b} is half applied`);
      if (a !== null && a.data !== `multi ${entry.a}`) failures.push(`${entry.a} holds ${a.data}`);
      if (b !== null && b.data !== `multi ${entry.b}`) failures.push(`${entry.b} holds ${b.data}`);
      if (entry.outcome === 'lost') {
        if (a !== null || b !== null) failures.push(`multi ${entry.a} was lost after an earlier restart and is back`);
        continue;
      }
      if (mustHave(entry)) {
        acked++;
        if (a === null || b === null) failures.push(`acknowledged multi ${entry.a} (zxid ${entry.zxid}) is missing`);
        continue;
      }
      settled++;
      entry.outcome = a === null ? 'lost' : 'acked';
    }

    const hotPaths = [...tracker.hot.keys()];
    const hotReads = await readAll(client, hotPaths);
    for (const path of hotPaths) {
      const hot = tracker.hot.get(path)!;
      const read = hotReads.get(path)!;
      if (read === null) {
        failures.push(`hot node ${path} is missing`);
        continue;
      }
      const minVersion = Math.max(hot.baseVersion, ...hot.acked.filter((ack) => ack.zxid < damagedFromZxid).map((ack) => ack.version));
      acked += hot.acked.length;
      if (read.version < minVersion) failures.push(`${path} is at version ${read.version}, below the acknowledged ${minVersion}`);
      if (read.version > hot.sentVersion) failures.push(`${path} is at version ${read.version}, never written (sent up to ${hot.sentVersion})`);
      const expected = read.version === hot.baseVersion ? hot.baseData : hot.sentData.get(read.version);
      if (read.data !== expected) failures.push(`${path} at version ${read.version} holds ${read.data}, written was ${expected}`);
      // The next cycle goes on from what survived.
      Object.assign(hot, { baseVersion: read.version, baseData: read.data ?? '', sentVersion: read.version, sentData: new Map(), acked: [] });
    }

    // Nothing exists that was never requested.
    const existing = [...(await childrenOf(client, '/')).filter((path) => path !== '/zookeeper')];
    for (const parent of ['/d', '/m', '/h']) if (tracker.requested.has(parent)) existing.push(...(await childrenOf(client, parent)));
    for (const path of existing) if (!tracker.requested.has(path)) failures.push(`${path} exists but was never requested`);
    expect(existing.length).toBeGreaterThan(0);
  } finally {
    await client.close();
  }
  expect(failures.slice(0, 20)).toEqual([]);
  return { acked, settled };
}

function snapshotsWritten(servers: ServerProcess[]): number {
  return servers.reduce((sum, server) => sum + server.logs.filter((entry) => entry.msg === 'snapshot written').length, 0);
}

function repairsLogged(server: ServerProcess): string[] {
  return server.logs.filter((entry) => entry.msg === 'storage repaired during recovery').map((entry) => String(entry.repair));
}

/**
 * The records of the newest log file that holds any: zxid and end offset of each, and where the
 * good records end. A kill between creating a log file and its first write leaves it empty (no
 * header yet), which recovery removes; the records are then in the file before it.
 */
async function newestLogRecords(dataDir: string): Promise<{ path: string; records: Array<{ zxid: number; end: number }>; validEnd: number }> {
  const files = await listLogFiles(nodeFileSystem, join(dataDir, 'cairn'));
  if (files.length === 0) throw new Error('no log file');
  for (const file of [...files].reverse()) {
    const scanner = await LogFileScanner.open(nodeFileSystem, file);
    const records: Array<{ zxid: number; end: number }> = [];
    try {
      for (let record = await scanner.next(); record !== null; record = await scanner.next()) {
        records.push({ zxid: record.zxid, end: record.endOffset });
      }
      if (records.length === 0 && scanner.damage !== null && /header is 0 bytes/.test(scanner.damage)) continue;
      expect(scanner.damage, 'a SIGKILL leaves no damage in the page cache').toBeNull();
      return { path: file.path, records, validEnd: scanner.validEndOffset };
    } finally {
      await scanner.close();
    }
  }
  throw new Error('no log file holds a record');
}

async function writeAt(path: string, position: number, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, position);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

describe('durability across SIGKILL', () => {
  const started: ServerProcess[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const server of started.splice(0)) await server.stop('SIGKILL');
    for (const dir of dirs.splice(0)) await removeDir(dir);
  });

  async function start(dataDir: string): Promise<ServerProcess> {
    const server = await startServerProcess({ dataDir, config: SERVER_CONFIG });
    started.push(server);
    return server;
  }

  it('keeps every acknowledged write over three kill/restart cycles under concurrent load', async () => {
    const dataDir = await makeDataDir('cairn-durability-');
    dirs.push(dataDir);
    const tracker = new Tracker();
    const servers: ServerProcess[] = [];
    let server = await start(dataDir);
    servers.push(server);
    await setUp(server, tracker);
    let totalAcked = 0;
    let totalSettled = 0;
    for (let cycle = 1; cycle <= 3; cycle++) {
      await loadAndKill(server, tracker, cycle);
      totalAcked += tracker.ackedThisCycle;
      server = await start(dataDir);
      servers.push(server);
      const { settled } = await verify(server, tracker);
      totalSettled += settled;
    }
    // The load crossed snapshots and log rollovers, and each kill left requests in flight.
    expect(snapshotsWritten(servers)).toBeGreaterThanOrEqual(3);
    expect((await listLogFiles(nodeFileSystem, join(dataDir, 'cairn'))).length).toBeGreaterThan(1);
    expect(totalAcked).toBeGreaterThanOrEqual(3 * MIN_ACKED_PER_CYCLE);
    expect(totalSettled).toBeGreaterThan(0);
    await server.stop('SIGTERM');
  }, 120_000);

  it('repairs a damaged log tail and keeps the acknowledged writes before the damage', async () => {
    const dataDir = await makeDataDir('cairn-durability-tail-');
    dirs.push(dataDir);
    const tracker = new Tracker();
    let server = await start(dataDir);
    await setUp(server, tracker);

    // Garbage where the next record would go: the length is nonsense, so recovery cuts there.
    await loadAndKill(server, tracker, 1);
    const first = await newestLogRecords(dataDir);
    expect(first.records.length).toBeGreaterThan(0);
    await writeAt(first.path, first.validEnd, Buffer.from('\xde\xad\xbe\xefgarbage after the last record', 'latin1'));
    server = await start(dataDir);
    expect(repairsLogged(server).some((repair) => repair.includes(`cut ${first.path} at offset ${first.validEnd}`))).toBe(true);
    await verify(server, tracker);

    // A flipped byte inside the newest file's last record: its CRC fails, the file is cut before it.
    await loadAndKill(server, tracker, 2);
    const second = await newestLogRecords(dataDir);
    const last = second.records.at(-1)!;
    const snapshotZxids = (await listSnapshots(nodeFileSystem, join(dataDir, 'cairn'))).map((snapshot) => snapshot.zxid);
    const handle = await open(second.path, 'r');
    const byte = Buffer.alloc(1);
    try {
      await handle.read(byte, 0, 1, last.end - 1);
    } finally {
      await handle.close();
    }
    byte[0] = byte[0]! ^ 0xff;
    await writeAt(second.path, last.end - 1, byte);
    server = await start(dataDir);
    const repairs = repairsLogged(server);
    expect(repairs.some((repair) => repair.includes(second.path) && repair.includes('CRC mismatch'))).toBe(true);
    const { acked } = await verify(server, tracker, last.zxid);
    expect(acked).toBeGreaterThan(MIN_ACKED_PER_CYCLE);
    // The damaged txn is gone unless a (fuzzy) snapshot already held it.
    if (snapshotZxids.every((zxid) => zxid < last.zxid)) {
      const recovered = server.logs.find((entry) => entry.msg === 'state recovered');
      expect(Number.parseInt(String(recovered?.zxid), 16)).toBeLessThan(last.zxid);
    }
    await server.stop('SIGTERM');
  }, 120_000);
});
