import { describe, expect, it } from 'vitest';
import { ERRORS, KeeperError } from '../../src/core/errors.js';
import { ancestorsOf, basename, isAncestorOrSelf, isReservedPath, joinPath, parentOf, validatePath } from '../../src/core/path.js';

function rejection(path: string, isSequential = false): KeeperError {
  try {
    validatePath(path, isSequential);
  } catch (error) {
    expect(error).toBeInstanceOf(KeeperError);
    return error as KeeperError;
  }
  throw new Error(`expected ${JSON.stringify(path)} to be rejected`);
}

function expectRejected(path: string, rule: string, index: number, isSequential = false): void {
  const error = rejection(path, isSequential);
  expect(error.code).toBe(-8);
  expect(error.codeName).toBe('BadArguments');
  expect(error.code).toBe(ERRORS.BadArguments.code);
  expect(error.path).toBe(path);
  expect(error.message).toContain(JSON.stringify(path));
  expect(error.message).toContain(rule);
  expect(error.message).toContain(`@${index}`);
}

describe('validatePath', () => {
  it('accepts ordinary paths', () => {
    for (const path of ['/', '/a', '/a/b/c', '/zookeeper', '/a.b', '/...', '/.a', '/a..', '/a/.../b', '/ünïcødé', '/with space', '/a-b_c:1']) {
      expect(() => validatePath(path)).not.toThrow();
    }
  });

  it('rejects the empty path', () => {
    expectRejected('', 'path must not be empty', 0);
  });

  it('rejects a path not starting with /', () => {
    expectRejected('a/b', 'path must start with / character', 0);
  });

  it('rejects a trailing / except on the root', () => {
    expectRejected('/a/', 'path must not end with / character', 2);
  });

  it('lets a sequential prefix end with / because the suffix is appended', () => {
    expect(() => validatePath('/a/', true)).not.toThrow();
    expect(() => validatePath('/', true)).not.toThrow();
    expect(() => validatePath('/a/b', true)).not.toThrow();
  });

  it('still checks the rest of a sequential prefix', () => {
    expectRejected('/a//', 'empty node name specified', 3, true);
    expectRejected('a/', 'path must start with / character', 0, true);
  });

  it('rejects an empty component', () => {
    expectRejected('/a//b', 'empty node name specified', 3);
  });

  it('rejects a "." component', () => {
    expectRejected('/a/./b', 'relative paths not allowed', 3);
    expectRejected('/.', 'relative paths not allowed', 1);
  });

  it('rejects a ".." component', () => {
    expectRejected('/a/../b', 'relative paths not allowed', 4);
    expectRejected('/a/..', 'relative paths not allowed', 4);
  });

  it('rejects the NUL character', () => {
    expectRejected('/a\u0000b', 'null character not allowed', 2);
  });

  it('rejects control characters U+0001..U+001F', () => {
    expectRejected('/a\u0001', 'invalid character', 2);
    expectRejected('/a\u001f', 'invalid character', 2);
    expectRejected('/a\nb', 'invalid character', 2);
  });

  it('rejects U+007F..U+009F', () => {
    expectRejected('/a\u007f', 'invalid character', 2);
    expectRejected('/a\u009f', 'invalid character', 2);
    expect(() => validatePath('/a\u00a0')).not.toThrow();
  });

  it('rejects surrogates and private use U+D800..U+F8FF, so no astral characters', () => {
    expectRejected('/a\ue000', 'invalid character', 2);
    expectRejected('/a\uf8ff', 'invalid character', 2);
    expectRejected('/a😀', 'invalid character', 2);
    expect(() => validatePath('/a\uf900')).not.toThrow();
  });

  it('rejects U+FFF0..U+FFFF', () => {
    expectRejected('/a\ufff0', 'invalid character', 2);
    expectRejected('/a\uffff', 'invalid character', 2);
    expect(() => validatePath('/a\uffef')).not.toThrow();
  });

  it('rejects a value that is not a string', () => {
    expect(() => validatePath(undefined as unknown as string)).toThrow(KeeperError);
  });
});

describe('path operations', () => {
  it('parentOf', () => {
    expect(parentOf('/a/b/c')).toBe('/a/b');
    expect(parentOf('/a')).toBe('/');
    expect(parentOf('/')).toBe('/');
    expect(parentOf('/a/')).toBe('/a');
  });

  it('basename', () => {
    expect(basename('/a/b/c')).toBe('c');
    expect(basename('/a')).toBe('a');
    expect(basename('/')).toBe('');
  });

  it('joinPath', () => {
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('/a/b', 'c')).toBe('/a/b/c');
  });

  it('isAncestorOrSelf compares whole components', () => {
    expect(isAncestorOrSelf('/', '/a/b')).toBe(true);
    expect(isAncestorOrSelf('/', '/')).toBe(true);
    expect(isAncestorOrSelf('/a', '/a')).toBe(true);
    expect(isAncestorOrSelf('/a', '/a/b')).toBe(true);
    expect(isAncestorOrSelf('/a', '/ab')).toBe(false);
    expect(isAncestorOrSelf('/a/b', '/a')).toBe(false);
  });

  it('ancestorsOf goes from the parent up to the root', () => {
    expect([...ancestorsOf('/a/b/c')]).toEqual(['/a/b', '/a', '/']);
    expect([...ancestorsOf('/a')]).toEqual(['/']);
    expect([...ancestorsOf('/')]).toEqual([]);
  });

  it('isReservedPath covers /zookeeper and below only', () => {
    expect(isReservedPath('/zookeeper')).toBe(true);
    expect(isReservedPath('/zookeeper/quota')).toBe(true);
    expect(isReservedPath('/zookeeperx')).toBe(false);
    expect(isReservedPath('/')).toBe(false);
    expect(isReservedPath('/a/zookeeper')).toBe(false);
  });
});
