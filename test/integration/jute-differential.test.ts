// Differential tests: the same scripted sessions, through stock clients, against a real
// ZooKeeper 3.8 (Debian's package, started here on loopback) and against Cairn; results compared
// field by field (paths, data, Stat fields other than times and zxids, errors, watch events in
// order).

import { afterAll, beforeAll, expect, it } from 'vitest';
import { runJavaScript, runNzcScript, runZkCli } from '../jute/scripts.js';
import { describeWith, itWith } from '../support/requirements.js';
import type { ServerProcess } from './harness.js';
import { startSideBySide, type SideBySide } from './side-by-side.js';
import type { ZooKeeperProcess } from './zookeeper-process.js';

const SERVER_CONFIG = { extendedTypesEnabled: true } as const;

describeWith(['zookeeper', 'java'], 'the same client sessions against ZooKeeper 3.8 and Cairn', () => {
  let zookeeper: ZooKeeperProcess;
  let cairn: ServerProcess;
  let both: SideBySide | undefined;

  beforeAll(async () => {
    both = await startSideBySide(SERVER_CONFIG);
    ({ zookeeper, cairn } = both);
  });

  afterAll(async () => {
    await both?.stop();
  });

  itWith('jdk', "ZooKeeper's Java client: every opcode, errors, ACLs, multi, watches", async () => {
    // Both servers are fresh for this script: it runs first and touches its own subtree only.
    const [expected, actual] = await Promise.all([runJavaScript(`127.0.0.1:${zookeeper.port}`), runJavaScript(`127.0.0.1:${cairn.clientPort}`)]);
    expect(expected.length).toBeGreaterThan(40);
    expect(actual).toEqual(expected);
  });

  it('node-zookeeper-client: CRUD, sequential and ephemeral nodes, digest ACLs, watches, multi', async () => {
    const [expected, actual] = await Promise.all([runNzcScript(`127.0.0.1:${zookeeper.port}`), runNzcScript(`127.0.0.1:${cairn.clientPort}`)]);
    expect(expected.length).toBeGreaterThan(20);
    expect(actual).toEqual(expected);
  });

  itWith('zkCli', 'zkCli.sh: the same commands print the same output', async () => {
    const commands = [
      'create /cli hello',
      'create -s /cli/seq- a',
      'create -e /cli/eph b',
      'create -c /cli/box',
      'create -t 60000 /cli/ttl t',
      'get /cli',
      'set /cli world',
      'get -s /cli',
      'ls /cli',
      'ls -s /cli',
      'stat /cli/eph',
      'getAllChildrenNumber /cli',
      'getEphemerals /cli',
      'addauth digest carol:pw',
      'create /cli/locked x auth:carol:cdrwa',
      'getAcl /cli/locked',
      'setAcl /cli world:anyone:r',
      'getAcl /cli',
      'create /cli/denied x',
      'delete /nothing-here',
      'delete /zookeeper',
      'sync /cli',
      'version',
    ];
    const normalise = (output: string) =>
      output
        .split('\n')
        // Times, zxids and session ids differ between any two servers; connection-state events
        // are printed by another thread of zkCli, so their place in the output varies.
        .filter((line) => !/^(cZxid|mZxid|pZxid|ctime|mtime) = /.test(line))
        .filter((line) => line.trim() !== '' && line !== 'WATCHER::' && !/^WatchedEvent state:\w+ type:None path:null$/.test(line))
        .map((line) => line.replace(/^ephemeralOwner = 0x[0-9a-f]+$/, (match) => (match.endsWith(' = 0x0') ? match : 'ephemeralOwner = <session>')))
        .join('\n');
    const [expected, actual] = await Promise.all([runZkCli(`127.0.0.1:${zookeeper.port}`, commands), runZkCli(`127.0.0.1:${cairn.clientPort}`, commands)]);
    expect(expected).toContain('Created /cli/seq-0000000000');
    expect(normalise(actual)).toEqual(normalise(expected));
  });
});
