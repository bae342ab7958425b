// Certificates made at test time with openssl: a CA, certificates it signed (for a server, for
// clients, expired ones), and a second CA nobody trusts. Each key store is what ZooKeeper's PEM
// key store holds: the private key and the certificate chain in one file.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = '/usr/bin/openssl';

export interface Authority {
  name: string;
  /** The CA certificate (a trust store). */
  certificate: string;
  key: string;
}

export interface Issued {
  /** Private key then certificate, PEM (a key store). */
  keyStore: string;
  certificate: string;
  key: string;
}

export interface IssueOptions {
  /** OpenSSL's -subj form, e.g. "/O=Cairn/CN=client". */
  subject: string;
  /** subjectAltName entries, e.g. ["IP:127.0.0.1", "DNS:localhost"]. */
  altNames?: string[];
  /** Valid from and until, relative to now, in days (negative: in the past). */
  notBeforeDays?: number;
  notAfterDays?: number;
  /** Encrypt the private key in the key store with this passphrase. */
  passphrase?: string;
}

function openssl(args: string[], directory: string): void {
  execFileSync(OPENSSL, args, { cwd: directory, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** openssl's ASN.1 time (YYYYMMDDHHMMSSZ) `days` from now. */
function asn1Time(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

export class CertificateFactory {
  readonly directory = mkdtempSync(join(tmpdir(), 'cairn-certs-'));
  private serial = 1;

  /** A self-signed CA. */
  authority(name: string, subject = `/O=Cairn tests/CN=${name}`): Authority {
    const key = join(this.directory, `${name}.key`);
    const certificate = join(this.directory, `${name}.pem`);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', certificate, '-days', '30', '-subj', subject], this.directory);
    return { name, certificate, key };
  }

  /**
   * zoo.cfg keys for a server on 127.0.0.1 holding a certificate `authority` signed: TLS on the
   * gRPC and HTTP ports, secureClientPort on a free port, client certificates asked for (want).
   */
  serverConfig(authority: Authority): Record<string, string | number> {
    const server = this.issue(authority, 'server', { subject: '/O=Cairn tests/CN=server', altNames: ['IP:127.0.0.1', 'DNS:localhost'] });
    return { secureClientPort: 0, 'ssl.keyStore.location': server.keyStore, 'ssl.trustStore.location': authority.certificate, 'ssl.clientAuth': 'want' };
  }

  /** A certificate `authority` signed, and its key store. */
  issue(authority: Authority, name: string, options: IssueOptions): Issued {
    const key = join(this.directory, `${name}.key`);
    const request = join(this.directory, `${name}.csr`);
    const certificate = join(this.directory, `${name}.pem`);
    const extensions = join(this.directory, `${name}.ext`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', request, '-subj', options.subject], this.directory);
    const altNames = options.altNames ?? [];
    writeFileSync(extensions, ['basicConstraints=CA:FALSE', ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : [])].join('\n') + '\n');
    // `openssl ca` is the command that takes explicit start and end dates (x509 -req only takes -days).
    const config = this.caConfig(authority);
    openssl(
      ['ca', '-batch', '-config', config, '-in', request, '-out', certificate, '-extfile', extensions, '-startdate', asn1Time(options.notBeforeDays ?? -1), '-enddate', asn1Time(options.notAfterDays ?? 30), '-notext'],
      this.directory,
    );
    let keyText = readFileSync(key, 'utf8');
    if (options.passphrase !== undefined) {
      const encrypted = join(this.directory, `${name}.enc.key`);
      openssl(['pkey', '-in', key, '-out', encrypted, '-aes256', '-passout', `pass:${options.passphrase}`], this.directory);
      keyText = readFileSync(encrypted, 'utf8');
    }
    const keyStore = join(this.directory, `${name}.keystore.pem`);
    writeFileSync(keyStore, keyText + readFileSync(certificate, 'utf8'));
    return { keyStore, certificate, key };
  }

  /** A minimal `openssl ca` configuration for one authority, with its own database. */
  private caConfig(authority: Authority): string {
    const base = join(this.directory, `${authority.name}-ca`);
    const config = `${base}.cnf`;
    const database = `${base}.index`;
    writeFileSync(database, '', { flag: 'a' });
    writeFileSync(
      config,
      [
        '[ca]',
        'default_ca = test_ca',
        '[test_ca]',
        `database = ${database}`,
        `new_certs_dir = ${this.directory}`,
        `certificate = ${authority.certificate}`,
        `private_key = ${authority.key}`,
        `serial = ${base}.serial`,
        'default_md = sha256',
        'policy = anything',
        'unique_subject = no',
        'copy_extensions = none',
        '[anything]',
        'countryName = optional',
        'stateOrProvinceName = optional',
        'localityName = optional',
        'organizationName = optional',
        'organizationalUnitName = optional',
        'commonName = supplied',
        'emailAddress = optional',
        '',
      ].join('\n'),
    );
    writeFileSync(`${base}.serial`, `${(this.serial++).toString(16).padStart(4, '0')}\n`);
    return config;
  }
}
