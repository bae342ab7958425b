// The TLS material every port is served with: ZooKeeper's PEM key and trust stores, what
// ssl.clientAuth lets through, the x509 identity of a client certificate, and rotation of the
// files without a restart. Real TLS handshakes on 127.0.0.1, certificates made by openssl.

import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientCertificateRefusal, rfc2253Name, TlsContext, x509Identity, type ClientAuth } from '../../src/server/tls.js';
import { CertificateFactory, type Authority, type Issued } from '../support/certificates.js';
import { describeWith, itWith } from '../support/requirements.js';

const logger = pino({ level: 'silent' });

describeWith('openssl', 'TLS stores, client authentication and rotation', () => {
  let factory: CertificateFactory;
  let ca: Authority;
  let foreign: Authority;
  let server: Issued;
  let client: Issued;
  let expired: Issued;
  let stranger: Issued;

  beforeAll(() => {
    factory = new CertificateFactory();
    ca = factory.authority('ca');
    foreign = factory.authority('foreign');
    server = factory.issue(ca, 'server', { subject: '/O=Cairn tests/CN=server', altNames: ['IP:127.0.0.1', 'DNS:localhost'] });
    client = factory.issue(ca, 'client', { subject: '/C=US/O=Cairn tests\\, Inc./OU=ops/CN=client one' });
    expired = factory.issue(ca, 'expired', { subject: '/CN=expired', notBeforeDays: -10, notAfterDays: -1 });
    stranger = factory.issue(foreign, 'stranger', { subject: '/CN=stranger' });
  });

  interface Outcome {
    ok: boolean;
    identity: string | null;
    error: string | null;
  }

  /** A TLS server with `clientAuth` that reports each accepted client's identity, and a client that connects with `keyStore`. */
  async function handshake(clientAuth: ClientAuth, keyStore: Issued | null): Promise<Outcome> {
    const tls = new TlsContext({ keyStoreLocation: server.keyStore, trustStoreLocation: ca.certificate, clientAuth }, logger, false);
    const outcomes: Outcome[] = [];
    const listener: Server = createServer(tls.serverOptions(), (socket: TLSSocket) => {
      const refusal = clientCertificateRefusal(socket, clientAuth);
      outcomes.push({ ok: refusal === null, identity: x509Identity(socket)?.id ?? null, error: refusal });
      socket.end(refusal === null ? 'welcome' : 'refused');
    });
    // A handshake OpenSSL refuses (need, no or a bad certificate) never reaches the callback.
    listener.on('tlsClientError', (error) => outcomes.push({ ok: false, identity: null, error: error.message }));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    const options = { host: '127.0.0.1', port, ca: readFileSync(ca.certificate), ...(keyStore === null ? {} : { key: readFileSync(keyStore.keyStore), cert: readFileSync(keyStore.certificate) }) };
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(options);
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', (error) => resolve(`error: ${error.message}`));
      socket.on('close', () => resolve(data === '' ? 'closed' : data));
    });
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    tls.close();
    const outcome = outcomes[0] ?? { ok: false, identity: null, error: reply };
    expect(reply === 'welcome', `${reply} / ${JSON.stringify(outcome)}`).toBe(outcome.ok);
    return outcome;
  }

  itWith('openssl', 'a client certificate signed by the trusted CA is the x509 identity of its subject DN, most specific first (as ZooKeeper names it)', async () => {
    expect(await handshake('need', client)).toEqual({ ok: true, identity: 'CN=client one,OU=ops,O=Cairn tests\\, Inc.,C=US', error: null });
    expect(await handshake('want', client)).toMatchObject({ ok: true, identity: 'CN=client one,OU=ops,O=Cairn tests\\, Inc.,C=US' });
  });

  itWith('openssl', 'need refuses no certificate, an expired one and one from a CA nobody trusts', async () => {
    expect((await handshake('need', null)).ok).toBe(false);
    expect((await handshake('need', expired)).ok).toBe(false);
    expect((await handshake('need', stranger)).ok).toBe(false);
  });

  itWith('openssl', 'want lets a client without a certificate in, unauthenticated, but refuses a certificate that does not verify', async () => {
    expect(await handshake('want', null)).toEqual({ ok: true, identity: null, error: null });
    expect(await handshake('want', stranger)).toMatchObject({ ok: false });
    expect(await handshake('want', expired)).toMatchObject({ ok: false });
  });

  itWith('openssl', 'none never asks for a certificate, so no client is an x509 identity', async () => {
    expect(await handshake('none', client)).toEqual({ ok: true, identity: null, error: null });
    expect(await handshake('none', null)).toEqual({ ok: true, identity: null, error: null });
  });

  itWith('openssl', 'a key store must hold a private key that belongs to its first certificate; errors name the file', () => {
    const onlyCertificate = join(factory.directory, 'only-cert.pem');
    writeFileSync(onlyCertificate, readFileSync(server.certificate));
    expect(() => new TlsContext({ keyStoreLocation: onlyCertificate, clientAuth: 'none' }, logger, false)).toThrow(/only-cert\.pem holds no private key/);
    const mismatched = join(factory.directory, 'mismatched.pem');
    writeFileSync(mismatched, readFileSync(client.key, 'utf8') + readFileSync(server.certificate, 'utf8'));
    expect(() => new TlsContext({ keyStoreLocation: mismatched, clientAuth: 'none' }, logger, false)).toThrow(/mismatched\.pem cannot be used: the private key does not belong/);
    expect(() => new TlsContext({ keyStoreLocation: join(factory.directory, 'absent.pem'), clientAuth: 'none' }, logger, false)).toThrow(/ssl\.keyStore\.location .*absent\.pem cannot be read: ENOENT/);
    expect(() => new TlsContext({ keyStoreLocation: server.keyStore, trustStoreLocation: server.key, clientAuth: 'need' }, logger, false)).toThrow(/trust store .* holds no certificate/);
  });

  itWith('openssl', 'an encrypted private key opens with ssl.keyStore.password, and not without it', () => {
    const locked = factory.issue(ca, 'locked', { subject: '/CN=locked', passphrase: 'open sesame' });
    expect(() => new TlsContext({ keyStoreLocation: locked.keyStore, keyStorePassword: 'open sesame', clientAuth: 'none' }, logger, false).close()).not.toThrow();
    expect(() => new TlsContext({ keyStoreLocation: locked.keyStore, keyStorePassword: 'wrong', clientAuth: 'none' }, logger, false)).toThrow(/locked\.keystore\.pem cannot be used/);
  });

  itWith('openssl', 'a key store replaced on disk serves new connections without a restart; open ones stay; a broken replacement keeps the old one', async () => {
    const live = join(factory.directory, 'live.keystore.pem');
    writeFileSync(live, readFileSync(server.keyStore));
    const tls = new TlsContext({ keyStoreLocation: live, trustStoreLocation: ca.certificate, clientAuth: 'none' }, logger);
    const listener = createServer(tls.serverOptions(), (socket) => socket.write('hello'));
    tls.attach(listener);
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as { port: number }).port;
    const peerCertificate = async (): Promise<{ serial: string; socket: TLSSocket }> =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(ca.certificate) }, () => resolve({ serial: socket.getPeerX509Certificate()!.serialNumber, socket }));
        socket.on('error', reject);
      });
    const first = await peerCertificate();
    expect(first.serial).toBe(new X509Certificate(readFileSync(server.certificate)).serialNumber);

    // Replaced by a rename, as a deployment tool or a Kubernetes secret does.
    const renewed = factory.issue(ca, 'renewed', { subject: '/O=Cairn tests/CN=server', altNames: ['IP:127.0.0.1'] });
    const reloaded = new Promise<void>((resolve) => tls.onReload(resolve));
    writeFileSync(`${live}.next`, readFileSync(renewed.keyStore));
    renameSync(`${live}.next`, live);
    await reloaded;
    const second = await peerCertificate();
    expect(second.serial).toBe(new X509Certificate(readFileSync(renewed.certificate)).serialNumber);
    expect(first.socket.destroyed).toBe(false);

    // A half-written file does not load: the renewed certificate stays in use.
    writeFileSync(live, readFileSync(renewed.keyStore, 'utf8').slice(0, 200));
    expect(tls.reload()).toBe(false);
    const third = await peerCertificate();
    expect(third.serial).toBe(second.serial);

    for (const { socket } of [first, second, third]) socket.destroy();
    tls.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });
});

describe('RFC 2253 names', () => {
  it('reverses the RDNs Node lists least specific first and joins a multi-valued RDN with +', () => {
    expect(rfc2253Name('C=US\nO=Ex\nCN=one')).toBe('CN=one,O=Ex,C=US');
    expect(rfc2253Name('C=US\nOU=b + O=Ex\nCN=client one')).toBe('CN=client one,OU=b+O=Ex,C=US');
    expect(rfc2253Name('O=Cairn Test\\, Inc.\nCN=Test CA')).toBe('CN=Test CA,O=Cairn Test\\, Inc.');
  });
});
