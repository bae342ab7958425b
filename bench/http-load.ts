// The HTTP port under load, against a standalone server process from the build:
//
//   1. REST writes (PUT setData) and reads (GET) with autocannon at 64 connections:
//      throughput and p50/p99 latency.
//   2. WebSocket watchers: N sockets, each a session with a recursive watch on one subtree;
//      a REST write every 200 ms, and the time until the LAST watcher has its event. N grows
//      until that time's p99 passes 100 ms (or the largest step is reached).
//
// The load generator runs on the same machine as the server (2 cores here): the numbers are
// those of server and clients sharing the CPU.
//
//   npm run build && node dist/bench/http-load.js [--seconds 10] [--watchers 250,500,1000,2000,5000,10000]

import autocannon from 'autocannon';
import WebSocket from 'ws';
import { delay, removeDir, round, Samples, startBenchServer, summarize, table } from './lib.js';

interface Options {
  seconds: number;
  connections: number;
  watcherSteps: number[];
  writesPerStep: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 10, connections: 64, watcherSteps: [250, 500, 1000, 2000, 5000, 10000], writesPerStep: 50 };
  for (let index = 0; index < argv.length; index += 2) {
    const value = argv[index + 1] ?? '';
    switch (argv[index]) {
      case '--seconds':
        options.seconds = Number(value);
        break;
      case '--connections':
        options.connections = Number(value);
        break;
      case '--watchers':
        options.watcherSteps = value.split(',').map(Number);
        break;
      case '--writes':
        options.writesPerStep = Number(value);
        break;
      default:
        throw new Error(`unknown option ${argv[index]}`);
    }
  }
  return options;
}

const KEYS = 1000;
const PAYLOAD = 'x'.repeat(100);

async function cannon(url: string, connections: number, seconds: number, method: 'GET' | 'PUT'): Promise<autocannon.Result> {
  let counter = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method,
        setupRequest: (request) => ({ ...request, path: `/v1/znodes/bench/key-${counter++ % KEYS}`, ...(method === 'PUT' ? { body: PAYLOAD } : {}) }),
      },
    ],
  });
}

function report(name: string, result: autocannon.Result): void {
  const ok = result['2xx'];
  process.stdout.write(
    `${name}\n${table([
      ['requests/s (mean)', round(result.requests.average, 0)],
      ['2xx / non-2xx / errors', `${ok} / ${result.non2xx} / ${result.errors}`],
      ['latency p50 ms', result.latency.p50],
      ['latency p99 ms', result.latency.p99],
      ['latency max ms', result.latency.max],
    ])}\n\n`,
  );
}

interface PendingWrite {
  sentMs: number;
  remaining: number;
  /** When the first watcher had the event. */
  firstMs?: number;
  done: (ms: number) => void;
}

interface Watcher {
  socket: WebSocket;
}

async function openWatchers(wsUrl: string, count: number, root: string, onEvent: (path: string) => void, opened: Watcher[]): Promise<void> {
  const batch = 200;
  while (opened.length < count) {
    const wave = Math.min(batch, count - opened.length);
    await Promise.all(
      Array.from({ length: wave }, () =>
        new Promise<void>((resolve, reject) => {
          const socket = new WebSocket(wsUrl, 'cairn.v1.json');
          socket.on('error', reject);
          socket.on('open', () => socket.send(JSON.stringify({ connect: { timeoutMs: 40_000 } })));
          socket.on('message', (data) => {
            const text = data.toString();
            if (text.startsWith('{"event"')) {
              // The path without a full parse: thousands of sockets share this process's CPU.
              const start = text.indexOf('"path":"') + 8;
              onEvent(text.slice(start, text.indexOf('"', start)));
            } else if (text.startsWith('{"connected"')) {
              socket.send(JSON.stringify({ request: { xid: '1', addWatch: { path: root, mode: 'ADD_WATCH_MODE_PERSISTENT_RECURSIVE' } } }));
            } else if (text.startsWith('{"response"')) {
              opened.push({ socket });
              resolve();
            }
          });
        }),
      ),
    );
  }
}

async function watcherStep(base: string, wsUrl: string, count: number, writes: number, watchers: Watcher[], root: string, pending: Map<string, PendingWrite>): Promise<{ p50: number; p99: number; max: number; firstP50: number; openMs: number }> {
  const started = Date.now();
  await openWatchers(wsUrl, count, root, (path) => {
    const entry = pending.get(path);
    if (entry === undefined) return;
    if (entry.firstMs === undefined) entry.firstMs = Date.now() - entry.sentMs;
    if (--entry.remaining === 0) {
      pending.delete(path);
      entry.done(Date.now() - entry.sentMs);
    }
  }, watchers);
  const openMs = Date.now() - started;
  const samples = new Samples();
  const firsts = new Samples();
  for (let write = 0; write < writes; write++) {
    const path = `${root}/n-${count}-${write}`;
    const delivered = new Promise<number>((resolve) => pending.set(path, { sentMs: Date.now(), remaining: watchers.length, done: resolve }));
    const entry = pending.get(path)!;
    entry.sentMs = Date.now();
    await fetch(`${base}/v1/znodes${path}`, { method: 'POST' });
    const timeout = delay(10_000).then(() => -1);
    const ms = await Promise.race([delivered, timeout]);
    if (ms < 0) throw new Error(`event of ${path} not delivered to every watcher within 10 s (${entry.remaining} missing)`);
    samples.add(ms * 1000);
    firsts.add((entry.firstMs ?? ms) * 1000);
    await delay(200);
  }
  const summary = summarize(samples.toArray());
  return { p50: summary.p50Ms, p99: summary.p99Ms, max: summary.maxMs, firstP50: summarize(firsts.toArray()).p50Ms, openMs };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const profileDir = process.env.CAIRN_BENCH_PROFILE_DIR;
  const server = await startBenchServer({ config: { maxSessionTimeout: 40_000 }, nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
  const serving = server.logs.find((entry) => entry.msg === 'cairn serving')!;
  const base = `http://127.0.0.1:${serving.httpPort as number}`;
  const wsUrl = `ws://127.0.0.1:${serving.httpPort as number}/v1/ws`;
  try {
    await fetch(`${base}/v1/znodes/bench`, { method: 'POST' });
    for (let key = 0; key < KEYS; key++) await fetch(`${base}/v1/znodes/bench/key-${key}`, { method: 'POST', body: PAYLOAD });
    process.stdout.write(`REST at ${options.connections} connections, ${options.seconds} s each, ${KEYS} keys of ${PAYLOAD.length} bytes\n\n`);
    report('writes: PUT /v1/znodes/bench/key-N (setData, fsynced)', await cannon(base, options.connections, options.seconds, 'PUT'));
    report('reads: GET /v1/znodes/bench/key-N (getData)', await cannon(base, options.connections, options.seconds, 'GET'));

    const root = '/watched';
    await fetch(`${base}/v1/znodes${root}`, { method: 'POST' });
    const watchers: Watcher[] = [];
    const pending = new Map<string, PendingWrite>();
    const heartbeat = setInterval(() => {
      for (const { socket } of watchers) socket.send('{"ping":{"id":"1"}}');
    }, 10_000);
    process.stdout.write(`WebSocket watchers: a recursive watch per socket, ${options.writesPerStep} REST writes per step; time until every watcher has the event\n`);
    for (const count of options.watcherSteps) {
      const result = await watcherStep(base, wsUrl, count, options.writesPerStep, watchers, root, pending);
      process.stdout.write(`${table([[`${count} watchers`, `last watcher p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms; first watcher p50 ${result.firstP50} ms (opening took ${result.openMs} ms)`]])}\n`);
      if (result.p99 > 1000) break; // far past the 100 ms mark: larger steps say nothing new
    }
    clearInterval(heartbeat);
    for (const { socket } of watchers) socket.terminate();
  } finally {
    await server.stop();
    await removeDir(server.dataDir);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
