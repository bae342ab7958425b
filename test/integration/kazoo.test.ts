// kazoo (ZooKeeper's Python client, Debian's python3-kazoo) against a real `cairn server`: the
// bugs users of it met, each pinned.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';
import { describeWith, itWith } from '../support/requirements.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';

/** Runs a Python script with kazoo connected to `port` as `zk`; resolves with what it printed. */
function kazoo(port: number, body: string): Promise<string> {
  const script = [
    'from kazoo.client import KazooClient',
    'from kazoo.security import ACL, Id, Permissions',
    `zk = KazooClient(hosts='127.0.0.1:${port}')`,
    'zk.start(timeout=30)',
    'try:',
    ...body.split('\n').map((line) => `    ${line}`),
    'finally:',
    '    zk.stop()',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', script], { timeout: 60_000 }, (error, stdout, stderr) => (error === null ? resolve(stdout) : reject(new Error(`${error.message}\n${stderr}`))));
  });
}

describeWith('kazoo', 'kazoo', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  itWith('kazoo', "an ACL of Id('auth', '') (kazoo sends its empty id as null) takes the session's digest identity, or is InvalidACL without one", async () => {
    const output = await kazoo(
      server.clientPort,
      [
        'try:',
        "    zk.create('/kazoo-auth-none', b'x', acl=[ACL(Permissions.ALL, Id('auth', ''))])",
        'except Exception as error:',
        "    print('without auth:', type(error).__name__)",
        "zk.add_auth('digest', 'alice:secret')",
        "zk.create('/kazoo-auth', b'x', acl=[ACL(Permissions.ALL, Id('auth', ''))])",
        "acl, _ = zk.get_acls('/kazoo-auth')",
        "print('acl:', acl[0].id.scheme, acl[0].id.id, acl[0].perms)",
      ].join('\n'),
    );
    expect(output).toContain('without auth: InvalidACLError');
    // alice:base64(sha1("alice:secret")), as DigestAuthenticationProvider makes it.
    expect(output).toContain('acl: digest alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E= 31');
  }, 90_000);
});
