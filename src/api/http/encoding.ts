// How znode data, ACLs and create modes look in HTTP: data as UTF-8 text when it is text and
// base64 otherwise, ACL entries as zkCli writes them (scheme:id:perms), modes by name.

import { keeperError } from '../../core/errors.js';
import { CreateMode, Perms, type ACL, type Data } from '../../core/types.js';

export type DataEncoding = 'utf-8' | 'base64';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// Text a terminal shows as is: no control characters other than tab, line feed and carriage return.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/u;

/** The data as JSON shows it: text when it is printable UTF-8, base64 otherwise (or when asked). */
export function renderData(data: Data, forceBase64: boolean): { data: string | null; encoding: DataEncoding } {
  if (data === null) return { data: null, encoding: forceBase64 ? 'base64' : 'utf-8' };
  if (!forceBase64) {
    try {
      const text = strictUtf8.decode(data);
      if (!CONTROL_CHARACTERS.test(text)) return { data: text, encoding: 'utf-8' };
    } catch {
      // not UTF-8: base64 below
    }
  }
  return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), encoding: 'base64' };
}

/** Data written inside JSON (a txn op): text or base64 as its `encoding` says. */
export function parseData(value: string | null | undefined, encoding: DataEncoding | undefined, where: string): Data {
  if (value === null) return null;
  if (value === undefined) return new Uint8Array(0);
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) throw keeperError('BadArguments', undefined, `${where}: not valid base64`);
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  return new Uint8Array(Buffer.from(value, 'utf8'));
}

export const CREATE_MODES: Readonly<Record<string, CreateMode>> = Object.freeze({
  persistent: CreateMode.PERSISTENT,
  ephemeral: CreateMode.EPHEMERAL,
  persistent_sequential: CreateMode.PERSISTENT_SEQUENTIAL,
  ephemeral_sequential: CreateMode.EPHEMERAL_SEQUENTIAL,
  container: CreateMode.CONTAINER,
  persistent_with_ttl: CreateMode.PERSISTENT_WITH_TTL,
  persistent_sequential_with_ttl: CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL,
});

export function createModeOf(name: string | undefined): CreateMode {
  const mode = CREATE_MODES[name ?? 'persistent'];
  if (mode === undefined) throw keeperError('BadArguments', undefined, `unknown create mode ${JSON.stringify(name)}`);
  return mode;
}

const PERMISSION_LETTERS: Readonly<Record<string, number>> = Object.freeze({
  c: Perms.CREATE,
  d: Perms.DELETE,
  r: Perms.READ,
  w: Perms.WRITE,
  a: Perms.ADMIN,
});

/**
 * `scheme:id:perms` as zkCli takes it: the scheme up to the first ':', the permissions after the
 * last, the id in between (digest ids and IPv6 addresses contain ':').
 */
export function parseAclEntry(text: string): ACL {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) throw keeperError('InvalidACL', undefined, `ACL entry ${JSON.stringify(text)} is not scheme:id:perms`);
  let perms = 0;
  for (const letter of text.slice(last + 1)) {
    const bit = PERMISSION_LETTERS[letter];
    if (bit === undefined) throw keeperError('InvalidACL', undefined, `ACL entry ${JSON.stringify(text)}: permission letters are c, d, r, w, a`);
    perms |= bit;
  }
  return { perms, id: { scheme: text.slice(0, first), id: text.slice(first + 1, last) } };
}

export const DEFAULT_ACL: readonly ACL[] = Object.freeze([{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }]);
