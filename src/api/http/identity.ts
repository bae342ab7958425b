// Who an HTTP request or WebSocket is: the `ip` identity of its peer (derived as on every port,
// by core/acl.ts), the `x509` identity of a verified client certificate when the port serves TLS,
// plus the `digest` identity of `Authorization: Basic` credentials (as ZooKeeper's addauth digest
// user:password would give), so ACLs hold exactly as over gRPC and the ZooKeeper port.

import { isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ipIdentity, type AuthId } from '../../core/acl.js';
import { basicCredentials } from '../credentials.js';
import { certificateIdentities, x509Identity, type TlsSettings } from '../../server/tls.js';

export { basicCredentials, type Credentials } from '../credentials.js';

/** What each TLS connection's certificate proved, worked out once as its handshake completed. */
const provenByCertificate = new WeakMap<TLSSocket, readonly AuthId[]>();

/** Called as a TLS connection to the HTTP port is established. */
export function rememberCertificate(socket: TLSSocket, settings: TlsSettings): void {
  provenByCertificate.set(socket, certificateIdentities(x509Identity(socket), settings.superUser));
}

/** The identities the connection itself proves: its address, and a verified client certificate's subject. */
export function peerIdentities(socket: Socket): AuthId[] {
  const address = socket.remoteAddress;
  const identities = address === undefined || isIP(address) === 0 ? [] : [ipIdentity(address)];
  if (socket instanceof TLSSocket) identities.push(...(provenByCertificate.get(socket) ?? []));
  return identities;
}

export function credentialIdentity(authorization: string | undefined): AuthId | undefined {
  return basicCredentials(authorization)?.id;
}

export function requestIdentities(socket: Socket, authorization: string | undefined): AuthId[] {
  const identities = peerIdentities(socket);
  const credential = credentialIdentity(authorization);
  if (credential !== undefined) identities.push(credential);
  return identities;
}
