// One identity model on every facade: the same callers read the same nodes over gRPC, REST
// (HTTPS), the WebSocket channel (WSS) and ZooKeeper's protocol (TLS, stock zkCli), and every
// facade makes the same ACL decision, which is the one this table says. A real `cairn server`
// with TLS on every port; callers prove themselves with a client certificate (x509), digest
// credentials, or nothing but their address; the super user by the certificate the configuration names.

import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect } from 'vitest';
import { makeGrpcClient } from '../../src/client/channel.js';
import { CairnClient } from '../../src/client/session.js';
import { digest } from '../../src/core/acl.js';
import { Perms, type ACL } from '../../src/core/types.js';
import { runZkCli } from '../jute/scripts.js';
import { CertificateFactory, type Authority, type Issued } from '../support/certificates.js';
import { describeWith, itWith } from '../support/requirements.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { WsSession } from './http-helpers.js';
import { zookeeperClientTlsFlags } from './zookeeper-process.js';

const SUPER_SECRET = 'admin-secret';

/** The nodes, each readable by one kind of identity (and nothing else in its ACL). */
const NODES: Record<string, ACL[]> = {
  world: [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }],
  'alice-digest': [{ perms: Perms.READ, id: { scheme: 'digest', id: digest('alice', 'secret') } }],
  'alice-x509': [{ perms: Perms.READ, id: { scheme: 'x509', id: 'CN=alice,O=Cairn tests' } }],
  'ip-here': [{ perms: Perms.READ, id: { scheme: 'ip', id: '127.0.0.1' } }],
  'ip-elsewhere': [{ perms: Perms.READ, id: { scheme: 'ip', id: '10.0.0.0/8' } }],
  'write-only': [{ perms: Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }],
};

type Caller = 'nobody' | 'alice by digest' | 'alice by certificate' | 'bob by digest' | 'admin by certificate';

/** Which nodes each caller may read: the table every facade must agree with. */
const READABLE: Record<Caller, string[]> = {
  nobody: ['world', 'ip-here'],
  'alice by digest': ['world', 'alice-digest', 'ip-here'],
  'alice by certificate': ['world', 'alice-x509', 'ip-here'],
  'bob by digest': ['world', 'ip-here'],
  // X509AuthenticationProvider.superUser: its certificate passes every ACL, as the super digest does.
  'admin by certificate': Object.keys(NODES),
};

const CALLERS = Object.keys(READABLE) as Caller[];
const ROOT = '/acl-matrix';

describeWith(['openssl', 'zkCli', 'java'], 'ACL decisions across the four facades', () => {
  let factory: CertificateFactory;
  let ca: Authority;
  let alice: Issued;
  let admin: Issued;
  let server: ServerProcess;

  const caPem = () => readFileSync(ca.certificate);
  const issuedOf = (caller: Caller): Issued | null => (caller === 'alice by certificate' ? alice : caller === 'admin by certificate' ? admin : null);
  const certificateOf = (caller: Caller) => {
    const issued = issuedOf(caller);
    return issued === null ? {} : { key: readFileSync(issued.key), cert: readFileSync(issued.certificate) };
  };
  const basicOf = (caller: Caller): string | null =>
    caller === 'alice by digest' ? `Basic ${Buffer.from('alice:secret').toString('base64')}` : caller === 'bob by digest' ? `Basic ${Buffer.from('bob:secret').toString('base64')}` : null;

  beforeAll(async () => {
    factory = new CertificateFactory();
    ca = factory.authority('ca');
    alice = factory.issue(ca, 'alice', { subject: '/O=Cairn tests/CN=alice' });
    admin = factory.issue(ca, 'admin', { subject: '/O=Cairn tests/CN=admin' });
    server = await startServerProcess({
      config: {
        ...factory.serverConfig(ca),
        'DigestAuthenticationProvider.superDigest': digest('super', SUPER_SECRET),
        'X509AuthenticationProvider.superUser': 'CN=admin,O=Cairn tests',
      },
    });
    // The super user makes the nodes (it passes every ACL, so it can also make ones it cannot read otherwise).
    const maker = await CairnClient.connect(server.grpcAddress, { timeoutMs: 10_000, connectTimeoutMs: 15_000, credentials: grpc.credentials.createSsl(caPem()) });
    try {
      await maker.addAuth('digest', `super:${SUPER_SECRET}`);
      await maker.create(ROOT, null, { acl: [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }] });
      for (const [name, acl] of Object.entries(NODES)) await maker.create(`${ROOT}/${name}`, `v-${name}`, { acl });
    } finally {
      await maker.close();
    }
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  /** Each facade's answer for one caller: the nodes it could read. */
  const viaGrpc = async (caller: Caller): Promise<string[]> => {
    const { key, cert } = certificateOf(caller);
    const client = makeGrpcClient(server.grpcAddress, { credentials: grpc.credentials.createSsl(caPem(), key ?? null, cert ?? null) });
    type Get = (argument: unknown, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null) => void) => void;
    try {
      const readable: string[] = [];
      for (const name of Object.keys(NODES)) {
        const metadata = new grpc.Metadata();
        const basic = basicOf(caller);
        if (basic !== null) metadata.set('authorization', basic);
        const error = await new Promise<grpc.ServiceError | null>((resolve) => (client as unknown as { Get: Get }).Get({ path: `${ROOT}/${name}` }, metadata, resolve));
        if (error === null) readable.push(name);
        else expect(error.code, `${caller} ${name} over gRPC`).toBe(grpc.status.PERMISSION_DENIED);
      }
      return readable;
    } finally {
      client.close();
    }
  };

  const viaRest = async (caller: Caller): Promise<string[]> => {
    const readable: string[] = [];
    for (const name of Object.keys(NODES)) {
      const basic = basicOf(caller);
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpsRequest(`https://127.0.0.1:${server.httpPort}/v1/znodes${ROOT}/${name}`, { ca: caPem(), ...certificateOf(caller), headers: basic === null ? {} : { authorization: basic } }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('error', reject);
        request.end();
      });
      if (status === 200) readable.push(name);
      else expect(status, `${caller} ${name} over REST`).toBe(403);
    }
    return readable;
  };

  const viaWebSocket = async (caller: Caller): Promise<string[]> => {
    const basic = basicOf(caller);
    const session = await WsSession.open(`wss://127.0.0.1:${server.httpPort}/v1/ws`, basic === null ? {} : { authorization: basic }, { ca: caPem(), ...certificateOf(caller) });
    try {
      await session.connect();
      const readable: string[] = [];
      for (const name of Object.keys(NODES)) {
        const answer = await session.request({ getData: { path: `${ROOT}/${name}` } });
        if (answer.getData !== undefined) readable.push(name);
        else expect(answer.error?.name, `${caller} ${name} over WebSocket`).toBe('NoAuth');
      }
      return readable;
    } finally {
      session.close();
    }
  };

  const viaZooKeeperProtocol = async (caller: Caller): Promise<string[]> => {
    const flags = zookeeperClientTlsFlags(ca.certificate, issuedOf(caller)?.keyStore);
    const auth = caller === 'alice by digest' ? ['addauth digest alice:secret'] : caller === 'bob by digest' ? ['addauth digest bob:secret'] : [];
    const output = await runZkCli(`127.0.0.1:${server.secureClientPort}`, [...auth, ...Object.keys(NODES).map((name) => `get ${ROOT}/${name}`)], 60_000, { jvmFlags: flags, awaitConnection: true });
    for (const name of Object.keys(NODES)) {
      const read = output.includes(`v-${name}`);
      const refused = output.includes(`Insufficient permission : ${ROOT}/${name}`);
      expect(read !== refused, `${caller} ${name} over the ZooKeeper protocol: exactly one of read or refused\n${output}`).toBe(true);
    }
    return Object.keys(NODES).filter((name) => output.includes(`v-${name}`));
  };

  itWith(['openssl', 'zkCli', 'java'], 'every caller reads exactly the nodes the table gives it, on every facade', async () => {
    const decisions: Record<string, Record<Caller, string[]>> = { gRPC: {} as Record<Caller, string[]>, REST: {} as Record<Caller, string[]>, WebSocket: {} as Record<Caller, string[]>, 'ZooKeeper protocol': {} as Record<Caller, string[]> };
    for (const caller of CALLERS) {
      decisions.gRPC![caller] = await viaGrpc(caller);
      decisions.REST![caller] = await viaRest(caller);
      decisions.WebSocket![caller] = await viaWebSocket(caller);
      decisions['ZooKeeper protocol']![caller] = await viaZooKeeperProtocol(caller);
    }
    for (const [facade, table] of Object.entries(decisions)) {
      for (const caller of CALLERS) expect([...table[caller]].sort(), `${caller} over ${facade}`).toEqual([...READABLE[caller]].sort());
    }
  }, 240_000);
});
