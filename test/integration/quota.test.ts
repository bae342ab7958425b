// Quotas against a real server process with enforceQuota=true: zkCli's setquota / listquota and
// the refusal it prints, the same zkCli session against a real ZooKeeper 3.8 (the answers must be
// the same), and the same refusal over gRPC (session stream and unary), REST and WebSocket.

import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrpcCairnClient } from '../../src/client/channel.js';
import type { CairnClient } from '../../src/client/session.js';
import { ERRORS } from '../../src/core/errors.js';
import { CreateMode, OPEN_ACL_UNSAFE } from '../../src/core/types.js';
import { runZkCli } from '../jute/scripts.js';
import { describeWith } from '../support/requirements.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { connect, expectKeeperError, expectStatus, rawClient, rawUnary, uniquePath } from './grpc-helpers.js';
import { call, jsonBody, WsSession } from './http-helpers.js';
import { startSideBySide, type SideBySide } from './side-by-side.js';
import type { ZooKeeperProcess } from './zookeeper-process.js';

const QUOTA_EXCEEDED = ERRORS.QuotaExceeded.code;
const ENFORCING = { enforceQuota: true } as const;

/** zkCli's session: a hard count quota, creates until one is refused, a setData over a byte quota. */
const ZKCLI_COMMANDS = [
  'create /q',
  'setquota -N 2 /q',
  'get /zookeeper/quota/q/zookeeper_limits',
  'get /zookeeper/quota/q/zookeeper_stats',
  'create /q/a',
  'create /q/b',
  'create /q/c',
  'listquota /q',
  'delete /q/a',
  'create /q/b',
  'listquota /q',
  'setquota -B 6 /q',
  'set /q/b 1234567',
  'set /q/b 123456',
  'listquota /q',
  // Lowering a byte quota below the usage: even a smaller setData is refused, a delete is not.
  'create /x',
  'setquota -B 20 /x',
  'create /x/a 123456789012345',
  'setquota -B 10 /x',
  'set /x/a 123456789012',
  'delete /x/a',
  'listquota /x',
  'create /s',
  'setquota -n 1 /s',
  'create /s/a 12',
  'create /s/b',
  'listquota /s',
  'create /s/b/c',
  'setquota -n 5 /s/b',
  'delquota /s',
  'listquota /s',
];

/** The lines of zkCli's output that answer commands (connection events print from another thread). */
function answers(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() !== '' && line !== 'WATCHER::' && !/^WatchedEvent state:\w+ type:None path:null$/.test(line));
}

describeWith(['zkCli', 'java'], 'quotas through zkCli.sh', () => {
  let cairn: ServerProcess;

  beforeAll(async () => {
    cairn = await startServerProcess({ config: ENFORCING });
  });

  afterAll(async () => {
    await cairn?.stop();
    if (cairn !== undefined) await removeDir(cairn.dataDir);
  });

  it('setquota -N 2 /q: one child is allowed, the next is refused, and listquota shows the stats kept', async () => {
    const output = answers(await runZkCli(`127.0.0.1:${cairn.clientPort}`, ZKCLI_COMMANDS));
    expect(output).toEqual(expect.arrayContaining(['count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2', 'count=1,bytes=0', 'Created /q/a']));
    expect(output).toContain('Quota has exceeded : /q/b');
    expect(output).toContain('Quota has exceeded : /q/c');
    expect(output).toContain('Output stat for /q count=2,bytes=0');
    // After the delete there is room for /q/b again.
    expect(output.filter((line) => line === 'Created /q/b')).toHaveLength(1);
    // setquota -B 6: seven bytes are refused, six allowed.
    expect(output).toContain('Quota has exceeded : /q/b');
    expect(output).toContain('Output stat for /q count=2,bytes=6');
    expect(output).toEqual(expect.arrayContaining(['Quota has exceeded : /x/a', 'Output stat for /x count=1,bytes=0']));
    // Soft limits only warn (on the server): both creates under /s succeed.
    expect(output).toEqual(expect.arrayContaining(['Created /s/a', 'Created /s/b', 'Output stat for /s count=3,bytes=2']));
    // zkCli itself refuses a quota below one that exists; delquota removes the quota nodes.
    expect(output).toContain('/s/b has a parent /s which has a quota');
  });
});

describeWith(['zookeeper', 'zkCli', 'java'], 'quotas: the same zkCli session against ZooKeeper 3.8 and Cairn', () => {
  let zookeeper: ZooKeeperProcess;
  let cairn: ServerProcess;
  let both: SideBySide | undefined;

  beforeAll(async () => {
    both = await startSideBySide(ENFORCING);
    ({ zookeeper, cairn } = both);
  });

  afterAll(async () => {
    await both?.stop();
  });

  it('prints the same answers', async () => {
    const [expected, actual] = await Promise.all([runZkCli(`127.0.0.1:${zookeeper.port}`, ZKCLI_COMMANDS), runZkCli(`127.0.0.1:${cairn.clientPort}`, ZKCLI_COMMANDS)]);
    expect(answers(expected)).toContain('Quota has exceeded : /q/b');
    // zkCli prints some answers on stdout and others on stderr, and the two pipes interleave
    // differently from run to run (a create's answer came before or after the listquota above it):
    // the same answers, in any order.
    expect([...answers(actual)].sort()).toEqual([...answers(expected)].sort());
  });
});

describe('quotas over gRPC, REST and WebSocket', () => {
  let server: ServerProcess;
  let client: CairnClient;
  let raw: GrpcCairnClient;
  let base: string;

  beforeAll(async () => {
    server = await startServerProcess({ config: ENFORCING });
    client = await connect(server.grpcAddress);
    raw = rawClient(server.grpcAddress);
    base = `http://127.0.0.1:${server.httpPort}`;
  });

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    raw?.close();
    if (server !== undefined) {
      await server.stop();
      await removeDir(server.dataDir);
    }
  });

  /** What zkCli's `setquota -N <count> <subject>` writes, through the session stream. */
  async function setHardCountQuota(subject: string, count: number): Promise<void> {
    await client.create(subject, null);
    await client.create(`/zookeeper/quota${subject}`, null);
    await client.create(`/zookeeper/quota${subject}/zookeeper_limits`, `count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=${count}`);
    await client.create(`/zookeeper/quota${subject}/zookeeper_stats`, 'count=0,bytes=0');
  }

  const stats = async (subject: string) => Buffer.from((await client.getData(`/zookeeper/quota${subject}/zookeeper_stats`)).data ?? []).toString();

  it('gRPC: the session stream and unary calls are refused with RESOURCE_EXHAUSTED and zk-code -125', async () => {
    const subject = uniquePath('quota-grpc');
    await setHardCountQuota(subject, 2);
    await client.create(`${subject}/a`, 'x');
    const refused = await expectKeeperError(client.create(`${subject}/b`, null), QUOTA_EXCEEDED);
    expect(refused.codeName).toBe('QuotaExceeded');
    expect(refused.path).toBe(`${subject}/b`);
    const unary = await rawUnary(raw, 'Create', { path: `${subject}/c`, acl: OPEN_ACL_UNSAFE, mode: CreateMode.PERSISTENT });
    expectStatus(unary, grpc.status.RESOURCE_EXHAUSTED, QUOTA_EXCEEDED, 'QuotaExceeded');
    // A multi fails as a whole at the op that goes over.
    const results = await client.multi([
      { op: 'delete', path: `${subject}/a`, version: -1 },
      { op: 'create', path: `${subject}/b`, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
      { op: 'create', path: `${subject}/c`, data: null, acl: [...OPEN_ACL_UNSAFE], mode: CreateMode.PERSISTENT },
    ]);
    expect(results).toEqual([
      { op: 'error', code: 0 },
      { op: 'error', code: 0 },
      { op: 'error', code: QUOTA_EXCEEDED },
    ]);
    expect(await stats(subject)).toBe('count=2,bytes=1');
  });

  it('REST: 429 problem+json naming QuotaExceeded, for create, setData and multi', async () => {
    const subject = uniquePath('quota-rest');
    await setHardCountQuota(subject, 2);
    await client.setData(`/zookeeper/quota${subject}/zookeeper_limits`, 'count=-1,bytes=-1=;byteHardLimit=4;countHardLimit=2');
    expect((await call(base, 'POST', `/v1/znodes${subject}/a`, { body: 'abc' })).status).toBe(201);
    const create = await call(base, 'POST', `/v1/znodes${subject}/b`);
    expect(create.status).toBe(429);
    expect(create.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(create.json).toMatchObject({ status: 429, code: QUOTA_EXCEEDED, name: 'QuotaExceeded', path: `${subject}/b` });
    const set = await call(base, 'PUT', `/v1/znodes${subject}/a`, { body: 'abcde' });
    expect(set.status).toBe(429);
    expect(set.json).toMatchObject({ code: QUOTA_EXCEEDED, name: 'QuotaExceeded' });
    const multi = await call(base, 'POST', '/v1/txn', jsonBody({ ops: [{ op: 'create', path: `${subject}/m`, data: '' }] }));
    expect(multi.status).toBe(429);
    expect(multi.json).toMatchObject({ name: 'QuotaExceeded', results: [{ code: QUOTA_EXCEEDED }] });
    expect(await stats(subject)).toBe('count=2,bytes=3');
  });

  it('WebSocket: the error names QuotaExceeded and its code', async () => {
    const subject = uniquePath('quota-ws');
    await setHardCountQuota(subject, 1);
    const session = await WsSession.open(`ws://127.0.0.1:${server.httpPort}/v1/ws`);
    try {
      await session.connect(10_000);
      const response = await session.request({ create: { path: `${subject}/a`, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], mode: 'CREATE_MODE_PERSISTENT' } });
      expect(response.error).toMatchObject({ code: QUOTA_EXCEEDED, name: 'QuotaExceeded', path: `${subject}/a` });
    } finally {
      session.close();
    }
  });
});
