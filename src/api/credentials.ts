// Digest credentials in an `Authorization: Basic base64(user:password)` header, as the HTTP port
// takes them and gRPC calls may carry them in their metadata: the identity ZooKeeper's
// `addauth digest user:password` would give.

import { authenticate, type AuthId } from '../core/acl.js';
import { keeperError } from '../core/errors.js';

export interface Credentials {
  /** The `user:password` bytes, as an auth request carries them. */
  raw: Uint8Array;
  /** The digest identity they give. */
  id: AuthId;
}

/**
 * `Basic base64(user:password)` → the digest credentials; absent or blank → none; anything else
 * (another scheme, base64 that is not in its one canonical form) → AuthFailed.
 */
export function basicCredentials(authorization: string | undefined): Credentials | undefined {
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization);
  // Node decodes base64 leniently (extra padding, stray characters): only the form it would write is taken.
  const token = match?.[1];
  const raw = token === undefined ? undefined : Buffer.from(token, 'base64');
  if (raw === undefined || raw.toString('base64') !== token) throw keeperError('AuthFailed', undefined, 'the Authorization header must be "Basic base64(user:password)"');
  return { raw: new Uint8Array(raw), id: authenticate('digest', new Uint8Array(raw)) };
}

