// Access control with ZooKeeper's semantics: the digest, ip and x509 schemes, the super digest,
// ACL fix-up on create/setACL, the permission check, and getACL's redaction of digests.

import { createHash } from 'node:crypto';
import { keeperError } from './errors.js';
import { Perms, type ACL, type Id } from './types.js';

/** An identity a session holds: `digest:user:hash` from addAuth, `ip:addr` from its transport. */
export type AuthId = Id;

// Only these schemes name a proven identity, so only they stand in for an 'auth' ACL entry.
// ZooKeeper's ip provider answers isAuthenticated() = false, so an address never does; a verified
// client certificate (x509) does.
const AUTHENTICATED_SCHEMES: ReadonlySet<string> = new Set(['digest', 'x509']);

// ---------------------------------------------------------------------------------------------
// Digest

/**
 * `user:base64(sha1("user:password"))`, byte for byte what ZooKeeper's
 * DigestAuthenticationProvider.generateDigest makes, so ids from ZooKeeper tools match.
 * As there, the user is whatever precedes the first ':' of the hashed text.
 */
export function digest(user: string, password: string): string {
  const idPassword = `${user}:${password}`;
  const hash = createHash('sha1').update(idPassword, 'utf8').digest('base64');
  return `${idPassword.slice(0, idPassword.indexOf(':'))}:${hash}`;
}

/** Turns addAuth credentials into the identity the session gains. */
export function authenticate(scheme: string, credentials: Uint8Array): AuthId {
  if (scheme !== 'digest') {
    throw keeperError('AuthFailed', undefined, `authentication scheme ${JSON.stringify(scheme)} is not supported; use digest`);
  }
  const text = decodeCredentials(credentials);
  const colon = text.indexOf(':');
  if (colon <= 0) throw keeperError('AuthFailed', undefined, 'digest credentials must have the form user:password with a non-empty user');
  return { scheme: 'digest', id: digest(text.slice(0, colon), text.slice(colon + 1)) };
}

function decodeCredentials(credentials: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(credentials);
  } catch {
    throw keeperError('AuthFailed', undefined, 'digest credentials are not valid UTF-8');
  }
}

/**
 * ZooKeeper's super user: a session whose digest identity equals the configured
 * `super:<base64>` (zookeeper.DigestAuthenticationProvider.superDigest). There is no other way in.
 */
export function isSuper(ids: readonly AuthId[], superDigest: string | undefined): boolean {
  // A transport grants `super` itself (a client certificate naming X509AuthenticationProvider.superUser);
  // no client can claim that scheme (addAuth takes digest only).
  if (ids.some((identity) => identity.scheme === 'super')) return true;
  if (superDigest === undefined || superDigest === '') return false;
  return ids.some((identity) => identity.scheme === 'digest' && identity.id === superDigest);
}

// ZooKeeper accepts a digest id when Java's `id.split(":")` has exactly two parts; that split
// drops trailing empty parts, so "bob:" is refused while ":hash" and "bob:hash:" pass.
function isValidDigestId(id: string): boolean {
  const parts = id.split(':');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length === 2;
}

// ---------------------------------------------------------------------------------------------
// IP addresses, as ZooKeeper's IPAuthenticationProvider reads them: IPv4 dotted quads and IPv6
// hex groups with at most one '::', each optionally followed by '/prefix-bits'.

const IPV6_GROUPS = 8;

function parseAddress(text: string): Uint8Array | null {
  if (text.includes(':')) return parseIpv6(text);
  if (text.includes('.')) return parseIpv4(text);
  return null;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index++) {
    const value = parseDecimal(parts[index]!);
    if (value === null || value > 255) return null;
    bytes[index] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = splitGroups(halves[0]!);
  const tail = halves.length === 2 ? splitGroups(halves[1]!) : [];
  const explicitGroups = head.length + tail.length;
  const compressed = halves.length === 2;
  if (compressed ? explicitGroups >= IPV6_GROUPS : explicitGroups !== IPV6_GROUPS) return null;
  const bytes = new Uint8Array(16);
  const tailStart = 16 - tail.length * 2;
  return writeGroups(bytes, 0, head) && writeGroups(bytes, tailStart, tail) ? bytes : null;
}

function splitGroups(text: string): string[] {
  return text === '' ? [] : text.split(':');
}

function writeGroups(bytes: Uint8Array, offset: number, groups: readonly string[]): boolean {
  for (const [index, group] of groups.entries()) {
    const value = parseHexGroup(group);
    if (value === null) return false;
    bytes[offset + index * 2] = value >> 8;
    bytes[offset + index * 2 + 1] = value & 0xff;
  }
  return true;
}

function parseDecimal(text: string): number | null {
  if (text.length === 0) return null;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return null;
  }
  return Number(text);
}

function parseHexGroup(text: string): number | null {
  if (text.length === 0 || text.length > 4) return null;
  for (let index = 0; index < text.length; index++) {
    if (!isHexDigit(text.charCodeAt(index))) return null;
  }
  return Number.parseInt(text, 16);
}

function isHexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

interface IpPattern {
  address: Uint8Array;
  prefixBits: number;
}

function parseIpPattern(expression: string): IpPattern | null {
  const slash = expression.indexOf('/');
  const address = parseAddress(slash === -1 ? expression : expression.slice(0, slash));
  if (address === null) return null;
  if (slash === -1) return { address, prefixBits: address.length * 8 };
  const prefixBits = parseDecimal(expression.slice(slash + 1));
  if (prefixBits === null || prefixBits > address.length * 8) return null;
  return { address, prefixBits };
}

// Java hands ZooKeeper an IPv4 client as an IPv4 address even on a dual-stack socket, while
// Node reports "::ffff:a.b.c.d"; unmapping keeps `ip:10.0.0.0/8` entries working for them.
function parseClientAddress(text: string): Uint8Array | null {
  const address = parseAddress(withoutZone(unmapIpv4(text)));
  return address !== null && isIpv4Mapped(address) ? address.subarray(12) : address;
}

const IPV4_MAPPED_PREFIX = '::ffff:';

function unmapIpv4(text: string): string {
  const mapped = text.length > IPV4_MAPPED_PREFIX.length && text.slice(0, IPV4_MAPPED_PREFIX.length).toLowerCase() === IPV4_MAPPED_PREFIX;
  const rest = text.slice(IPV4_MAPPED_PREFIX.length);
  return mapped && rest.includes('.') ? rest : text;
}

function withoutZone(text: string): string {
  const percent = text.indexOf('%');
  return percent === -1 ? text : text.slice(0, percent);
}

function isIpv4Mapped(address: Uint8Array): boolean {
  if (address.length !== 16 || address[10] !== 0xff || address[11] !== 0xff) return false;
  for (let index = 0; index < 10; index++) if (address[index] !== 0) return false;
  return true;
}

/** Whether the first `bits` bits of two addresses of the same family agree. */
function samePrefix(left: Uint8Array, right: Uint8Array, bits: number): boolean {
  if (left.length !== right.length) return false;
  const wholeBytes = bits >> 3;
  for (let index = 0; index < wholeBytes; index++) if (left[index] !== right[index]) return false;
  const remainingBits = bits & 7;
  if (remainingBits === 0) return true;
  const mask = (0xff << (8 - remainingBits)) & 0xff;
  return (left[wholeBytes]! & mask) === (right[wholeBytes]! & mask);
}

function ipMatches(clientAddress: string, expression: string): boolean {
  const pattern = parseIpPattern(expression);
  if (pattern === null) return false;
  const client = parseClientAddress(clientAddress);
  return client !== null && samePrefix(client, pattern.address, pattern.prefixBits);
}

/**
 * How whoami names an identity, on every facade as ZooKeeper's WhoAmI does: a digest identity by
 * its user name alone (the hash is a secret's stand-in), any other by its id.
 */
export function whoAmIUser(identity: AuthId): string {
  if (identity.scheme !== 'digest') return identity.id;
  const colon = identity.id.indexOf(':');
  return colon === -1 ? identity.id : identity.id.slice(0, colon);
}

/** The `ip` identity a transport gives a client connecting from `remoteAddress`. */
export function ipIdentity(remoteAddress: string): AuthId {
  return { scheme: 'ip', id: withoutZone(unmapIpv4(remoteAddress)) };
}

// ---------------------------------------------------------------------------------------------
// Checking

/** ZooKeeperServer.checkACL: may a session holding `ids` do `perm` on a node with `acl`? */
export function checkACL(acl: readonly ACL[], perm: number, ids: readonly AuthId[], superDigest?: string): boolean {
  if (acl.length === 0) return true;
  if (isSuper(ids, superDigest)) return true;
  return acl.some((entry) => (entry.perms & perm) !== 0 && entryMatches(entry.id, ids));
}

function entryMatches(entry: Id, ids: readonly AuthId[]): boolean {
  switch (entry.scheme) {
    case 'world':
      return entry.id === 'anyone';
    case 'digest':
      return ids.some((identity) => identity.scheme === 'digest' && identity.id === entry.id);
    case 'ip':
      return ids.some((identity) => identity.scheme === 'ip' && ipMatches(identity.id, entry.id));
    case 'x509':
      // The subject DN of the client's verified certificate, compared as ZooKeeper does: exactly.
      return ids.some((identity) => identity.scheme === 'x509' && identity.id === entry.id);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Fix-up on create and setACL

/**
 * PrepRequestProcessor.fixupACL: validates a requested ACL and expands 'auth' entries into the
 * session's authenticated identities. Throws InvalidACL for an empty list, an unknown scheme,
 * a malformed id, perms outside 0..31, or an 'auth' entry from a session with no identity.
 * Duplicates are removed from the request before expansion, as ZooKeeper does (ZOOKEEPER-1877);
 * entries produced by expansion are not deduplicated further.
 */
export function fixupACL(path: string, ids: readonly AuthId[], acl: readonly ACL[]): ACL[] {
  if (!Array.isArray(acl) || acl.length === 0) throw invalidACL(path, 'the ACL list must not be empty');
  for (const entry of acl) requireWellFormed(path, entry);
  const result: ACL[] = [];
  for (const entry of withoutDuplicates(acl)) {
    if (entry.id.scheme === 'auth') result.push(...expandAuth(path, entry.perms, ids));
    else result.push(validatedEntry(path, entry));
  }
  return result;
}

function invalidACL(path: string, reason: string) {
  return keeperError('InvalidACL', path, `Invalid ACL for ${path}: ${reason}`);
}

function requireWellFormed(path: string, entry: ACL): void {
  if (typeof entry !== 'object' || entry === null) throw invalidACL(path, 'an entry is missing');
  const id: unknown = entry.id;
  if (typeof id !== 'object' || id === null) throw invalidACL(path, 'an entry has no id');
  if (typeof entry.id.scheme !== 'string' || typeof entry.id.id !== 'string') throw invalidACL(path, 'an id needs a scheme and an id string');
  if (!Number.isInteger(entry.perms) || entry.perms < 0 || entry.perms > Perms.ALL) {
    throw invalidACL(path, `perms ${String(entry.perms)} are outside 0..${Perms.ALL}`);
  }
}

// Keyed rather than pairwise, so a request with very many entries stays linear.
function withoutDuplicates(acl: readonly ACL[]): ACL[] {
  const seen = new Set<string>();
  return acl.filter((entry) => {
    const key = JSON.stringify([entry.perms, entry.id.scheme, entry.id.id]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function expandAuth(path: string, perms: number, ids: readonly AuthId[]): ACL[] {
  const expanded = ids.filter((identity) => AUTHENTICATED_SCHEMES.has(identity.scheme)).map((identity) => ({ perms, id: { ...identity } }));
  if (expanded.length === 0) throw invalidACL(path, "an 'auth' entry needs an authenticated identity (add one with addAuth digest)");
  return expanded;
}

function validatedEntry(path: string, entry: ACL): ACL {
  const { scheme, id } = entry.id;
  if (!isValidId(scheme, id)) throw invalidACL(path, `${JSON.stringify(`${scheme}:${id}`)} is not a valid id`);
  return { perms: entry.perms, id: { scheme, id } };
}

function isValidId(scheme: string, id: string): boolean {
  switch (scheme) {
    case 'world':
      return id === 'anyone';
    case 'digest':
      return isValidDigestId(id);
    case 'ip':
      return parseIpPattern(id) !== null;
    case 'x509':
      return id !== '';
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// getACL

/**
 * What getACL shows a caller that has READ but not ADMIN (ZooKeeper 3.6+, FinalRequestProcessor):
 * digest hashes are hidden as `user:x` so they cannot be attacked offline.
 */
export function redactACL(acl: readonly ACL[]): ACL[] {
  return acl.map((entry) => {
    const shown = entry.id.scheme === 'digest' ? redactDigest(entry.id.id) : entry.id.id;
    return { perms: entry.perms, id: { scheme: entry.id.scheme, id: shown } };
  });
}

function redactDigest(id: string): string {
  const colon = id.indexOf(':');
  return colon === -1 ? id : `${id.slice(0, colon)}:x`;
}

// ---------------------------------------------------------------------------------------------
// Permission strings, as zkCli reads (AclParser) and prints them (ZKUtil.getPermString)

const PERM_LETTERS: readonly (readonly [string, number])[] = [
  ['c', Perms.CREATE],
  ['d', Perms.DELETE],
  ['r', Perms.READ],
  ['w', Perms.WRITE],
  ['a', Perms.ADMIN],
];

/** 'crwda' → 31, in any order; unlike zkCli, an unknown letter is an error, not a warning. */
export function parsePerms(text: string): number {
  let perms = 0;
  for (const letter of text) {
    const found = PERM_LETTERS.find(([candidate]) => candidate === letter);
    if (found === undefined) throw keeperError('BadArguments', undefined, `unknown permission ${JSON.stringify(letter)} in ${JSON.stringify(text)}; use letters from cdrwa`);
    perms |= found[1];
  }
  return perms;
}

/** 31 → 'cdrwa': zkCli's order. */
export function formatPerms(perms: number): string {
  let text = '';
  for (const [letter, bit] of PERM_LETTERS) if ((perms & bit) !== 0) text += letter;
  return text;
}
