// The proto as a non-Node user gets it: compiled by Debian's protoc 3.21 (proto3 `optional`
// included) and called from Python with grpcio's generic stubs (test/python/contract.py) against
// a real server: the README's Create without an ACL, versions left out, a failed Multi read from
// its status and details, a percent-encoded zk-path, and a session stream.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { describeWith, itWith } from '../support/requirements.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');

// google.rpc.Status as it travels in grpc-status-details-bin (Any's two fields inline): written
// here so the test needs no googleapis protos.
const RICH_STATUS_PROTO = `syntax = "proto3";
package google.rpc;
message Status {
  int32 code = 1;
  string message = 2;
  message Any {
    string type_url = 1;
    bytes value = 2;
  }
  repeated Any details = 3;
}
`;

describeWith(['protoc', 'grpcio'], 'a Python client built from proto/cairn.proto with protoc 3.21 and grpcio', () => {
  let server: ServerProcess;
  let generated: string;

  beforeAll(async () => {
    generated = await mkdtemp(join(tmpdir(), 'cairn-python-'));
    await writeFile(join(generated, 'rich_status.proto'), RICH_STATUS_PROTO);
    execFileSync('/usr/bin/protoc', [`-I${join(ROOT, 'proto')}`, `--python_out=${generated}`, 'cairn.proto'], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('/usr/bin/protoc', [`-I${generated}`, `--python_out=${generated}`, 'rich_status.proto'], { stdio: ['ignore', 'pipe', 'pipe'] });
    server = await startServerProcess();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
    if (generated !== undefined) await rm(generated, { recursive: true, force: true });
  });

  itWith(['protoc', 'grpcio'], 'compiles, and every check of the contract holds from Python', async () => {
    const output = await new Promise<string>((resolvePromise, reject) => {
      execFile('/usr/bin/python3', [join(ROOT, 'test', 'python', 'contract.py'), server.grpcAddress, generated, String(process.pid)], { timeout: 90_000 }, (error, stdout, stderr) =>
        error === null ? resolvePromise(stdout) : reject(new Error(`${error.message}\n${stdout}\n${stderr}`)),
      );
    });
    const checks = Object.fromEntries(
      output
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { check: string })
        .map(({ check, ...facts }) => [check, facts]),
    );
    const base = `/python-${process.pid}`;
    expect(checks).toEqual({
      'create without an ACL': { path: base, acl: [[31, 'world', 'anyone']] },
      versions: { unversioned: [1, 2], explicit_zero_has_field: true, explicit_zero: 'FAILED_PRECONDITION', zk_name: 'BadVersion' },
      'failed multi': { status: 'NOT_FOUND', zk_code: '-101', zk_path: `${base}/missing`, detail_code: 5, results: [['error', 0], ['error', -101]] },
      'after the failed multi': { data: '1' },
      'percent-encoded zk-path': { status: 'NOT_FOUND', decoded: true, raw: expect.stringMatching(/^[\x20-\x7e]+$/) },
      'session stream': {
        seen: [
          ['connected'],
          ['response', 1, 'create'],
          ['response', 2, 'get_data'],
          ['event', 'EVENT_TYPE_NODE_DATA_CHANGED', true],
          ['response', 3, 'set_data'],
          ['closed', 'CLOSE_REASON_CLOSED'],
        ],
      },
      'ephemeral gone with the session': { status: 'NOT_FOUND' },
      'delete without a version': { done: true },
    });
  });
});
