// Who an HTTP request or WebSocket is: the `ip` identity of its peer (derived as on every port,
// by core/acl.ts), the `x509` identity of a verified client certificate when the port serves TLS,
// plus the `digest` identity of `Authorization: Basic` credentials (as ZooKeeper's addauth digest
// user:password would give), so ACLs hold exactly as over gRPC and the ZooKeeper port.

import { isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ipIdentity, type AuthId } from '../../core/acl.js';
import { basicCredentials } from '../credentials.js';
import { x509Identity } from '../../server/tls.js';

export { basicCredentials, type Credentials } from '../credentials.js';

/** The identities the connection itself proves: its address, and a verified client certificate's subject. */
export function peerIdentities(socket: Socket): AuthId[] {
  const address = socket.remoteAddress;
  const identities = address === undefined || isIP(address) === 0 ? [] : [ipIdentity(address)];
  const certificate = socket instanceof TLSSocket ? x509Identity(socket) : null;
  if (certificate !== null) identities.push(certificate);
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
