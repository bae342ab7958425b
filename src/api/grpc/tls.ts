// TLS on the gRPC port from the server's TLS material: credentials that follow its reloads (grpc-js
// swaps the secure context of the listening server when a certificate provider reports new
// files), and the x509 identity of a caller whose client certificate verified.

import { X509Certificate } from 'node:crypto';
import { rootCertificates, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { AuthId } from '../../core/acl.js';
import { certificateIdentities, rfc2253Name, type TlsContext } from '../../server/tls.js';

type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

/** The server's key, chain and CA bundle as grpc-js's certificate provider, updated on every reload. */
class TlsContextProvider implements grpc.experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private readonly tls: TlsContext) {
    tls.onReload(() => {
      for (const listener of this.caListeners) listener(this.ca());
      for (const listener of this.identityListeners) listener(this.identity());
    });
  }

  private ca(): grpc.experimental.CaCertificateUpdate {
    // Without a trust store, client certificates are checked against Node's CAs, as on the other ports.
    return { caCertificate: this.tls.pem().ca ?? Buffer.from(rootCertificates.join('\n')) };
  }

  private identity(): grpc.experimental.IdentityCertificateUpdate {
    const { key, cert } = this.tls.pem();
    return { certificate: cert, privateKey: key };
  }

  // The first update is delivered after the call returns, as a file-reading provider's would be:
  // grpc-js registers what applies it to the listening server only after adding the listener.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    queueMicrotask(() => {
      if (this.caListeners.has(listener)) listener(this.ca());
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener(this.identity());
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/**
 * Server credentials for `tls`: need requires a verified client certificate; want asks for one
 * (a caller without a verified one is not an x509 identity); none asks for none.
 */
export function grpcServerCredentials(tls: TlsContext): grpc.ServerCredentials {
  const provider = new TlsContextProvider(tls);
  const clientAuth = tls.settings.clientAuth;
  // One provider serves as both the identity and the CA provider, so the order grpc-js takes them
  // in does not matter; without a CA provider no client certificate is asked for.
  return grpc.experimental.createCertificateProviderServerCredentials(provider, clientAuth === 'none' ? null : provider, clientAuth === 'need');
}

/** What the caller's verified client certificate proves: its x509 identity (and super, for X509AuthenticationProvider.superUser). */
export function callerCertificateIdentities(call: { getAuthContext?: () => { sslPeerCertificate?: PeerCertificate } }, superUser: string | undefined): AuthId[] {
  const raw = call.getAuthContext?.().sslPeerCertificate?.raw;
  if (raw === undefined) return [];
  return certificateIdentities({ scheme: 'x509', id: rfc2253Name(new X509Certificate(raw).subject) }, superUser);
}
