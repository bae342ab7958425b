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

/** `Basic base64(user:password)` → the digest credentials; absent → none; anything else → AuthFailed. */
export function basicCredentials(authorization: string | undefined): Credentials | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (match === null) throw keeperError('AuthFailed', undefined, 'the Authorization header must be "Basic base64(user:password)"');
  const raw = new Uint8Array(Buffer.from(match[1] as string, 'base64'));
  return { raw, id: authenticate('digest', raw) };
}

