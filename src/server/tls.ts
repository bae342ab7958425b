// TLS for the client ports and between servers, with ZooKeeper's PEM stores: a key store holding
// the private key and the certificate chain (ssl.keyStore.location, ssl.keyStore.type=PEM), a trust
// store of CA certificates (ssl.trustStore.location), and ssl.clientAuth=none|want|need. The files
// are re-read when they change, as ZooKeeper's FileChangeWatcher does, so certificates rotate
// without a restart: connections made after a change use the new files, open ones are kept.
//
// A change that does not load (a half-written file, a key that does not match the certificate) is
// logged and the previous material kept; the next change is tried again.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { AuthId } from '../core/acl.js';
import type { TlsStoreConfig } from './config.js';

/** The stores and ssl.clientAuth, as the configuration gives them. */
export type TlsSettings = TlsStoreConfig;
export type ClientAuth = TlsStoreConfig['clientAuth'];

interface Material {
  key: Buffer;
  cert: Buffer;
  ca: Buffer | undefined;
  /** The private key alone, decrypted, for APIs that take no passphrase (gRPC). */
  plainKey: Buffer;
}

/** How long after the last change event the files are read (an editor or a secret update writes several). */
const RELOAD_SETTLE_MS = 100;

/** Reads and checks the stores; throws an error that names the file at fault. */
function loadMaterial(settings: TlsSettings): Material {
  const keyStore = readStore(settings.keyStoreLocation, 'ssl.keyStore.location');
  const certificates = pemBlocks(keyStore, 'CERTIFICATE');
  if (certificates.length === 0) throw new Error(`the key store ${settings.keyStoreLocation} holds no certificate (it must hold the private key and the certificate chain, PEM)`);
  if (!/-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(keyStore.toString('latin1'))) {
    throw new Error(`the key store ${settings.keyStoreLocation} holds no private key (it must hold the private key and the certificate chain, PEM)`);
  }
  let plainKey: Buffer;
  try {
    const leaf = new X509Certificate(certificates[0]!);
    const key = createPrivateKey({ key: keyStore, format: 'pem', passphrase: settings.keyStorePassword });
    if (!leaf.checkPrivateKey(key)) throw new Error('the private key does not belong to the first certificate');
    plainKey = Buffer.from(key.export({ format: 'pem', type: 'pkcs8' }));
  } catch (error) {
    throw new Error(`the key store ${settings.keyStoreLocation} cannot be used: ${(error as Error).message}`);
  }
  const ca = settings.trustStoreLocation === undefined ? undefined : readStore(settings.trustStoreLocation, 'ssl.trustStore.location');
  if (ca !== undefined && pemBlocks(ca, 'CERTIFICATE').length === 0) throw new Error(`the trust store ${settings.trustStoreLocation} holds no certificate (PEM)`);
  const material: Material = { key: keyStore, cert: Buffer.from(certificates.join('\n')), ca, plainKey };
  try {
    // Everything OpenSSL checks when a server is built, so a bad file fails here, not per connection.
    createSecureContext(contextOptions(material, settings));
  } catch (error) {
    throw new Error(`the TLS stores cannot be used (${settings.keyStoreLocation}${settings.trustStoreLocation === undefined ? '' : `, ${settings.trustStoreLocation}`}): ${(error as Error).message}`);
  }
  return material;
}

function readStore(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`${key} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** The PEM blocks of one type in a file, each with its BEGIN and END lines. */
function pemBlocks(pem: Buffer, type: string): string[] {
  const pattern = new RegExp(`-----BEGIN ${type}-----[\\s\\S]*?-----END ${type}-----`, 'g');
  return pem.toString('latin1').match(pattern) ?? [];
}

function contextOptions(material: Material, settings: TlsSettings): SecureContextOptions {
  return { key: material.key, cert: material.cert, ca: material.ca, passphrase: settings.keyStorePassword };
}

/** A server's TLS material, re-read when its files change. */
export class TlsContext {
  private material: Material;
  private readonly listeners = new Set<() => void>();
  private readonly watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;

  /** Loads the stores now (throwing on a bad one) and, if `watchFiles`, follows their changes. */
  constructor(
    readonly settings: TlsSettings,
    private readonly logger: Logger,
    watchFiles = true,
  ) {
    this.material = loadMaterial(settings);
    if (watchFiles) this.watch();
  }

  /** What a TLS server or client is built with now. */
  secureContextOptions(): SecureContextOptions {
    return contextOptions(this.material, this.settings);
  }

  /** Options of a TLS server: the material, and whether to ask for and insist on a client certificate. */
  serverOptions(): TlsOptions {
    return {
      ...this.secureContextOptions(),
      requestCert: this.settings.clientAuth !== 'none',
      // With `want` a handshake without a certificate succeeds; acceptClientCertificate() then
      // refuses one that was presented but does not verify.
      rejectUnauthorized: this.settings.clientAuth === 'need',
    };
  }

  /** The private key (decrypted), certificate chain and CA bundle, PEM, for APIs that take them apart (gRPC). */
  pem(): { key: Buffer; cert: Buffer; ca: Buffer | undefined } {
    return { key: this.material.plainKey, cert: this.material.cert, ca: this.material.ca };
  }

  /** Calls `listener` after each successful reload; returns what unsubscribes it. */
  onReload(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes a TLS server take the new material for the connections it accepts from now on. */
  attach(server: { setSecureContext(options: SecureContextOptions): void }): () => void {
    return this.onReload(() => server.setSecureContext(this.secureContextOptions()));
  }

  /** Reads the files again; true if they loaded and differ from what was in use. */
  reload(): boolean {
    let next: Material;
    try {
      next = loadMaterial(this.settings);
    } catch (error) {
      this.logger.error({ err: error }, 'TLS files changed but cannot be used; keeping the previous certificates');
      return false;
    }
    const same = next.key.equals(this.material.key) && next.cert.equals(this.material.cert) && (next.ca ?? Buffer.alloc(0)).equals(this.material.ca ?? Buffer.alloc(0));
    if (same) return false;
    this.material = next;
    this.logger.info({ keyStore: this.settings.keyStoreLocation, trustStore: this.settings.trustStoreLocation }, 'TLS certificates reloaded');
    for (const listener of this.listeners) listener();
    return true;
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    this.reloadTimer = null;
  }

  /**
   * Watches each file's directory rather than the file: a file replaced by a rename (an editor, a
   * Kubernetes secret's symlink swap) is a new inode that a watch on the old one would never see.
   */
  private watch(): void {
    const files = [this.settings.keyStoreLocation, this.settings.trustStoreLocation].filter((file): file is string => file !== undefined);
    const directories = new Map<string, Set<string>>();
    for (const file of files) {
      const names = directories.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      directories.set(dirname(file), names);
    }
    for (const [directory, names] of directories) {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        // Without a name (some platforms) any change may be ours; a symlink swap names a sibling.
        if (name !== null && !names.has(name.toString()) && !name.toString().startsWith('..')) return;
        this.scheduleReload();
      });
      watcher.on('error', (error) => this.logger.warn({ err: error, directory }, 'cannot watch TLS files for changes; certificates will not be reloaded'));
      this.watchers.push(watcher);
    }
  }

  private scheduleReload(): void {
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.reload();
    }, RELOAD_SETTLE_MS);
    this.reloadTimer.unref();
  }
}

/**
 * Whether a TLS client may go on after the handshake: null if so, else why not. With `need`
 * OpenSSL already refused a missing or unverified certificate; with `want` a presented one must
 * verify too (as a Java server's wantClientAuth does), only a missing one is let through.
 */
export function clientCertificateRefusal(socket: TLSSocket, clientAuth: ClientAuth): string | null {
  if (clientAuth === 'none' || socket.authorized) return null;
  const presented = socket.getPeerX509Certificate() !== undefined;
  if (!presented && clientAuth === 'want') return null;
  return presented ? `the client certificate does not verify: ${String(socket.authorizationError)}` : 'a client certificate is required';
}

/** The x509 identity of a verified client certificate: its subject DN as ZooKeeper's X509AuthenticationProvider names it. */
export function x509Identity(socket: TLSSocket): AuthId | null {
  if (!socket.authorized) return null;
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return null;
  return { scheme: 'x509', id: rfc2253Name(certificate.subject) };
}

/**
 * What a verified certificate proves: its x509 identity, and the super user's as well when its DN
 * is X509AuthenticationProvider.superUser (ZooKeeper adds a `super` id then, which passes every ACL).
 */
export function certificateIdentities(identity: AuthId | null, superUser: string | undefined): AuthId[] {
  if (identity === null) return [];
  return superUser !== undefined && identity.id === superUser ? [identity, { scheme: 'super', id: identity.id }] : [identity];
}

/**
 * A distinguished name in RFC 2253's form, as Java's X500Principal.getName() gives it (the id
 * ZooKeeper's x509 scheme uses): the RDNs most specific first, separated by commas. Node lists the
 * subject one RDN per line in the certificate's order (least specific first), values already
 * escaped per RFC 2253.
 */
export function rfc2253Name(subject: string): string {
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map((rdn) => rdn.split(' + ').join('+'))
    .join(',');
}
