// Apache ZooKeeper under test (Debian's package, 3.8): standalone or a 3-server ensemble on
// loopback, at its defaults but for what the report lists (ports, directories, the admin server
// off so that servers do not fight over port 8080, zkServer.sh's default heap).

import { fourLetterWord, freePort, startZooKeeper, zookeeperInstalled, type ZooKeeperProcess } from '../../test/integration/zookeeper-process.js';
import { QUORUM_TIMING } from './cairn.js';
import type { ServerHandle, Topology } from './topology.js';

export { zookeeperInstalled };

/** zkServer.sh starts the JVM with -Xmx1000m unless ZK_SERVER_HEAP says otherwise. */
export const ZOOKEEPER_HEAP_MB = 1000;

/** ZooKeeper's defaults made explicit, undoing what the test helper changes for its own use. */
const AT_DEFAULTS = { maxClientCnxns: 60 };

export const ZOOKEEPER_SETTINGS = [
  'clientPortAddress=127.0.0.1; client, quorum and election ports from the OS; dataDir in a temporary directory',
  'admin.enableServer=false (each server would otherwise bind port 8080)',
  `JVM -Xmx${ZOOKEEPER_HEAP_MB}m (zkServer.sh's default)`,
  'forceSync=yes (the default: fsync before acknowledging)',
  "no logging: Debian's classpath has no SLF4J binding, so ZooKeeper logs nothing (its packaged service would log INFO to a file)",
];

function handle(id: number, server: ZooKeeperProcess): ServerHandle {
  return {
    id,
    pid: server.pid,
    dataDir: server.dataDir,
    jute: `127.0.0.1:${server.port}`,
    alive: () => server.child.exitCode === null && server.child.signalCode === null,
  };
}

async function mode(port: number): Promise<string | null> {
  const text = await fourLetterWord(port, 'srvr', '127.0.0.1', 2_000).catch(() => '');
  return /^Mode: (\S+)/m.exec(text)?.[1] ?? null;
}

async function version(port: number): Promise<string> {
  const text = await fourLetterWord(port, 'srvr', '127.0.0.1', 2_000).catch(() => '');
  // Debian's build leaves an unexpanded '-${mvngit.commit.id}' in the version.
  return /^Zookeeper version: ([^,\n]+)/m.exec(text)?.[1]?.replace(/-\$\{[^}]*\}/, '').trim() ?? 'unknown';
}

export async function startZooKeeperTopology(options: { servers: 1 | 3; dataDir?: string; port?: number; config?: Record<string, string | number> }): Promise<Topology> {
  if (options.servers === 1) {
    const server = await startZooKeeper({
      config: { ...AT_DEFAULTS, ...options.config },
      heapMb: ZOOKEEPER_HEAP_MB,
      startTimeoutMs: 600_000,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir, keepData: true }),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    const servers = [handle(1, server)];
    return {
      system: 'zookeeper',
      name: 'zookeeper-1',
      servers,
      version: await version(server.port),
      settings: [...ZOOKEEPER_SETTINGS, ...Object.entries(options.config ?? {}).map(([key, value]) => `${key}=${value}`)],
      leader: async () => (servers[0]!.alive() ? 1 : null),
      output: () => server.output(),
      snapshotMs: () => server.snapshotMs,
      kill: () => process.kill(server.pid, 'SIGKILL'),
      stop: () => server.stop(),
    };
  }
  const ports: number[] = [];
  for (let index = 0; index < 9; index++) ports.push(await freePort());
  const serverLines = Object.fromEntries([1, 2, 3].map((id) => [`server.${id}`, `127.0.0.1:${ports[id * 3 - 2]}:${ports[id * 3 - 1]}`]));
  const settled = await Promise.allSettled(
    [1, 2, 3].map((id) =>
      startZooKeeper({
        config: { ...AT_DEFAULTS, ...QUORUM_TIMING, ...options.config, ...serverLines },
        member: { myid: id, port: ports[id * 3 - 3]! },
        heapMb: ZOOKEEPER_HEAP_MB,
        startTimeoutMs: 120_000,
      }),
    ),
  );
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await stop();
    throw (failure as PromiseRejectedResult).reason;
  }
  const servers = started.map((server, index) => handle(index + 1, server));
  return {
    system: 'zookeeper',
    name: 'zookeeper-3',
    servers,
    version: await version(started[0]!.port),
    settings: [
      ...ZOOKEEPER_SETTINGS,
      'server.1..3 on loopback',
      ...Object.entries({ ...QUORUM_TIMING, ...options.config }).map(([key, value]) => `${key}=${value} (zoo_sample.cfg)`),
    ],
    async leader() {
      for (const [index, server] of started.entries()) {
        if (servers[index]!.alive() && (await mode(server.port)) === 'leader') return index + 1;
      }
      return null;
    },
    kill: (id) => process.kill(started[id - 1]!.pid, 'SIGKILL'),
    stop,
  };
}
