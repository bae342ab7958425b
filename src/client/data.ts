// Conversions of convenient arguments into core values, shared by every client (no transport here,
// so browser bundles take it too).

import { OPEN_ACL_UNSAFE, type ACL, type Data } from '../core/types.js';

/** Node data as callers like to give it: bytes, text (UTF-8) or null. */
export type DataInput = Uint8Array | string | null;

const UTF8 = new TextEncoder();

export function toData(data: DataInput): Data {
  return typeof data === 'string' ? UTF8.encode(data) : data;
}

export interface CreateOptions {
  /** A CreateMode number; PERSISTENT when absent. */
  mode?: number;
  /** world:anyone ALL when absent. */
  acl?: readonly ACL[];
  /** Milliseconds, for the TTL modes. */
  ttl?: number;
}

export function defaultAcl(acl: readonly ACL[] | undefined): ACL[] {
  return [...(acl ?? OPEN_ACL_UNSAFE)];
}
