// A real ZooKeeper 3.8 (Debian's `zookeeper` package) for differential tests, captures and the
// bench: standalone, on loopback, on a free port, with its own temporary dataDir, and stopped
// by the PID of the process this module started.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const LOG_CONFIG_DIR = '/etc/zookeeper/conf';
const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';

export function zookeeperInstalled(): boolean {
  return existsSync(ZOOKEEPER_JAR) && existsSync('/usr/bin/java');
}

export const ZKCLI_PATH = ZKCLI;

/**
 * Debian's zookeeper.jar lists netty-handler and netty-transport on its class path but not
 * netty-codec and netty-resolver, which ZooKeeper's Netty connections (its TLS, client and server)
 * need too: without them no TLS connection is ever made, and with the default logging nothing
 * says why.
 */
export const NETTY_TLS_JARS: readonly string[] = ['/usr/share/java/netty-codec.jar', '/usr/share/java/netty-resolver.jar'];

/** Java system properties that make ZooKeeper's client (zkCli, the Java client) speak TLS with PEM stores. */
export function zookeeperClientTlsFlags(trustStore: string, keyStore?: string): string[] {
  return [
    `-cp ${[LOG_CONFIG_DIR, ZOOKEEPER_JAR, ...NETTY_TLS_JARS].join(':')}`,
    '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
    '-Dzookeeper.client.secure=true',
    `-Dzookeeper.ssl.trustStore.location=${trustStore}`,
    '-Dzookeeper.ssl.trustStore.type=PEM',
    ...(keyStore === undefined ? [] : [`-Dzookeeper.ssl.keyStore.location=${keyStore}`, '-Dzookeeper.ssl.keyStore.type=PEM']),
  ];
}

export interface ZooKeeperProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  dataDir: string;
  output: () => string;
  /** 'Snapshot taken in N ms' of every snapshot so far, in order. */
  snapshotMs: number[];
  stop(): Promise<void>;
}

export interface ZooKeeperOptions {
  /** Extra zoo.cfg lines. */
  config?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
  /** An ensemble member: its id (written to myid), its client port; config holds the server.N lines. */
  member?: { myid: number; port: number };
  /** Java heap (-Xmx) in MiB; 256 unless given (zkServer.sh's own default is 1000). */
  heapMb?: number;
  /** Jars to add to the class path (NETTY_TLS_JARS for a secureClientPort). */
  extraClassPath?: readonly string[];
  /** Start on this existing data directory (a restart) instead of a new temporary one. */
  dataDir?: string;
  /** Leave the data directory in place when stopped (the caller removes it). */
  keepData?: boolean;
  /** The client port to listen on (a restart keeps its port); a free one when absent. */
  port?: number;
}

/** A port the OS says is free now; ZooKeeper cannot report the port it picked for clientPort=0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no TCP address'));
      server.close(() => resolve(address.port));
    });
  });
}

export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'zookeeper-real-')));
  const port = options.member?.port ?? options.port ?? (await freePort());
  if (options.member !== undefined) await writeFile(join(dataDir, 'myid'), `${options.member.myid}\n`);
  const settings: Record<string, string | number | boolean> = {
    tickTime: 2000,
    dataDir,
    clientPort: port,
    clientPortAddress: '127.0.0.1',
    'admin.enableServer': false,
    maxClientCnxns: 0,
    ...options.config,
  };
  const configFile = join(dataDir, 'zoo.cfg');
  await writeFile(configFile, `${Object.entries(settings).map(([key, value]) => `${key}=${value}`).join('\n')}\n`);
  const child = spawn(
    '/usr/bin/java',
    [
      `-Xmx${options.heapMb ?? 256}m`,
      `-Dzookeeper.log.dir=${dataDir}`,
      '-Dzookeeper.root.logger=INFO,CONSOLE',
      '-Dzookeeper.jmx.log4j.disable=true',
      '-cp',
      [LOG_CONFIG_DIR, ZOOKEEPER_JAR, ...(options.extraClassPath ?? [])].join(':'),
      options.member === undefined ? 'org.apache.zookeeper.server.ZooKeeperServerMain' : 'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      configFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  // The durations ZooKeeper reports for its snapshots, kept whole: the output tail may lose them.
  const snapshotMs: number[] = [];
  let partialLine = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop()!;
    for (const line of lines) {
      const match = /Snapshot taken in (\d+) ms/.exec(line);
      if (match !== null) snapshotMs.push(Number(match[1]));
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid!;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
    if (options.keepData !== true) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(port, child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { child, pid, port, dataDir, output: () => output, snapshotMs, stop };
}

async function waitUntilServing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('ZooKeeper exited during start-up');
    if ((await fourLetterWord(port, 'srvr').catch(() => '')).includes('Mode:')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('ZooKeeper did not start within the timeout');
}

/** Sends a four-letter word and returns everything the server writes before closing. */
export function fourLetterWord(port: number, word: string, host = '127.0.0.1', timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${word} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
