// Znode paths: ZooKeeper's validation rules (PathUtils.validatePath) and the cheap string
// operations the tree and the watch manager run on every request.

import { keeperError } from './errors.js';

const SLASH = 0x2f;
const DOT = 0x2e;

/** Where ZooKeeper keeps its own nodes (quotas, config); clients may not change them. */
export const RESERVED_ROOT = '/zookeeper';

/**
 * Throws BadArguments unless `path` is a znode path ZooKeeper would accept. A sequential create
 * may end in '/', because the server appends the sequence number; ZooKeeper checks `path + "1"`.
 */
export function validatePath(path: string, isSequential = false): void {
  if (typeof path !== 'string') throw invalidPath(String(path), 'path must be a string', 0);
  const checked = isSequential ? `${path}1` : path;
  const violation = findViolation(checked);
  if (violation !== null) throw invalidPath(path, violation.rule, violation.index);
}

interface Violation {
  rule: string;
  index: number;
}

function invalidPath(path: string, rule: string, index: number) {
  return keeperError('BadArguments', path, `Invalid path string ${JSON.stringify(path)}: ${rule} @${index}`);
}

function findViolation(path: string): Violation | null {
  if (path.length === 0) return { rule: 'path must not be empty', index: 0 };
  if (path.charCodeAt(0) !== SLASH) return { rule: 'path must start with / character', index: 0 };
  if (path.length === 1) return null;
  const last = path.length - 1;
  if (path.charCodeAt(last) === SLASH) return { rule: 'path must not end with / character', index: last };
  for (let index = 1; index < path.length; index++) {
    const rule = ruleBrokenAt(path, index);
    if (rule !== null) return { rule, index };
  }
  return null;
}

function ruleBrokenAt(path: string, index: number): string | null {
  const code = path.charCodeAt(index);
  if (code === 0) return 'null character not allowed';
  if (code === SLASH) return path.charCodeAt(index - 1) === SLASH ? 'empty node name specified' : null;
  if (code === DOT) return isRelativeComponentAt(path, index) ? 'relative paths not allowed' : null;
  return isForbiddenCharacter(code) ? 'invalid character' : null;
}

/** True when the dot at `index` ends a component that is exactly "." or "..". */
function isRelativeComponentAt(path: string, index: number): boolean {
  const endsComponent = index + 1 === path.length || path.charCodeAt(index + 1) === SLASH;
  if (!endsComponent) return false;
  if (path.charCodeAt(index - 1) === SLASH) return true;
  return path.charCodeAt(index - 1) === DOT && index >= 2 && path.charCodeAt(index - 2) === SLASH;
}

// Control characters, and the UTF-16 ranges ZooKeeper rejects: surrogates and private use
// (U+D800..U+F8FF) and the specials block (U+FFF0..U+FFFF). Surrogates being banned means no
// character outside the Basic Multilingual Plane is allowed either.
function isForbiddenCharacter(code: number): boolean {
  return (
    (code >= 0x01 && code <= 0x1f) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xf8ff) ||
    code >= 0xfff0
  );
}

/**
 * The parent of a valid path. The root is its own parent, as in POSIX dirname. For a sequential
 * create's prefix ("/a/") the parent is "/a", the node the suffix will be appended under.
 */
export function parentOf(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : path.slice(0, lastSlash);
}

/** The last component of a path; empty for the root. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** Component-wise prefix test: "/a" is an ancestor of "/a/b" but not of "/ab". */
export function isAncestorOrSelf(ancestor: string, path: string): boolean {
  if (ancestor === '/' || ancestor === path) return true;
  return path.length > ancestor.length && path.startsWith(ancestor) && path.charCodeAt(ancestor.length) === SLASH;
}

/** Proper ancestors from the parent up to and including the root; nothing for the root itself. */
export function* ancestorsOf(path: string): Generator<string, void, undefined> {
  let end = path.lastIndexOf('/');
  while (end > 0) {
    yield path.slice(0, end);
    end = path.lastIndexOf('/', end - 1);
  }
  if (path.length > 1) yield '/';
}

export function isReservedPath(path: string): boolean {
  return isAncestorOrSelf(RESERVED_ROOT, path);
}
