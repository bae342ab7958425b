// The system packages some tests need (a browser, a real ZooKeeper, etcd, a JDK, network
// namespaces), how each is detected, and what installs it. A test names its requirements through
// describeWith / itWith: with them present it runs; with one missing it is skipped and the skip
// is recorded for the one summary test/support/global-setup.ts prints at the end of the run; with
// CI set (CI installs every package, see .ci/run) a missing one fails the test instead, so CI can
// never pass by skipping.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, appendFileSync, constants, existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { describe, expect, inject, it } from 'vitest';
import { ZKCLI_PATH, ZOOKEEPER_JAR } from '../integration/zookeeper-process.js';
import { OPENSSL } from './certificates.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory of this run's skip records and detection results; set by global-setup.ts. */
    requirementsRunDirectory: string;
  }
}

export type RequirementName = 'chromium' | 'zookeeper' | 'zkCli' | 'java' | 'jdk' | 'etcd' | 'netns' | 'openssl' | 'kazoo' | 'protoc' | 'grpcio' | 'curator';

interface Entry {
  /** What it is, in a few words. */
  description: string;
  /** Why it is missing, or null when it is present. */
  detect(): string | null;
  /** The command that makes it present. */
  install: string;
}

/** The file exists and may be executed; otherwise why not. */
function executable(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return existsSync(path) ? `${path} is not executable` : `${path} does not exist`;
  }
}

function fileExists(path: string): string | null {
  return existsSync(path) ? null : `${path} does not exist`;
}

const JAVA = '/usr/bin/java';

/** Curator's jars as Debian installs them (the dependencies come with them: guava, slf4j, jackson, zookeeper). */
export const CURATOR_JARS = ['curator-client', 'curator-framework', 'curator-recipes', 'curator-x-discovery'].map((name) => `/usr/share/java/${name}.jar`);

/** Where http-browser.test.ts finds Chromium. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const CATALOGUE: Record<RequirementName, Entry> = {
  chromium: {
    description: 'headless Chromium, driven by playwright-core',
    detect: () => executable(CHROMIUM_PATH),
    install: 'apt-get install -y chromium',
  },
  zookeeper: {
    description: "Apache ZooKeeper 3.8's server and Java client (Debian's zookeeper package)",
    detect: () => fileExists(ZOOKEEPER_JAR),
    install: 'apt-get install -y --no-install-recommends zookeeper',
  },
  zkCli: {
    description: "ZooKeeper's command-line client zkCli.sh (Debian's zookeeper package)",
    detect: () => executable(ZKCLI_PATH),
    install: 'apt-get install -y --no-install-recommends zookeeper',
  },
  java: {
    description: 'a Java runtime, which ZooKeeper and zkCli.sh run on',
    detect: () => executable(JAVA),
    install: 'apt-get install -y --no-install-recommends default-jdk-headless',
  },
  jdk: {
    // test/jute/ScriptedSession.java runs in source-file mode, which compiles it in memory with
    // the JDK's compiler: a runtime alone cannot. javac beside the real java binary means the
    // JDK that /usr/bin/java belongs to is installed, not merely some JDK elsewhere.
    description: 'a JDK (javac beside /usr/bin/java), to run test/jute/ScriptedSession.java from source',
    detect: () => {
      const missingJava = executable(JAVA);
      if (missingJava !== null) return missingJava;
      return executable(join(dirname(realpathSync(JAVA)), 'javac'));
    },
    install: 'apt-get install -y --no-install-recommends default-jdk-headless',
  },
  etcd: {
    // The binary bench/systems/etcd.ts starts.
    description: "etcd 3.4 (Debian's etcd-server package), the bench's peer",
    detect: () => executable('/usr/bin/etcd'),
    install: 'apt-get install -y --no-install-recommends etcd-server',
  },
  kazoo: {
    description: "kazoo, ZooKeeper's Python client (Debian's python3-kazoo)",
    detect: () => fileExists('/usr/lib/python3/dist-packages/kazoo/client.py') ?? executable('/usr/bin/python3'),
    install: 'apt-get install -y --no-install-recommends python3-kazoo',
  },
  curator: {
    // test/curator/CuratorProbe.java runs Curator 5.4's recipes against Cairn (interop with ours).
    description: "Apache Curator 5.4's client, framework, recipes and x-discovery jars (Debian's libcurator-*-java)",
    detect: () => CURATOR_JARS.map(fileExists).find((missing) => missing !== null) ?? null,
    install: 'apt-get install -y --no-install-recommends libcurator-client-java libcurator-framework-java libcurator-recipes-java libcurator-discovery-java',
  },
  protoc: {
    // test/integration/grpc-python.test.ts compiles proto/cairn.proto with Debian's protoc 3.21.
    description: "protoc, the protobuf compiler (Debian's protobuf-compiler, 3.21)",
    detect: () => executable('/usr/bin/protoc'),
    install: 'apt-get install -y --no-install-recommends protobuf-compiler',
  },
  grpcio: {
    description: "gRPC for Python (Debian's python3-grpcio, with python3-protobuf), a non-Node gRPC client",
    detect: () => executable('/usr/bin/python3') ?? fileExists('/usr/lib/python3/dist-packages/grpc/__init__.py') ?? fileExists('/usr/lib/python3/dist-packages/google/protobuf/__init__.py'),
    install: 'apt-get install -y --no-install-recommends python3-grpcio python3-protobuf',
  },
  openssl: {
    // test/support/certificates.ts makes the tests' CAs and certificates with it.
    description: 'the openssl command, which makes the TLS tests\' certificates',
    detect: () => executable(OPENSSL),
    install: 'apt-get install -y --no-install-recommends openssl',
  },
  netns: {
    description: 'network namespaces (ip netns from iproute2, run as root) for test hosts of our own',
    detect: () => {
      if (process.getuid?.() !== 0) return 'network namespaces need root (run the tests as root)';
      // Making one is the only sure test: a container may have ip but forbid new namespaces.
      const probe = `cairn-probe-${randomBytes(3).toString('hex')}`;
      try {
        execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'] });
        execFileSync('ip', ['netns', 'del', probe], { stdio: ['ignore', 'ignore', 'pipe'] });
        return null;
      } catch (error) {
        return `cannot create a network namespace: ${(error as Error).message.split('\n')[0]}`;
      }
    },
    install: 'apt-get install -y --no-install-recommends iproute2',
  },
};

export interface Requirement {
  name: RequirementName;
  description: string;
  present: boolean;
  /** Why it is missing, or null when it is present. */
  missing: string | null;
  install: string;
}

/** One skipped (or, under CI, failed) describe or test, as global-setup.ts reads it back. */
export interface SkipRecord {
  requirement: RequirementName;
  description: string;
  missing: string;
  install: string;
  /** Absolute path of the test file. */
  file: string;
  title: string;
  failed: boolean;
}

/** CI services set CI=true (GitHub Actions, GitLab CI and most others); 'false' and '0' mean no. */
export function inCi(): boolean {
  const value = process.env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/** The run's directory, or undefined outside a run with global-setup.ts (then nothing is recorded). */
function runDirectory(): string | undefined {
  try {
    return inject('requirementsRunDirectory');
  } catch {
    return undefined;
  }
}

// Each test file runs in a fresh module graph, so this map only spares detecting twice within a
// file; the run directory carries results across files and workers, so each check (the netns probe
// creates and deletes a namespace) runs once per run.
const detected = new Map<RequirementName, string | null>();

function detect(name: RequirementName): string | null {
  if (detected.has(name)) return detected.get(name)!;
  const directory = runDirectory();
  const cacheFile = directory === undefined ? undefined : join(directory, `detected-${name}.json`);
  let missing: string | null;
  if (cacheFile !== undefined && existsSync(cacheFile)) {
    missing = (JSON.parse(readFileSync(cacheFile, 'utf8')) as { missing: string | null }).missing;
  } else {
    missing = CATALOGUE[name].detect();
    if (cacheFile !== undefined) {
      // Written aside and renamed, so a worker reading meanwhile never sees half a file; two
      // workers detecting at once find the same answer, so whichever rename lands last is as good.
      const partial = `${cacheFile}.${process.pid}-${threadId}`;
      writeFileSync(partial, JSON.stringify({ missing }));
      renameSync(partial, cacheFile);
    }
  }
  detected.set(name, missing);
  return missing;
}

export function requirement(name: RequirementName): Requirement {
  const entry = CATALOGUE[name];
  const missing = detect(name);
  return { name, description: entry.description, present: missing === null, missing, install: entry.install };
}

/** The test file being collected, from vitest's worker state (the caller's module, not this one). */
function currentTestFile(): string {
  return expect.getState().testPath ?? 'an unknown test file';
}

function record(missing: Requirement[], title: string, failed: boolean): void {
  const directory = runDirectory();
  const file = currentTestFile();
  const lines = missing.map((item) =>
    JSON.stringify({ requirement: item.name, description: item.description, missing: item.missing!, install: item.install, file, title, failed } satisfies SkipRecord),
  );
  if (directory === undefined) {
    // Run without the global setup (another config): say it here, since nobody will at the end.
    for (const item of missing) console.warn(`skipped ${title}: ${item.name} is missing (${item.missing}); install: ${item.install}`);
    return;
  }
  // One file per worker process (and thread), so no two writers ever append to the same file.
  appendFileSync(join(directory, `skips-${process.pid}-${threadId}.jsonl`), `${lines.join('\n')}\n`);
}

function failureMessage(missing: Requirement[]): string {
  const lines = missing.map((item) => `  ${item.name}, ${item.description}: ${item.missing}; install: ${item.install}`);
  return `CI=${process.env.CI} is set, so a missing system package fails this test instead of skipping it (.ci/run installs them all):\n${lines.join('\n')}`;
}

type Names = RequirementName | RequirementName[];

function missingOf(names: Names): Requirement[] {
  return (Array.isArray(names) ? names : [names]).map(requirement).filter((item) => !item.present);
}

/**
 * describe() when every requirement is present. Otherwise, outside CI, describe.skip() (its tests
 * are listed as skipped) and a record for the summary; under CI, one failing test that says what
 * is missing, in place of the body (whose hooks would only fail less clearly).
 */
export function describeWith(names: Names, title: string, body: () => void): void {
  const missing = missingOf(names);
  if (missing.length === 0) {
    describe(title, body);
  } else if (inCi()) {
    record(missing, title, true);
    describe(title, () => {
      it(`needs ${missing.map((item) => item.name).join(', ')}`, () => {
        throw new Error(failureMessage(missing));
      });
    });
  } else {
    record(missing, title, false);
    describe.skip(title, body);
  }
}

/** it() with requirements, skipped or failed as describeWith does. */
export function itWith(names: Names, title: string, body: () => Promise<void> | void, timeout?: number): void {
  const missing = missingOf(names);
  if (missing.length === 0) {
    it(title, body, timeout);
  } else if (inCi()) {
    record(missing, title, true);
    it(title, () => {
      throw new Error(failureMessage(missing));
    });
  } else {
    record(missing, title, false);
    it.skip(title, body);
  }
}
