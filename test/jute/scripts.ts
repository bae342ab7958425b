// Scripted client sessions shared by the captures and the differential tests: the same steps
// run against a real ZooKeeper and against Cairn, each printing comparable lines (no times,
// zxids or session ids).

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { acl, NzcClient, outcome, zookeeper, type NzcStat } from './nzc.js';

// Run from the sources (vitest) or from the build (dist/test/jute): the Java file stays in test/jute.
const REPOSITORY_ROOT = resolve(import.meta.dirname, import.meta.dirname.includes('/dist/') ? '../../..' : '../..');
const SOURCE_DIR = resolve(REPOSITORY_ROOT, 'test/jute');
const ZOOKEEPER_CLASSPATH = '/usr/share/java/zookeeper.jar';

function statText(stat: NzcStat | null): string {
  if (stat === null) return 'null';
  const owner = stat.ephemeralOwner.equals(Buffer.alloc(8)) ? '0' : 'owned';
  return `{v=${stat.version},cv=${stat.cversion},av=${stat.aversion},owner=${owner},len=${stat.dataLength},children=${stat.numChildren}}`;
}

async function result<T>(promise: Promise<T>, show: (value: T) => string): Promise<string> {
  try {
    return `ok ${show(await promise)}`;
  } catch (error) {
    return `error ${(error as Error).name}`;
  }
}

/** node-zookeeper-client: CRUD, sequential and ephemeral nodes, ACLs, watches, multi. */
export async function runNzcScript(connectionString: string): Promise<string[]> {
  const client = await NzcClient.connect(connectionString);
  const lines: string[] = [];
  const step = async (name: string, run: () => Promise<string>) => {
    const text = await run();
    // A round trip: every notification sent before its reply has been delivered.
    await client.exists('/');
    lines.push(`${name}: ${text} events=${JSON.stringify(client.events.splice(0))}`);
  };
  await step('create', () => result(client.create('/n', Buffer.from('one')), (path) => path));
  await step('createExisting', () => result(client.create('/n'), (path) => path));
  await step('sequential', () => result(Promise.all([client.create('/n/s-', null, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL), client.create('/n/s-', null, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL)]), (paths) => paths.join(' ')));
  await step('ephemeral', () => result(client.create('/n/e', Buffer.from('e'), zookeeper.CreateMode.EPHEMERAL), (path) => path));
  await step('getDataWatch', () => result(client.getData('/n', true), ({ data, stat }) => `${data?.toString()} ${statText(stat)}`));
  await step('setData', () => result(client.setData('/n', Buffer.from('two'), 0), statText));
  await step('setDataBadVersion', () => result(client.setData('/n', Buffer.from('x'), 5), statText));
  await step('existsWatch', () => result(Promise.all([client.exists('/n', true), client.exists('/gone', true)]), (stats) => stats.map(statText).join(' ')));
  await step('createWatched', () => result(client.create('/gone'), (path) => path));
  await step('getChildrenWatch', () => result(client.getChildren('/n', true), ({ children, stat }) => `${[...children].sort().join(',')} ${statText(stat)}`));
  await step('removeChild', () => result(client.remove('/n/e'), () => ''));
  await step('getACL', () => result(client.getACL('/n'), ({ acls, stat }) => `${acls.map((entry) => `${entry.permission}:${entry.id.scheme}:${entry.id.id}`).join(',')} ${statText(stat)}`));
  await step('setACL', () => result(client.setACL('/n', acl([[1, 'world', 'anyone'], [31, 'digest', 'ann:8kWoCPDQjO3Lu3e1ycWTHRa4pm0=']]), 0), statText));
  await step('getACLRedacted', () => result(client.getACL('/n'), ({ acls }) => acls.map((entry) => `${entry.permission}:${entry.id.scheme}:${entry.id.id}`).join(',')));
  await step('setDataNoAuth', () => result(client.setData('/n', Buffer.from('z')), statText));
  client.addAuth('digest', 'ann:pw');
  await step('setDataAfterAuth', () => result(client.setData('/n', Buffer.from('z')), statText));
  await step('getACLAdmin', () => result(client.getACL('/n'), ({ acls }) => acls.map((entry) => `${entry.permission}:${entry.id.scheme}:${entry.id.id}`).join(',')));
  await step('multi', () =>
    result(
      client.multi([
        ['create', '/t1', Buffer.from('a'), 0],
        ['create', '/t1/s-', null, zookeeper.CreateMode.PERSISTENT_SEQUENTIAL],
        ['setData', '/t1', Buffer.from('b'), 0],
        ['check', '/t1', 1],
        ['remove', '/t1/s-0000000000', 0],
      ]),
      (results) => JSON.stringify(results),
    ),
  );
  await step('multiFailing', async () => {
    try {
      await client.multi([
        ['create', '/t2', null, 0],
        ['check', '/t1', 9],
        ['remove', '/t1', -1],
      ]);
      return 'committed';
    } catch (error) {
      return `error ${(error as Error).name} ${JSON.stringify((error as { results?: unknown }).results)}`;
    }
  });
  await step('removeNotEmpty', () => outcome(client.remove('/n')));
  await step('removeSystem', () => outcome(client.remove('/zookeeper/quota')));
  await step('rootChildren', () => result(client.getChildren('/'), ({ children, stat }) => `${[...children].sort().join(',')} ${statText(stat)}`));
  await client.close();
  return lines;
}

/** ZooKeeper's own Java client running test/jute/ScriptedSession.java; one line per step. */
export function runJavaScript(connectionString: string, timeoutMs = 60_000): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/usr/bin/java', ['-Xshare:auto', '-cp', ZOOKEEPER_CLASSPATH, resolve(SOURCE_DIR, 'ScriptedSession.java'), connectionString], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the Java client did not finish in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((line) => line.startsWith('{'));
      if (code !== 0) reject(new Error(`the Java client exited with ${code}: ${stderr}\n${lines.join('\n')}`));
      else resolvePromise(lines);
    });
  });
}

export interface ZkCliOptions {
  /** Java system properties (-D...) for its client, such as TLS's. */
  jvmFlags?: string[];
  /**
   * Send the commands only once the client says it connected. zkCli reads them at once and quits
   * after the last; a connection slower than that (TLS) would end in ConnectionLoss.
   */
  awaitConnection?: boolean;
}

/** zkCli.sh runs `commands` against `connectionString` and quits; resolves with its output, ZooKeeper's log lines left out. */
export function runZkCli(connectionString: string, commands: string[], timeoutMs = 60_000, options: ZkCliOptions = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const jvmFlags = options.jvmFlags ?? [];
    const env = { ...process.env, ZOO_LOG_DIR: '/tmp', ...(jvmFlags.length > 0 ? { CLIENT_JVMFLAGS: jvmFlags.join(' ') } : {}) };
    const child = spawn('/usr/share/zookeeper/bin/zkCli.sh', ['-server', connectionString], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let output = '';
    const script = `${commands.join('\n')}\nquit\n`;
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      child.stdin.end(script);
    };
    child.stdout.on('data', (chunk) => {
      output += chunk.toString();
      if (options.awaitConnection === true && output.includes('state:SyncConnected')) send();
    });
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`zkCli did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', () => {
      clearTimeout(timer);
      resolvePromise(
        output
          .split('\n')
          .filter((line) => !/^\d{4}-\d\d-\d\d |^SLF4J|^Connecting to|^Welcome to ZooKeeper|^JLine support/.test(line))
          .join('\n'),
      );
    });
    if (options.awaitConnection !== true) send();
  });
}
