// TLS between servers (sslQuorum=true with ZooKeeper's ssl.quorum.* PEM keys): an ensemble of real
// `cairn server` processes elects and replicates over mutually authenticated TLS, and a peer
// without a certificate from the trusted CA (a foreign one, or plaintext) is refused and logged.

import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import { CertificateFactory, type Authority, type Issued } from '../support/certificates.js';
import { describeWith, itWith } from '../support/requirements.js';
import { startEnsemble, type Ensemble } from './ensemble-harness.js';
import { connect, uniquePath } from './grpc-helpers.js';
import { waitFor } from './harness.js';

describeWith('openssl', 'TLS between servers', () => {
  let factory: CertificateFactory;
  let ca: Authority;
  let peer: Issued;
  let stranger: Issued;
  let ensemble: Ensemble;

  beforeAll(async () => {
    factory = new CertificateFactory();
    ca = factory.authority('quorum-ca');
    const foreignCa = factory.authority('foreign-ca');
    peer = factory.issue(ca, 'peer', { subject: '/O=Cairn tests/CN=peer', altNames: ['IP:127.0.0.1', 'DNS:localhost'] });
    stranger = factory.issue(foreignCa, 'stranger', { subject: '/CN=stranger', altNames: ['IP:127.0.0.1'] });
    ensemble = await startEnsemble({
      voters: 3,
      config: { sslQuorum: 'true', 'ssl.quorum.keyStore.location': peer.keyStore, 'ssl.quorum.trustStore.location': ca.certificate },
    });
  }, 90_000);

  afterAll(async () => {
    await ensemble?.stopAll();
  });

  /** The quorum port of server `id`, from its server.N line. */
  const quorumPort = (id: number) => Number(String(ensemble.members[id - 1]!.config[`server.${id}`]).split(':')[1]);

  itWith('openssl', 'elects a leader and replicates writes over TLS', async () => {
    const leader = await ensemble.awaitServing(3, 60_000);
    const follower = ensemble.members.find((member) => member.id !== leader)!;
    const writer = await connect(ensemble.members[leader - 1]!.grpcAddress);
    const reader = await connect(follower.grpcAddress);
    try {
      const path = uniquePath('over-tls');
      await writer.create(path, 'replicated');
      await reader.sync(path);
      expect(Buffer.from((await reader.getData(path)).data!).toString()).toBe('replicated');
    } finally {
      await writer.close();
      await reader.close();
    }
  }, 90_000);

  itWith('openssl', 'refuses a peer with a certificate from another CA, and one speaking plaintext, and logs each', async () => {
    await ensemble.awaitServing(3, 60_000);
    const target = ensemble.members[0]!;
    const port = quorumPort(1);
    const refusals = () => target.process!.logs.filter((entry) => entry.msg === 'refusing a peer connection: no certificate from the trusted CA').length;
    const before = refusals();
    const foreign = await new Promise<string>((resolve) => {
      const socket = connectTls({ host: '127.0.0.1', port, ca: readFileSync(ca.certificate), key: readFileSync(stranger.key), cert: readFileSync(stranger.certificate) });
      socket.on('secureConnect', () => socket.write(Buffer.alloc(16)));
      socket.on('error', (error) => resolve(`error: ${error.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(foreign).not.toBe('');
    await waitFor(() => refusals() > before, 10_000, 'the foreign certificate refused and logged');
    const plaintext = await new Promise<string>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1');
      socket.on('connect', () => socket.write(Buffer.alloc(64)));
      socket.on('error', (error) => resolve(`error: ${error.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(plaintext).not.toBe('');
    await waitFor(() => refusals() > before + 1, 10_000, 'the plaintext peer refused and logged');
    // The ensemble kept serving.
    await ensemble.awaitServing(3, 30_000);
  }, 90_000);
});

describeWith('openssl', 'TLS between servers: host names', () => {
  let ensemble: Ensemble | undefined;

  afterAll(async () => {
    await ensemble?.stopAll();
  });

  itWith('openssl', 'a peer certificate that does not name the host in server.N is refused and logged; hostnameVerification=false takes it', async () => {
    const factory = new CertificateFactory();
    const ca = factory.authority('quorum-ca');
    const elsewhere = factory.issue(ca, 'elsewhere', { subject: '/CN=elsewhere', altNames: ['DNS:elsewhere.example'] });
    const config = { sslQuorum: 'true', 'ssl.quorum.keyStore.location': elsewhere.keyStore, 'ssl.quorum.trustStore.location': ca.certificate };
    ensemble = await startEnsemble({ voters: 3, config });
    const refused = () => ensemble!.members.some((member) => member.process!.logs.some((entry) => entry.msg === 'refusing a peer: its certificate does not verify'));
    await waitFor(refused, 30_000, 'a peer certificate refused for its host name');
    expect(ensemble.leader()).toBeNull();
    await ensemble.stopAll();
    ensemble = await startEnsemble({ voters: 3, config: { ...config, 'ssl.quorum.hostnameVerification': 'false' } });
    await ensemble.awaitServing(3, 60_000);
  }, 150_000);
});
