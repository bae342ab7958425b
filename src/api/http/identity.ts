// Who an HTTP request or WebSocket is: the `ip` identity of its peer, plus the `digest`
// identity of `Authorization: Basic` credentials (as ZooKeeper's addauth digest user:password
// would give), so ACLs hold exactly as over gRPC.

import { isIP } from 'node:net';
import { authenticate, type AuthId } from '../../core/acl.js';
import { keeperError } from '../../core/errors.js';

/** The peer's address, with IPv4-mapped IPv6 unwrapped so that ip ACLs written for IPv4 match. */
export function peerIdentities(remoteAddress: string | undefined): AuthId[] {
  if (remoteAddress === undefined || isIP(remoteAddress) === 0) return [];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress);
  return [{ scheme: 'ip', id: mapped !== null ? (mapped[1] as string) : remoteAddress }];
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

export function requestIdentities(remoteAddress: string | undefined, authorization: string | undefined): AuthId[] {
  const identities = peerIdentities(remoteAddress);
  const credential = credentialIdentity(authorization);
  if (credential !== undefined) identities.push(credential);
  return identities;
}
