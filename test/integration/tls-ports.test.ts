// The gRPC and HTTP ports over TLS once a key store is configured (ZooKeeper's ssl.* keys), against
// a real `cairn server` process: TLS clients with and without a certificate, the x509 identity of
// one that has it (whoAmI, ACLs, the same on both ports), and plaintext refused.

import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect } from 'vitest';
import { CairnClient } from '../../src/client/session.js';
import { Perms } from '../../src/core/types.js';
import { CertificateFactory, type Authority, type Issued } from '../support/certificates.js';
import { describeWith, itWith } from '../support/requirements.js';
import { expectKeeperError, uniquePath } from './grpc-helpers.js';
import { WsSession } from './http-helpers.js';
import { runZkCli } from '../jute/scripts.js';
import { removeDir, startServerProcess, waitFor, type ServerProcess } from './harness.js';
import { zookeeperClientTlsFlags } from './zookeeper-process.js';

/** GET over HTTPS (or plain HTTP): the status, or the error that ended the exchange. */
function get(url: string, tls: { ca?: Buffer; key?: Buffer; cert?: Buffer } | null): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const request = tls === null ? httpRequest(url) : httpsRequest(url, { ...tls });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
    });
    request.on('error', (error) => resolve({ error: error.message }));
    request.setTimeout(10_000, () => request.destroy(new Error('timed out')));
    request.end();
  });
}

describeWith('openssl', 'the gRPC and HTTP ports over TLS', () => {
  let factory: CertificateFactory;
  let ca: Authority;
  let alice: Issued;
  let server: ServerProcess;

  const tlsClient = (keyStore?: Issued) =>
    CairnClient.connect(server.grpcAddress, {
      timeoutMs: 10_000,
      connectTimeoutMs: 15_000,
      credentials: grpc.credentials.createSsl(readFileSync(ca.certificate), keyStore === undefined ? null : readFileSync(keyStore.key), keyStore === undefined ? null : readFileSync(keyStore.certificate)),
    });

  beforeAll(async () => {
    factory = new CertificateFactory();
    ca = factory.authority('ca');
    alice = factory.issue(ca, 'alice', { subject: '/O=Cairn tests/CN=alice' });
    server = await startServerProcess({ config: factory.serverConfig(ca) });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  itWith('openssl', 'a client certificate makes the caller its x509 identity, which an x509 ACL admits and nobody else gets past', async () => {
    const owner = await tlsClient(alice);
    const stranger = await tlsClient();
    try {
      expect(await owner.whoAmI()).toContainEqual({ authScheme: 'x509', user: 'CN=alice,O=Cairn tests' });
      expect((await stranger.whoAmI()).map((info) => info.authScheme)).toEqual(['ip']);
      const path = uniquePath('alice-only');
      await owner.create(path, 'mine', { acl: [{ perms: Perms.ALL, id: { scheme: 'x509', id: 'CN=alice,O=Cairn tests' } }] });
      expect(Buffer.from((await owner.getData(path)).data!).toString()).toBe('mine');
      await expectKeeperError(stranger.getData(path), -102);
    } finally {
      await owner.close();
      await stranger.close();
    }
  }, 60_000);

  itWith('openssl', 'HTTPS: the same x509 identity reads an x509-protected node; no certificate, no read; plaintext HTTP is refused', async () => {
    const owner = await tlsClient(alice);
    const path = uniquePath('alice-https');
    try {
      await owner.create(path, 'mine', { acl: [{ perms: Perms.ALL, id: { scheme: 'x509', id: 'CN=alice,O=Cairn tests' } }] });
    } finally {
      await owner.close();
    }
    const url = `https://127.0.0.1:${server.httpPort}/v1/znodes${path}`;
    const caPem = readFileSync(ca.certificate);
    expect(await get(url, { ca: caPem, key: readFileSync(alice.key), cert: readFileSync(alice.certificate) })).toEqual({ status: 200 });
    expect(await get(url, { ca: caPem })).toEqual({ status: 403 });
    expect(await get(`https://127.0.0.1:${server.httpPort}/healthz`, { ca: caPem })).toEqual({ status: 200 });
    expect(await get(`http://127.0.0.1:${server.httpPort}/healthz`, null)).toHaveProperty('error');
  }, 60_000);

  itWith(['openssl', 'zkCli', 'java'], 'whoami names the same identities on all four ports: the address, the certificate (x509) and digest credentials', async () => {
    const bob = `Basic ${Buffer.from('bob:secret').toString('base64')}`;
    const tls = { ca: readFileSync(ca.certificate), key: readFileSync(alice.key), cert: readFileSync(alice.certificate) };
    const expected = [
      { authScheme: 'ip', user: '127.0.0.1' },
      { authScheme: 'x509', user: 'CN=alice,O=Cairn tests' },
      { authScheme: 'digest', user: 'bob' },
    ];
    const sorted = (infos: { authScheme: string; user: string }[]) => [...infos].sort((a, b) => a.authScheme.localeCompare(b.authScheme));

    // gRPC: the credentials as call metadata, on the session stream.
    const withBob = grpc.credentials.combineChannelCredentials(
      grpc.credentials.createSsl(tls.ca, tls.key, tls.cert),
      grpc.credentials.createFromMetadataGenerator((_params, callback) => {
        const metadata = new grpc.Metadata();
        metadata.set('authorization', bob);
        callback(null, metadata);
      }),
    );
    const client = await CairnClient.connect(server.grpcAddress, { timeoutMs: 10_000, connectTimeoutMs: 15_000, credentials: withBob });
    try {
      expect(sorted(await client.whoAmI())).toEqual(sorted(expected));
    } finally {
      await client.close();
    }

    // REST over HTTPS.
    const rest = await new Promise<string>((resolve, reject) => {
      const request = httpsRequest(`https://127.0.0.1:${server.httpPort}/v1/whoami`, { ...tls, headers: { authorization: bob } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(body));
      });
      request.on('error', reject);
      request.end();
    });
    expect(sorted(JSON.parse(rest).clientInfo)).toEqual(sorted(expected));

    // WebSocket over WSS.
    const ws = await WsSession.open(`wss://127.0.0.1:${server.httpPort}/v1/ws`, { authorization: bob }, tls);
    try {
      await ws.connect();
      const answer = await ws.request({ whoAmI: {} });
      expect(sorted(answer.whoAmI.clientInfo)).toEqual(sorted(expected));
    } finally {
      ws.close();
    }

    // The ZooKeeper port over TLS: zkCli with alice's certificate, after addauth.
    const flags = zookeeperClientTlsFlags(ca.certificate, alice.keyStore);
    const output = await runZkCli(`127.0.0.1:${server.secureClientPort}`, ['addauth digest bob:secret', 'whoami'], 60_000, { jvmFlags: flags, awaitConnection: true });
    const listed = [...output.matchAll(/^(ip|x509|digest): (.*)$/gm)].map((match) => ({ authScheme: match[1]!, user: match[2]! }));
    expect(sorted(listed), output).toEqual(sorted(expected));
  }, 120_000);

  itWith('openssl', 'plaintext on the gRPC port is refused once it serves TLS', async () => {
    await expect(CairnClient.connect(server.grpcAddress, { timeoutMs: 10_000, connectTimeoutMs: 3_000 })).rejects.toThrow();
    // And the server still serves TLS clients.
    const client = await tlsClient();
    await client.close();
  }, 60_000);
});

describeWith('openssl', 'certificate rotation on the client ports', () => {
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  itWith('openssl', 'a key store replaced on disk serves new gRPC, HTTPS and ZooKeeper-protocol connections without a restart', async () => {
    const factory = new CertificateFactory();
    const ca = factory.authority('ca');
    const first = factory.issue(ca, 'first', { subject: '/CN=server', altNames: ['IP:127.0.0.1'] });
    const renewed = factory.issue(ca, 'renewed', { subject: '/CN=server', altNames: ['IP:127.0.0.1'] });
    const live = join(factory.directory, 'live.keystore.pem');
    writeFileSync(live, readFileSync(first.keyStore));
    server = await startServerProcess({ config: { secureClientPort: 0, 'ssl.keyStore.location': live, 'ssl.trustStore.location': ca.certificate, 'ssl.clientAuth': 'none' } });
    const serialOf = (issued: Issued) => new X509Certificate(readFileSync(issued.certificate)).serialNumber;
    /** The serial of the certificate a new TLS connection to `port` is shown (h2 for gRPC). */
    const servedSerial = (port: number, alpn?: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connectTls({ host: '127.0.0.1', port, ca: readFileSync(ca.certificate), ...(alpn === undefined ? {} : { ALPNProtocols: [alpn] }) }, () => {
          resolve(socket.getPeerX509Certificate()!.serialNumber);
          socket.destroy();
        });
        socket.on('error', reject);
      });
    const ports = [
      { name: 'gRPC', port: server.grpcPort, alpn: 'h2' },
      { name: 'HTTPS', port: server.httpPort },
      { name: 'secureClientPort', port: server.secureClientPort! },
    ];
    for (const { port, alpn } of ports) expect(await servedSerial(port, alpn)).toBe(serialOf(first));
    // A rename into place, as a deployment tool or a Kubernetes secret update does.
    writeFileSync(`${live}.next`, readFileSync(renewed.keyStore));
    renameSync(`${live}.next`, live);
    await waitFor(() => server!.logs.some((entry) => entry.msg === 'TLS certificates reloaded'), 20_000, 'the reload');
    for (const { name, port, alpn } of ports) {
      let served = '';
      await waitFor(async () => (served = await servedSerial(port, alpn)) === serialOf(renewed), 20_000, `${name} serving the renewed certificate (serves ${served})`);
    }
  }, 90_000);
});
