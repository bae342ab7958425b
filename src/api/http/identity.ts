// Who an HTTP request or WebSocket is: the `ip` identity of its peer (derived as on every port,
// by core/acl.ts), the `x509` identity of a verified client certificate when the port serves TLS,
// plus the `digest` identity of `Authorization: Basic` credentials (as ZooKeeper's addauth digest
// user:password would give), so ACLs hold exactly as over gRPC and the ZooKeeper port.

import { isIP, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { authenticate, ipIdentity, type AuthId } from '../../core/acl.js';
import { keeperError } from '../../core/errors.js';
import { x509Identity } from '../../server/tls.js';

/** The identities the connection itself proves: its address, and a verified client certificate's subject. */
export function peerIdentities(socket: Socket): AuthId[] {
  const address = socket.remoteAddress;
  const identities = address === undefined || isIP(address) === 0 ? [] : [ipIdentity(address)];
  const certificate = socket instanceof TLSSocket ? x509Identity(socket) : null;
  if (certificate !== null) identities.push(certificate);
  return identities;
}

export interface Credentials {
  /** The `user:password` bytes, as an auth request carries them. */
  raw: Uint8Array;
  /** The digest identity they give. */
  id: AuthId;
}

/** `Basic base64(user:password)` → the digest credentials; absent → none; anything else → AuthFailed. */
export function basicCredentials(authorization: string | undefined): Credentials | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (match === null) throw keeperError('AuthFailed', undefined, 'the Authorization header must be "Basic base64(user:password)"');
  const raw = new Uint8Array(Buffer.from(match[1] as string, 'base64'));
  return { raw, id: authenticate('digest', raw) };
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
