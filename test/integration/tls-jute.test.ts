// The ZooKeeper protocol over TLS (secureClientPort with ZooKeeper's PEM ssl.* keys), against a
// real `cairn server` process and stock zkCli.sh on ZooKeeper's Netty client: a trust store only,
// then a client certificate whose subject DN is the session's x509 identity in ACLs. Plaintext on
// the secure port is refused; the plaintext clientPort keeps serving.

import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { runZkCli } from '../jute/scripts.js';
import { CertificateFactory, type Authority, type Issued } from '../support/certificates.js';
import { describeWith, itWith } from '../support/requirements.js';
import { removeDir, startServerProcess, type ServerProcess } from './harness.js';
import { zookeeperClientTlsFlags } from './zookeeper-process.js';

/** What ZooKeeper's Java client needs for TLS with these certificates. */
function clientTlsFlags(ca: Authority, keyStore?: Issued): string[] {
  return zookeeperClientTlsFlags(ca.certificate, keyStore?.keyStore);
}

/** What a connection answers to the four-letter word ruok, until it closes. */
function ruok(open: () => import('node:net').Socket): Promise<string> {
  return new Promise((resolve) => {
    const socket = open();
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

describeWith(['openssl', 'zkCli', 'java'], 'the ZooKeeper protocol over TLS', () => {
  let factory: CertificateFactory;
  let ca: Authority;
  let alice: Issued;
  let server: ServerProcess;

  beforeAll(async () => {
    factory = new CertificateFactory();
    ca = factory.authority('ca');
    const serverCertificate = factory.issue(ca, 'server', { subject: '/O=Cairn tests/CN=server', altNames: ['IP:127.0.0.1', 'DNS:localhost'] });
    alice = factory.issue(ca, 'alice', { subject: '/CN=alice' });
    server = await startServerProcess({
      config: {
        secureClientPort: 0,
        'ssl.keyStore.location': serverCertificate.keyStore,
        'ssl.keyStore.type': 'PEM',
        'ssl.trustStore.location': ca.certificate,
        'ssl.trustStore.type': 'PEM',
        'ssl.clientAuth': 'want',
        '4lw.commands.whitelist': 'ruok,srvr',
      },
    });
    expect(server.secureClientPort).not.toBeNull();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (server !== undefined) await removeDir(server.dataDir);
  });

  itWith(['openssl', 'zkCli', 'java'], 'zkCli over TLS with a PEM trust store: create, read, and whoami without a certificate is only the address', async () => {
    const output = await runZkCli(`127.0.0.1:${server.secureClientPort}`, ['create /over-tls secret', 'get /over-tls', 'whoami'], 60_000, { jvmFlags: clientTlsFlags(ca), awaitConnection: true });
    expect(output).toContain('Created /over-tls');
    expect(output).toContain('secret');
    expect(output).toMatch(/ip\s*:?\s*127\.0\.0\.1/);
    expect(output).not.toContain('x509');
  }, 90_000);

  itWith(['openssl', 'zkCli', 'java'], 'a client certificate is the x509 identity: an x509 ACL lets its holder in and keeps others out', async () => {
    const owner = await runZkCli(
      `127.0.0.1:${server.secureClientPort}`,
      ['create /alice-only mine', 'setAcl /alice-only x509:CN=alice:cdrwa', 'get /alice-only', 'whoami'],
      60_000,
      { jvmFlags: clientTlsFlags(ca, alice), awaitConnection: true },
    );
    expect(owner).toContain('Created /alice-only');
    expect(owner).toContain('mine');
    expect(owner).toMatch(/x509\s*:?\s*CN=alice/);
    const stranger = await runZkCli(`127.0.0.1:${server.clientPort}`, ['get /alice-only'], 60_000);
    expect(stranger).toContain('Insufficient permission : /alice-only');
  }, 90_000);

  itWith(['openssl', 'zkCli', 'java'], 'plaintext on the secure port is refused; TLS and the plaintext port answer', async () => {
    // What a plaintext ZooKeeper client sends first: a framed ConnectRequest.
    const connectRequest = Buffer.alloc(48);
    connectRequest.writeUInt32BE(44, 0);
    const plaintextOnSecure = await ruok(() => {
      const socket = connectTcp(server.secureClientPort!, '127.0.0.1');
      socket.on('connect', () => socket.write(connectRequest));
      return socket;
    });
    expect(plaintextOnSecure).not.toContain('imok');
    const overTls = await ruok(() => {
      const socket = connectTls({ host: '127.0.0.1', port: server.secureClientPort!, ca: readFileSync(ca.certificate) });
      socket.on('secureConnect', () => socket.write('ruok'));
      return socket;
    });
    expect(overTls).toBe('imok');
    const plain = await ruok(() => {
      const socket = connectTcp(server.clientPort, '127.0.0.1');
      socket.on('connect', () => socket.write('ruok'));
      return socket;
    });
    expect(plain).toBe('imok');
    // The refused handshake was logged, and the server kept serving.
    expect(server.logs.some((entry) => entry.msg === 'TLS handshake failed on the secure client port')).toBe(true);
  }, 60_000);
});
