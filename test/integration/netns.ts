// Test hosts of our own: one network namespace per server, joined by a bridge in a hub namespace,
// with one more link from the test's namespace so clients reach them. Cutting a server's link in
// the hub partitions it from everyone; bringing it back heals. Needs root and iproute2 (the
// netns requirement of test/support/requirements.ts says whether this machine has them).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface TestNetwork {
  /** Address of host i (1-based). */
  address(host: number): string;
  /** The namespace host i runs in (for `ip netns exec`). */
  namespace(host: number): string;
  isolate(host: number): void;
  reconnect(host: number): void;
  remove(): void;
}

export function createTestNetwork(hosts: number): TestNetwork {
  const tag = randomBytes(2).toString('hex');
  // A /24 of our own inside 10.213.0.0/16; the root namespace gets a route to it via its own link.
  const subnet = `10.213.${randomBytes(1)[0]! % 250}`;
  const hub = `cairn-${tag}-hub`;
  const namespaces = Array.from({ length: hosts }, (_, index) => `cairn-${tag}-s${index + 1}`);
  const hubSide = (host: number) => `c${tag}h${host}`;
  const created: string[] = [];
  const rootLink = `c${tag}r0`;
  const cleanup = () => {
    try {
      execFileSync('ip', ['link', 'del', rootLink], { stdio: 'ignore' });
    } catch {
      // already gone with its namespace
    }
    for (const name of created.reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // best effort
      }
    }
  };
  try {
    ip('netns', 'add', hub);
    created.push(hub);
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', hub, 'link', 'set', 'br0', 'up');
    for (const [index, name] of namespaces.entries()) {
      const host = index + 1;
      ip('netns', 'add', name);
      created.push(name);
      ip('-n', name, 'link', 'set', 'lo', 'up');
      ip('-n', hub, 'link', 'add', hubSide(host), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
      ip('-n', hub, 'link', 'set', hubSide(host), 'master', 'br0');
      ip('-n', hub, 'link', 'set', hubSide(host), 'up');
      ip('-n', name, 'addr', 'add', `${subnet}.${host}/24`, 'dev', 'eth0');
      ip('-n', name, 'link', 'set', 'eth0', 'up');
    }
    ip('link', 'add', rootLink, 'type', 'veth', 'peer', 'name', `c${tag}r1`, 'netns', hub);
    ip('-n', hub, 'link', 'set', `c${tag}r1`, 'master', 'br0');
    ip('-n', hub, 'link', 'set', `c${tag}r1`, 'up');
    ip('addr', 'add', `${subnet}.200/24`, 'dev', rootLink);
    ip('link', 'set', rootLink, 'up');
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    address: (host) => `${subnet}.${host}`,
    namespace: (host) => namespaces[host - 1]!,
    isolate: (host) => ip('-n', hub, 'link', 'set', hubSide(host), 'down'),
    reconnect: (host) => ip('-n', hub, 'link', 'set', hubSide(host), 'up'),
    remove: cleanup,
  };
}
