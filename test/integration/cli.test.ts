// The `cairn` command line (dist/src/cli/main.js) against a real server: usage and exit codes,
// the etcdctl-like one-shot commands in text and JSON, the zkCli-compatible shell fed a script on
// stdin, tab completion of paths, and `lock` / `elect` running commands under a lock and a
// leadership that other `cairn` processes respect.

import { execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completer } from '../../src/cli/client-commands.js';
import { connect, type Cairn } from '../../src/client/index.js';
import { CLI, removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cairn(args: string[], input?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

const at = (): string[] => ['--server', server.grpcAddress];

describe('usage', () => {
  it('exits 2 with the usage for no command, an unknown one, a bad option or a missing argument; 0 for --help and --version', async () => {
    for (const args of [[], ['frobnicate'], ['get'], ['get', '--frob', '/'], ['server', '--bogus'], ['ensemble', '--size', 'x'], ['lock', '/l'], ['get', '--output', 'yaml', '/']]) {
      const run = await cairn(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/usage: cairn/);
    }
    const version = await cairn(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: 'cairn 0.1.0\n' });
    for (const command of ['server', 'ensemble', 'shell', 'get', 'put', 'ls', 'rm', 'watch', 'lock', 'elect']) {
      const help = await cairn([command, '--help']);
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      expect(help.stdout).toContain(`usage: cairn ${command}`);
    }
    expect((await cairn(['--help'])).stdout).toContain('cairn shell');
  });
});

describe('one-shot commands', () => {
  it('put, get, ls, rm in text and JSON, and errors as zkCli words them with exit 1', async () => {
    expect(await cairn(['put', ...at(), '/cli', 'root'])).toMatchObject({ code: 0, stdout: 'created /cli\n' });
    expect(await cairn(['put', ...at(), '/cli', 'again'])).toMatchObject({ code: 0, stdout: 'OK (version 1)\n' });
    await cairn(['put', ...at(), '/cli/a', 'x']);
    await cairn(['put', ...at(), '/cli/a/b', 'y']);
    expect(await cairn(['get', ...at(), '/cli'])).toMatchObject({ code: 0, stdout: 'again\n' });
    const json = JSON.parse((await cairn(['get', ...at(), '--output', 'json', '/cli'])).stdout);
    expect(json).toMatchObject({ path: '/cli', data: 'again', stat: { version: 1, numChildren: 1 } });
    expect((await cairn(['get', ...at(), '-s', '/cli'])).stdout).toMatch(/^again\ncZxid = 0x[0-9a-f]+\n[\s\S]*dataVersion = 1\n/);
    expect(await cairn(['ls', ...at(), '/cli'])).toMatchObject({ code: 0, stdout: 'a\n' });
    expect(JSON.parse((await cairn(['ls', ...at(), '-R', '--output=json', '/cli'])).stdout)).toEqual({ path: '/cli', paths: ['/cli', '/cli/a', '/cli/a/b'] });
    const missing = await cairn(['get', ...at(), '/cli/none']);
    expect(missing).toMatchObject({ code: 1, stderr: 'cairn: Node does not exist: /cli/none\n' });
    expect(JSON.parse((await cairn(['get', ...at(), '--output', 'json', '/cli/none'])).stdout)).toEqual({ error: { code: -101, name: 'NoNode', path: '/cli/none', message: expect.any(String) } });
    expect((await cairn(['rm', ...at(), '/cli/a'])).code).toBe(1); // not empty
    expect((await cairn(['rm', ...at(), '-r', '/cli/a'])).code).toBe(0);
    expect(await cairn(['ls', ...at(), '/cli'])).toMatchObject({ code: 0, stdout: '' });
  });

  it('takes the server from CAIRN_SERVER, and fails over a list of servers with one down', async () => {
    expect((await cairn(['get', '/cli'], undefined, { CAIRN_SERVER: server.grpcAddress })).stdout).toBe('again\n');
    expect((await cairn(['get', '--server', `127.0.0.1:1,${server.grpcAddress}`, '/cli'])).stdout).toBe('again\n');
  });

  it('watch -r prints the events of a subtree as they happen, --count of them', async () => {
    const child = spawn(process.execPath, [CLI, 'watch', ...at(), '-r', '--count', '3', '--output', 'json', '/cli'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitFor(() => stdout.includes('"watching"'), 30_000, 'the watch to be set');
    await cairn(['put', ...at(), '/cli/w', '1']);
    await cairn(['put', ...at(), '/cli/w', '2']);
    await cairn(['rm', ...at(), '/cli/w']);
    expect(await exited).toBe(0);
    const events = stdout.trim().split('\n').slice(1).map((line) => JSON.parse(line) as { type: string; path: string });
    expect(events.map((event) => `${event.type} ${event.path}`)).toEqual(['NodeCreated /cli/w', 'NodeDataChanged /cli/w', 'NodeDeleted /cli/w']);
  });
});

describe('the shell', () => {
  it("runs zkCli's commands from stdin with zkCli's output", async () => {
    const script = [
      'create /sh hello',
      'create -e /sh/eph',
      'create -s /sh/seq- s',
      'ls /sh',
      'get /sh',
      'set /sh world',
      'get -s /sh',
      'set -v 0 /sh stale',
      'stat /sh/eph',
      'getAcl /sh',
      'addauth digest alice:secret',
      'create /sh/alice a digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:cdrwa',
      'getAcl /sh/alice',
      'whoami',
      'getAllChildrenNumber /sh',
      'getEphemerals /sh',
      'sync /sh',
      'setquota -n 10 /sh',
      'listquota /sh',
      'delquota /sh',
      'get /nowhere',
      'delete /sh',
      'deleteall /sh',
      'ls /sh',
      'frob',
      'quit',
    ].join('\n');
    const run = await cairn(['shell', ...at()], `${script}\n`);
    expect(run.code).toBe(0);
    const out = run.stdout.split('\n');
    expect(out).toEqual(
      expect.arrayContaining([
        'Created /sh',
        'Created /sh/eph',
        'Created /sh/seq-0000000001',
        '[eph, seq-0000000001]',
        'hello',
        'world',
        'dataVersion = 1',
        "'world,'anyone",
        ': cdrwa',
        "'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=",
        'Auth scheme: User',
        'digest: alice',
        '3',
        '[/sh/eph]',
        'Sync is OK',
        'absolute path is /zookeeper/quota/sh/zookeeper_limits',
      ]),
    );
    expect(out.some((line) => line.startsWith('Output quota for /sh count=10,bytes=-1'))).toBe(true);
    expect(out.some((line) => line.startsWith('ephemeralOwner = 0x') && line !== 'ephemeralOwner = 0x0')).toBe(true);
    expect(run.stderr).toContain('version No is not valid : /sh');
    expect(run.stderr).toContain('Node does not exist: /nowhere');
    expect(run.stderr).toContain('Node not empty: /sh');
    expect(run.stderr).toContain('Node does not exist: /sh'); // ls after deleteall
    expect(run.stderr).toContain('Command not found');
  });

  it('completes commands and paths with Tab', async () => {
    const client: Cairn = await connect({ servers: [server.grpcAddress] });
    try {
      for (const name of ['alpha', 'alps', 'beta']) await client.create(`/complete-${name}`, null);
      await client.create('/complete-alpha/child', null);
      const complete = completer(client);
      expect(await complete('getA')).toEqual([['getAcl', 'getAllChildrenNumber'], 'getA']);
      expect(await complete('ls /complete-al')).toEqual([['/complete-alpha', '/complete-alps'], '/complete-al']);
      expect(await complete('get /complete-alpha/')).toEqual([['/complete-alpha/child'], '/complete-alpha/']);
      expect(await complete('get /nowhere/x')).toEqual([[], '/nowhere/x']);
    } finally {
      await client.close();
    }
  });
});

describe('lock and elect', () => {
  it('cairn lock runs commands one at a time and passes on their exit code', async () => {
    const command = (tag: string) => ['lock', ...at(), '/cli-lock', '--', 'sh', '-c', `echo start ${tag} $(date +%s%N); sleep 0.4; echo end ${tag} $(date +%s%N); exit 3`];
    const runs = await Promise.all(['one', 'two', 'three'].map((tag) => cairn(command(tag))));
    const intervals = runs.map((run) => {
      expect(run.code).toBe(3);
      const [start, end] = run.stdout.trim().split('\n').map((line) => BigInt(line.split(' ')[2]!));
      return [start!, end!] as const;
    });
    intervals.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (let index = 1; index < intervals.length; index++) expect(intervals[index]![0] >= intervals[index - 1]![1]).toBe(true);
  });

  it('cairn elect runs the command only while leader; the next takes over when the leader dies', async () => {
    const first = spawn(process.execPath, [CLI, 'elect', ...at(), '--session-timeout', '2000', '--id', 'first', '/cli-elect', '--', 'sh', '-c', 'echo leading first; exec sleep 5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let firstOut = '';
    first.stdout.on('data', (chunk) => (firstOut += chunk.toString()));
    await waitFor(() => firstOut.includes('leading first'), 30_000, 'the first to lead');
    const second = cairn(['elect', ...at(), '--id', 'second', '/cli-elect', '--', 'sh', '-c', 'echo leading second']);
    await new Promise((done) => setTimeout(done, 1_000));
    first.kill('SIGKILL'); // its session expires after 2 s, and its command is orphaned (it only sleeps)
    const run = await second;
    expect(run).toMatchObject({ code: 0, stdout: 'leading second\n' });
  });
});
