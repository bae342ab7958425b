// `cairn ensemble`: a local ensemble of real server processes on 127.0.0.1 (ZooKeeper's
// pseudo-distributed mode). Each server gets DIR/<id> with its myid and zoo.cfg; an existing
// zoo.cfg there is reused, so a second run restarts the same ensemble on the same data.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.js';

export const ENSEMBLE_USAGE = 'usage: cairn ensemble --size N [--observers M] --data-dir DIR [--base-port P]';

interface EnsembleArgs {
  size: number;
  observers: number;
  dataDir: string;
  basePort: number | null;
}

function parseArgs(argv: string[]): EnsembleArgs {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (!['--size', '--observers', '--data-dir', '--base-port'].includes(flag)) throw new UsageError(`unknown option '${arg}'`, ENSEMBLE_USAGE);
    const value = inline ?? argv[++index];
    if (value === undefined) throw new UsageError(`${flag} needs a value`, ENSEMBLE_USAGE);
    values.set(flag, value);
  }
  const number = (flag: string, fallback: number | null): number | null => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a whole number, not '${text}'`, ENSEMBLE_USAGE);
    return Number(text);
  };
  const size = number('--size', null);
  const dataDir = values.get('--data-dir');
  if (size === null || size < 1 || dataDir === undefined) throw new UsageError('--size and --data-dir are needed', ENSEMBLE_USAGE);
  const basePort = number('--base-port', null);
  if (basePort !== null && (basePort < 1 || basePort + (size + (number('--observers', 0) ?? 0)) * 10 > 65535)) throw new UsageError(`--base-port ${basePort} leaves no room for the ports`, ENSEMBLE_USAGE);
  return { size, observers: number('--observers', 0)!, dataDir: resolve(dataDir), basePort };
}

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((done) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => done(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

/** Five ports per server: client (ZooKeeper protocol), gRPC, HTTP, quorum, election. */
async function portsFor(args: EnsembleArgs, count: number): Promise<number[][]> {
  if (args.basePort !== null) return Array.from({ length: count }, (_, index) => [0, 1, 2, 3, 4].map((offset) => args.basePort! + index * 10 + offset));
  const flat = await freePorts(count * 5);
  return Array.from({ length: count }, (_, index) => flat.slice(index * 5, index * 5 + 5));
}

function writeConfigs(args: EnsembleArgs, ports: number[][]): string[] {
  const count = args.size + args.observers;
  const serverLines = ports.map(([, , , quorum, election], index) => `server.${index + 1}=127.0.0.1:${quorum}:${election}${index >= args.size ? ':observer' : ''}`);
  return ports.map(([client, grpc, http], index) => {
    const id = index + 1;
    const dir = join(args.dataDir, String(id));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'zoo.cfg');
    if (!existsSync(file)) {
      writeFileSync(join(dir, 'myid'), `${id}\n`);
      const lines = ['tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=${dir}`, 'clientPortAddress=127.0.0.1', `clientPort=${client}`, `grpcPort=${grpc}`, `httpPort=${http}`, ...serverLines];
      writeFileSync(file, `${lines.join('\n')}\n`);
    }
    if (count !== serverLines.length) throw new Error('one config per server');
    return file;
  });
}

export async function runEnsemble(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const count = args.size + args.observers;
  const configs = writeConfigs(args, await portsFor(args, count));
  const cli = fileURLToPath(new URL('./main.js', import.meta.url));
  const children: ChildProcess[] = configs.map((config, index) => {
    const child = spawn(process.execPath, [cli, 'server', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const id = index + 1;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        let entry: Record<string, unknown> | null = null;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = null;
        }
        if (entry?.msg === 'cairn serving') {
          process.stdout.write(
            `server ${id}${id > args.size ? ' (observer)' : ''}: ZooKeeper protocol 127.0.0.1:${entry.clientPort}  gRPC 127.0.0.1:${entry.grpcPort}  HTTP http://127.0.0.1:${entry.httpPort}  data ${readFileSync(configs[index]!, 'utf8').match(/dataDir=(.*)/)?.[1]}\n`,
          );
        } else if (entry?.msg === 'replication role changed') {
          process.stdout.write(`server ${id}: ${String(entry.role)}${entry.serving === true ? ', serving' : ''}\n`);
        } else if (entry === null || (typeof entry.level === 'number' && entry.level >= 40)) {
          process.stderr.write(`[${id}] ${line}\n`);
        }
      });
    }
    child.on('exit', (code, signal) => process.stdout.write(`server ${id} exited (${code ?? signal})\n`));
    return child;
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await Promise.all(children.map((child) => new Promise((done) => (child.exitCode === null ? child.on('exit', done) : done(null)))));
}
