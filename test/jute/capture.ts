// Records what a real ZooKeeper 3.8 (Debian's package) says to real clients, as data for the
// byte-level tests in test/jute/captures/. Run after `npm run build`:
//
//   node dist/test/jute/capture.js
//
// Scenarios: ZooKeeper's Java client (ScriptedSession.java) and node-zookeeper-client through a
// recording proxy, and the raw probes of probes.ts on their own connections.

import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startZooKeeper } from '../integration/zookeeper-process.js';
import { startFrameProxy } from './frame-proxy.js';
import { PROBES, runProbe } from './probes.js';
import { runJavaScript, runNzcScript } from './scripts.js';

const REPOSITORY_ROOT = resolve(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../../..' : '../..');
export const CAPTURE_DIR = resolve(REPOSITORY_ROOT, 'test/jute/captures');

/** The server settings every capture (and every replay against Cairn) uses. */
export const CAPTURE_SERVER_CONFIG = { extendedTypesEnabled: true, '4lw.commands.whitelist': '*' } as const;

async function captureClient(name: string, client: string, run: (connectionString: string) => Promise<string[]>): Promise<void> {
  const zookeeper = await startZooKeeper({ config: CAPTURE_SERVER_CONFIG });
  try {
    const proxy = await startFrameProxy(zookeeper.port);
    const output = await run(`127.0.0.1:${proxy.port}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));
    await proxy.close();
    const file = resolve(CAPTURE_DIR, `${name}.json`);
    await writeFile(file, `${JSON.stringify({ server: 'ZooKeeper 3.8.0 (Debian zookeeper package), standalone', client, output, frames: proxy.frames }, null, 1)}\n`);
    process.stdout.write(`${file}: ${proxy.frames.length} frames\n`);
  } finally {
    await zookeeper.stop();
  }
}

async function captureProbes(): Promise<void> {
  const zookeeper = await startZooKeeper({ config: CAPTURE_SERVER_CONFIG });
  try {
    const results: Record<string, unknown> = {};
    for (const probe of PROBES) {
      results[probe.name] = await runProbe(zookeeper.port, probe);
      process.stdout.write(`probe ${probe.name}: ${JSON.stringify(results[probe.name])}\n`);
    }
    await writeFile(resolve(CAPTURE_DIR, 'probes.json'), `${JSON.stringify({ server: 'ZooKeeper 3.8.0 (Debian zookeeper package), standalone', results }, null, 1)}\n`);
  } finally {
    await zookeeper.stop();
  }
}

async function main(): Promise<void> {
  await mkdir(CAPTURE_DIR, { recursive: true });
  await captureClient('java-client', 'ZooKeeper 3.8.0 Java client (test/jute/ScriptedSession.java)', (connection) => runJavaScript(connection));
  await captureClient('node-zookeeper-client', 'node-zookeeper-client 1.1.3', (connection) => runNzcScript(connection));
  await captureProbes();
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
