// The server process as an operator meets it: readiness over HTTP, the gRPC health service and
// server reflection, a clean exit on SIGTERM, and a restart on the same data directory that
// keeps every znode, Stat, ACL, sequence counter and session.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CairnClient } from '../../src/client/session.js';
import { digest } from '../../src/core/acl.js';
import { CreateMode, Perms, type Stat } from '../../src/core/types.js';
import { makeDataDir, removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { connect, expectKeeperError, uniquePath } from './grpc-helpers.js';

const require = createRequire(import.meta.url);
const reflectionProtoDir = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection');

const { FileDescriptorProto } = descriptor;
interface DocumentedFile {
  name: string;
  sourceCodeInfo?: { location: { leadingComments?: string }[] };
}

type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function serviceClient(protoFile: string, serviceName: string, address: string): AnyClient {
  const definition = protoLoader.loadSync(protoFile, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition);
  let constructor: unknown = loaded;
  for (const part of serviceName.split('.')) constructor = (constructor as Record<string, unknown>)[part];
  const Service = constructor as new (address: string, credentials: grpc.ChannelCredentials) => AnyClient;
  return new Service(address, grpc.credentials.createInsecure());
}

let dataDir: string;
let server: ServerProcess | undefined;
const clients: CairnClient[] = [];

beforeAll(async () => {
  dataDir = await makeDataDir();
  server = await startServerProcess({ dataDir });
});

afterAll(async () => {
  for (const client of clients) client.detach();
  await server?.stop();
  await removeDir(dataDir);
});

async function session(timeoutMs = 10_000, extra: Parameters<typeof connect>[1] = {}): Promise<CairnClient> {
  const client = await connect(server!.grpcAddress, { timeoutMs, ...extra });
  clients.push(client);
  return client;
}

describe('health and discovery', () => {
  it('answers GET /readyz with 200 on the HTTP port', async () => {
    const response = await fetch(`http://127.0.0.1:${server!.httpPort}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
    const missing = await fetch(`http://127.0.0.1:${server!.httpPort}/no-such-thing`);
    expect(missing.status).toBe(404);
  });

  it('answers grpc.health.v1.Health/Check with SERVING, for the server and for cairn.v1.Cairn', async () => {
    const health = serviceClient(healthProtoPath, 'grpc.health.v1.Health', server!.grpcAddress);
    try {
      const check = (service: string) =>
        new Promise<{ error: grpc.ServiceError | null; status?: string }>((resolve) =>
          health.Check!({ service }, (error: grpc.ServiceError | null, response?: { status: string }) => resolve({ error, status: response?.status })),
        );
      expect(await check('')).toEqual({ error: null, status: 'SERVING' });
      expect(await check('cairn.v1.Cairn')).toEqual({ error: null, status: 'SERVING' });
      const unknown = await check('no.such.Service');
      expect(unknown.error?.code).toBe(grpc.status.NOT_FOUND);
    } finally {
      health.close();
    }
  });

  for (const version of ['v1', 'v1alpha']) {
    it(`lists the services and describes cairn.v1 over reflection (${version})`, async () => {
      const reflection = serviceClient(join(reflectionProtoDir, version, 'reflection.proto'), `grpc.reflection.${version}.ServerReflection`, server!.grpcAddress);
      try {
        const call = reflection.ServerReflectionInfo!() as grpc.ClientDuplexStream<unknown, Record<string, unknown>>;
        const responses: Record<string, unknown>[] = [];
        const done = new Promise<void>((resolve, reject) => {
          call.on('data', (response: Record<string, unknown>) => {
            responses.push(response);
            if (responses.length === 2) call.end();
          });
          call.on('end', resolve);
          call.on('error', reject);
        });
        call.write({ list_services: '' });
        call.write({ file_containing_symbol: 'cairn.v1.Cairn' });
        await done;

        const listed = responses[0]!.list_services_response as { service: { name: string }[] };
        const names = listed.service.map((service) => service.name);
        expect(names).toEqual(expect.arrayContaining(['cairn.v1.Cairn', 'grpc.health.v1.Health']));

        const files = (responses[1]!.file_descriptor_response as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
        expect(files.length).toBeGreaterThan(0);
        const text = Buffer.concat(files).toString('latin1');
        // The descriptor names fields as the .proto spells them, so grpcurl shows snake_case.
        expect(text).toContain('cairn.v1');
        expect(text).toContain('session_id');
        expect(text).toContain('ServerMessage');
        // With its comments (source code info), so `grpcurl describe` shows the documentation.
        const [cairnFile] = files.map((file) => FileDescriptorProto.decode(file) as unknown as DocumentedFile).filter((file) => file.name === 'cairn.proto');
        expect(cairnFile, 'cairn.proto among the files').toBeDefined();
        const comments = cairnFile!.sourceCodeInfo?.location.map((location) => location.leadingComments ?? '') ?? [];
        expect(comments.some((comment) => comment.includes('The session channel.'))).toBe(true);
        expect(comments.some((comment) => comment.includes('has NO watches until the client sends SetWatches'))).toBe(true);
      } finally {
        reflection.close();
      }
    });
  }
});

describe('stop and restart', () => {
  it('exits 0 on SIGTERM, logs "cairn stopped", and a restart on the same data keeps everything', async () => {
    const writer = await session();
    const base = uniquePath('keep');
    const stats = new Map<string, Stat>();
    stats.set(base, (await writer.create(base, 'root data')).stat);
    for (let i = 0; i < 20; i++) {
      const { path, stat } = await writer.create(`${base}/n-`, `value ${i}`, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
      stats.set(path, stat);
    }
    await writer.delete(`${base}/n-0000000007`);
    stats.delete(`${base}/n-0000000007`);
    await writer.setData(`${base}/n-0000000003`, null);
    await writer.setData(`${base}/n-0000000003`, 'third time');
    const secret = `${base}/secret`;
    const acl = [{ perms: Perms.ALL, id: { scheme: 'digest', id: digest('keeper', 'pw') } }];
    await writer.create(secret, 'hidden', { acl });
    await writer.create(`${base}/empty`, '');
    await writer.create(`${base}/null`, null);
    // An ephemeral of a session that outlives the restart (its timeout is long enough).
    const owner = await session(10_000);
    await owner.create(`${base}/eph`, null, { mode: CreateMode.EPHEMERAL });
    const { sessionId, password } = owner;

    const before = new Map<string, Stat>();
    for (const path of [...stats.keys(), `${base}/n-0000000003`, secret, `${base}/empty`, `${base}/null`, `${base}/eph`]) {
      before.set(path, (await writer.exists(path))!);
    }
    const rootBefore = await writer.getChildren(base);

    // Writes in flight when the signal arrives: each is either acknowledged (and then must
    // survive) or fails; none is acknowledged and lost.
    const inFlight = Array.from({ length: 200 }, (_, i) =>
      writer.create(`${base}/late-${i}`, String(i)).then(
        () => true,
        () => false,
      ),
    );
    await waitFor(() => writer.lastZxid > before.get(`${base}/eph`)!.czxid, 15_000, 'the first late write to be acknowledged');
    const exit = await server!.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server!.logs.some((entry) => entry.msg === 'cairn stopped')).toBe(true);
    const acknowledged = await Promise.all(inFlight);
    expect(acknowledged.filter(Boolean).length).toBeGreaterThan(0);
    await waitFor(() => writer.ended !== undefined && owner.ended !== undefined, 15_000, 'the clients to see the shutdown');
    expect(writer.ended).toEqual({ kind: 'closed', reason: 'shutdown' });

    server = await startServerProcess({ dataDir });
    const reader = await session();
    for (const [path, stat] of before) {
      if (path === base) continue; // its children list grew with the late writes
      expect(await reader.exists(path), path).toEqual(stat);
    }
    const after = await reader.getChildren(base);
    for (const [i, ok] of acknowledged.entries()) {
      if (ok) expect(after.children, `acknowledged ${base}/late-${i}`).toContain(`late-${i}`);
    }
    expect(after.children).toEqual(expect.arrayContaining(rootBefore.children));
    expect(Buffer.from((await reader.getData(`${base}/n-0000000003`)).data!).toString()).toBe('third time');
    expect((await reader.getData(`${base}/null`)).data).toBeNull();
    const empty = (await reader.getData(`${base}/empty`)).data;
    expect(empty === null ? null : empty.length).toBe(0);
    await expectKeeperError(reader.getData(secret), -102);
    await expectKeeperError(reader.getACL(secret), -102);
    await reader.addAuth('digest', 'keeper:pw');
    expect((await reader.getACL(secret)).acl).toEqual(acl);
    expect(Buffer.from((await reader.getData(secret)).data!).toString()).toBe('hidden');

    // The sequence counter carries on (20 n-, secret, empty, null, eph, the late ones); zxids keep growing.
    const late = after.children.filter((name) => name.startsWith('late-')).length;
    // A graceful stop answers what it applies: nothing applied was reported lost.
    expect(late, 'late writes applied vs acknowledged').toBe(acknowledged.filter(Boolean).length);
    const next = await reader.create(`${base}/n-`, null, { mode: CreateMode.PERSISTENT_SEQUENTIAL });
    expect(next.path).toBe(`${base}/n-${String(24 + late).padStart(10, '0')}`);
    expect(next.stat.czxid).toBeGreaterThan(Math.max(...[...before.values()].map((stat) => stat.mzxid)));

    // The session survived the restart: it can be resumed and still owns its ephemeral.
    const resumed = await session(10_000, { sessionId, password });
    expect(resumed.sessionId).toBe(sessionId);
    expect(await resumed.getEphemerals('/')).toEqual([`${base}/eph`]);
    await resumed.close();
    expect(await reader.exists(`${base}/eph`)).toBeNull();
  });
});
