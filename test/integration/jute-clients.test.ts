// Stock ZooKeeper clients against a Cairn server process: node-zookeeper-client (npm) and
// zkCli.sh (Debian's zookeeper package). Sessions that expire and resume, watches, ACLs, multi,
// four-letter words, limits, and a lock recipe with many concurrent holders.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFrameProxy } from '../jute/frame-proxy.js';
import { acl, NzcClient, outcome, zookeeper } from '../jute/nzc.js';
import { connectRequest } from '../jute/probes.js';
import { runZkCli } from '../jute/scripts.js';
import { itWith } from '../support/requirements.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { fourLetterWord } from './zookeeper-process.js';

describe('stock ZooKeeper clients against Cairn', () => {
  let server: ServerProcess;
  let address: string;

  beforeAll(async () => {
    // tickTime 500 ms allows 1 s sessions, so expiry is quick to see.
    server = await startServerProcess({ config: { tickTime: 500, '4lw.commands.whitelist': '*', maxClientCnxns: 40 } });
    address = `127.0.0.1:${server.clientPort}`;
  });

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  it('node-zookeeper-client: CRUD, sequential and ephemeral nodes, ACL with digest auth, watches, multi', async () => {
    const client = await NzcClient.connect(address);
    const other = await NzcClient.connect(address);
    try {
      expect(await client.create('/crud', Buffer.from('v1'))).toBe('/crud');
      expect(await outcome(client.create('/crud'))).toBe('NODE_EXISTS');
      const first = await client.create('/crud/q-', null, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL);
      const second = await client.create('/crud/q-', null, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
      expect([first, second]).toEqual(['/crud/q-0000000000', '/crud/q-0000000001']);

      await other.getData('/crud', true);
      await other.getChildren('/crud', true);
      const stat = await client.setData('/crud', Buffer.from('v2'), 0);
      expect(stat.version).toBe(1);
      await client.remove(first);
      await waitFor(() => other.events.length === 2, 5000, 'two notifications');
      expect(other.events).toEqual(['NODE_DATA_CHANGED:/crud', 'NODE_CHILDREN_CHANGED:/crud']);
      expect((await other.getData('/crud')).data?.toString()).toBe('v2');

      client.addAuth('digest', 'dora:secret');
      await client.create('/crud/private', Buffer.from('p'), 0, acl([[31, 'auth', '']]));
      expect(await outcome(other.getData('/crud/private'))).toBe('NO_AUTH');
      expect((await client.getData('/crud/private')).data?.toString()).toBe('p');
      other.addAuth('digest', 'dora:secret');
      expect((await other.getData('/crud/private')).data?.toString()).toBe('p');

      const results = await client.multi([
        ['create', '/crud/m', Buffer.from('m'), 0],
        ['setData', '/crud', Buffer.from('v3'), 1],
        ['check', '/crud', 2],
      ]);
      expect(results.map((result) => result.type)).toEqual([1, 5, 13]);
      // (node-zookeeper-client turns a check of version 0 into -1, "any version"; 7 is wrong.)
      expect(await outcome(client.multi([['create', '/crud/n', null, 0], ['check', '/crud', 7]]))).toBe('BAD_VERSION');
      expect(await client.exists('/crud/n')).toBeNull();
    } finally {
      await client.close();
      await other.close();
    }
    // The closed session's ephemeral went with it.
    const checker = await NzcClient.connect(address);
    expect(await checker.exists('/crud/q-0000000001')).toBeNull();
    await checker.close();
  });

  it('node-zookeeper-client: a partitioned session expires; the client hears "expired", its ephemerals and watches go', async () => {
    const proxy = await startFrameProxy(server.clientPort);
    const observer = await NzcClient.connect(address);
    const client = await NzcClient.connect(`127.0.0.1:${proxy.port}`, { sessionTimeout: 1000 });
    try {
      await client.create('/expiring', null, zookeeper.CreateMode.EPHEMERAL);
      await observer.exists('/expiring', true);
      proxy.setBlocked(true);
      await waitFor(() => observer.events.includes('NODE_DELETED:/expiring'), 10_000, 'the ephemeral of the expired session to go');
      proxy.setBlocked(false);
      await waitFor(() => client.states.includes('EXPIRED'), 15_000, 'the client to learn its session expired');
    } finally {
      await client.close();
      await observer.close();
      await proxy.close();
    }
  });

  it('node-zookeeper-client: a dropped connection resumes the same session; watches are re-registered with setWatches', async () => {
    const proxy = await startFrameProxy(server.clientPort);
    const client = await NzcClient.connect(`127.0.0.1:${proxy.port}`, { sessionTimeout: 4000 });
    const writer = await NzcClient.connect(address);
    try {
      await client.create('/resume', null, zookeeper.CreateMode.EPHEMERAL);
      await client.exists('/resume-watched', true);
      const sessionBefore = client.sessionId.toString('hex');
      proxy.dropConnections();
      await waitFor(() => proxy.frames.some((frame) => frame.connection === 1 && frame.from === 'server'), 10_000, 'a reconnection');
      await writer.create('/resume-watched');
      await waitFor(() => client.events.includes('NODE_CREATED:/resume-watched'), 10_000, 'the re-registered watch to fire');
      expect(client.sessionId.toString('hex')).toBe(sessionBefore);
      expect(await client.exists('/resume')).not.toBeNull();
      // The watch came back through setWatches (opcode 101) on the new connection.
      expect(proxy.frames.some((frame) => frame.connection === 1 && frame.from === 'client' && frame.hex.slice(16, 24) === '00000065')).toBe(true);
    } finally {
      await client.close();
      await writer.close();
      await proxy.close();
    }
  });

  itWith(['zkCli', 'java'], 'zkCli.sh: CRUD, sequential and ephemeral nodes, digest ACLs, watches', async () => {
    const output = await runZkCli(address, [
      'create /cli x',
      'create -s /cli/s- a',
      'create -e /cli/e b',
      'get -w /cli',
      'set /cli y',
      'addauth digest erin:pw',
      'setAcl /cli auth:erin:cdrwa',
      'getAcl /cli',
      'ls /cli',
      'delete /cli/s-0000000000',
      'stat /cli/e',
    ]);
    expect(output).toContain('Created /cli/s-0000000000');
    expect(output).toContain('Created /cli/e');
    expect(output).toContain('WatchedEvent state:SyncConnected type:NodeDataChanged path:/cli');
    expect(output).toContain("'digest,'erin:");
    expect(output).toContain('[e, s-0000000000]');
    expect(output).toMatch(/ephemeralOwner = 0x[1-9a-f]/);
    // Another session: /cli is erin's now, and the ephemeral left with its session.
    const after = await runZkCli(address, ['get /cli', 'stat /cli/e']);
    expect(after).toContain('Insufficient permission : /cli');
    expect(after).toContain('Node does not exist: /cli/e');
  });

  it('a lock recipe through node-zookeeper-client: 20 concurrent holders never overlap', async () => {
    const workers = 20;
    const rounds = 5;
    const clients = await Promise.all(Array.from({ length: workers }, () => NzcClient.connect(address)));
    await clients[0]!.create('/lock');
    await clients[0]!.create('/counter', Buffer.from('0'));
    let holders = 0;
    let maxHolders = 0;
    const acquire = async (client: NzcClient): Promise<string> => {
      const mine = await client.create('/lock/n-', null, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
      for (;;) {
        const { children } = await client.getChildren('/lock');
        const sorted = children.sort();
        const index = sorted.indexOf(mine.slice('/lock/'.length));
        if (index === 0) return mine;
        const predecessor = `/lock/${sorted[index - 1]}`;
        const gone = new Promise<void>((resolveGone) => {
          client.raw.exists(predecessor, () => resolveGone(), (error, stat) => {
            if (error !== null || stat === null) resolveGone();
          });
        });
        await gone;
      }
    };
    await Promise.all(
      clients.map(async (client) => {
        for (let round = 0; round < rounds; round++) {
          const lock = await acquire(client);
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          // A read-modify-write that loses updates if two holders ever overlap.
          const { data } = await client.getData('/counter');
          await new Promise((resolveDelay) => setTimeout(resolveDelay, 1));
          await client.setData('/counter', Buffer.from(String(Number(data!.toString()) + 1)));
          holders--;
          await client.remove(lock);
        }
      }),
    );
    const { data } = await clients[0]!.getData('/counter');
    await Promise.all(clients.map((client) => client.close()));
    expect(maxHolders).toBe(1);
    expect(Number(data!.toString())).toBe(workers * rounds);
  });

  it('four-letter words answer in ZooKeeper formats on the client port', async () => {
    expect(await fourLetterWord(server.clientPort, 'ruok')).toBe('imok');
    const srvr = await fourLetterWord(server.clientPort, 'srvr');
    expect(srvr).toMatch(/^Zookeeper version: 3\.8\.0-cairn/);
    expect(srvr).toMatch(/\nMode: standalone\n/);
    expect(srvr).toMatch(/\nNode count: \d+\n/);
    const mntr = await fourLetterWord(server.clientPort, 'mntr');
    const keys = new Map(mntr.trim().split('\n').map((line) => line.split('\t') as [string, string]));
    expect(keys.get('zk_server_state')).toBe('standalone');
    expect(Number(keys.get('zk_znode_count'))).toBeGreaterThanOrEqual(4);
    for (const key of ['zk_version', 'zk_avg_latency', 'zk_num_alive_connections', 'zk_watch_count', 'zk_ephemerals_count', 'zk_packets_received']) expect(keys.has(key)).toBe(true);
    expect(await fourLetterWord(server.clientPort, 'isro')).toBe('rw');
    expect(await fourLetterWord(server.clientPort, 'conf')).toContain(`clientPort=${server.clientPort}\n`);
    expect(await fourLetterWord(server.clientPort, 'wchs')).toMatch(/^\d+ connections watching \d+ paths\nTotal watches:\d+\n$/);
    expect(await fourLetterWord(server.clientPort, 'stat')).toContain('Clients:\n /127.0.0.1:');
    expect(await fourLetterWord(server.clientPort, 'cons')).toMatch(/^ \/127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)\n/);
    expect(await fourLetterWord(server.clientPort, 'dump')).toContain('SessionTracker dump:');
    expect(await fourLetterWord(server.clientPort, 'envi')).toContain('Environment:\nzookeeper.version=');
    expect(await fourLetterWord(server.clientPort, 'dirs')).toMatch(/^datadir_size: \d+\nlogdir_size: \d+\n$/);
    expect(await fourLetterWord(server.clientPort, 'srst')).toBe('Server stats reset.\n');
    expect(await fourLetterWord(server.clientPort, 'crst')).toBe('Connection stats reset.\n');
    const watcher = await NzcClient.connect(address);
    await watcher.exists('/watched-by-4lw', true);
    const sessions = await fourLetterWord(server.clientPort, 'wchc');
    const paths = await fourLetterWord(server.clientPort, 'wchp');
    await watcher.close();
    expect(sessions).toMatch(/^0x[0-9a-f]+\n\t\/watched-by-4lw\n/m);
    expect(paths).toContain('/watched-by-4lw\n\t0x');
  });

  it('maxClientCnxns: connections beyond the per-address limit are closed at once, others keep working', async () => {
    const limited = await startServerProcess({ config: { maxClientCnxns: 3 } });
    try {
      const clients = await Promise.all([0, 1, 2].map(() => NzcClient.connect(`127.0.0.1:${limited.clientPort}`)));
      const refused = await new Promise<boolean>((resolveClosed) => {
        const socket = connect({ port: limited.clientPort, host: '127.0.0.1' });
        socket.on('connect', () => socket.write(connectRequest({ readOnly: false })));
        socket.on('data', () => resolveClosed(false));
        socket.on('close', () => resolveClosed(true));
        socket.on('error', () => undefined);
      });
      expect(refused).toBe(true);
      expect(await clients[0]!.create('/still-served')).toBe('/still-served');
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await limited.stop();
      await removeDir(limited.dataDir);
    }
  });

  it('with the default whitelist only srvr runs; other words are refused in ZooKeeper words', async () => {
    const plain = await startServerProcess();
    try {
      expect(await fourLetterWord(plain.clientPort, 'srvr')).toContain('Mode: standalone');
      expect(await fourLetterWord(plain.clientPort, 'ruok')).toBe('ruok is not executed because it is not in the whitelist.\n');
      expect(await fourLetterWord(plain.clientPort, 'mntr')).toBe('mntr is not executed because it is not in the whitelist.\n');
    } finally {
      await plain.stop();
      await removeDir(plain.dataDir);
    }
  });
});
