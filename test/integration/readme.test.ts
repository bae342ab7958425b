// The README's examples run as written: its TypeScript SDK example (compiled as an application
// would, importing `cairn/client`) and its command-line block (with `cairn` on the PATH), both
// against a real server named by CAIRN_SERVER.

import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, removeDir, startServerProcess, type ServerProcess } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
// Inside the package, so that `cairn/client` resolves to this build (package.json exports).
const WORK = join(ROOT, 'dist', 'readme-check');

/** The first fenced block of `language` after the heading `heading`. */
function blockAfter(heading: string, language: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, `README has "${heading}"`).toBeGreaterThan(0);
  const fence = README.indexOf(`\n\`\`\`${language}\n`, start);
  const end = README.indexOf('\n```\n', fence + 1);
  return README.slice(fence + language.length + 5, end + 1);
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd: WORK, timeout: 60_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });
}

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
  mkdirSync(join(WORK, 'bin'), { recursive: true });
  writeFileSync(join(WORK, 'bin', 'cairn'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  chmodSync(join(WORK, 'bin', 'cairn'), 0o755);
});

afterAll(async () => {
  rmSync(WORK, { recursive: true, force: true });
  await server?.stop();
  if (server !== undefined) await removeDir(server.dataDir);
});

describe('the README', () => {
  it('SDK example runs as written', async () => {
    const source = blockAfter('## The TypeScript SDK', 'ts');
    expect(source).toContain("from 'cairn/client'");
    const { code: javascript } = transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' });
    writeFileSync(join(WORK, 'sdk-example.mjs'), javascript);
    const result = await run(process.execPath, [join(WORK, 'sdk-example.mjs')], { CAIRN_SERVER: server.grpcAddress });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual(['again', 'true', 'event 3 /readme', 'holding the lock', 'connection CLOSED', '']);
  });

  it('command-line block runs as written', async () => {
    const script = blockAfter('## Using Cairn from the command line', 'sh');
    const result = await run('/bin/sh', ['-e', '-c', script], { CAIRN_SERVER: server.grpcAddress, PATH: `${join(WORK, 'bin')}:${process.env.PATH ?? ''}`, HOME: WORK });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toEqual(expect.arrayContaining(['created /app/config', '{"color":"blue"}', '/app', '/app/config', 'deploying under the lock', 'running as the leader', '[config]', "'world,'anyone", ': cdrwa']));
    expect(lines.some((line) => line.startsWith('{"path":"/app/config","data":"{\\"color\\":\\"blue\\"}"'))).toBe(true);
  });
});
