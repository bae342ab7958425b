// proto/cairn.proto is the client contract: Buf lints it (proto/buf.yaml says which rules and
// why some are off), checks it for wire and JSON breaking changes against the last committed
// version, and the descriptor set reflection serves (with the comments) must be the one the
// proto compiles to now. A break of cairn.v1 cannot pass: a change that needs one is a cairn.v2.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PROTO_DIR = join(ROOT, 'proto');
const BUF = join(ROOT, 'node_modules', '.bin', 'buf');
const PROTO_FILE = 'proto/cairn.proto';

function buf(args: string[]): string {
  try {
    return execFileSync(BUF, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`buf ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? failure.message}`);
  }
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * The commits to compare against: HEAD when the working tree changed the proto (a change not yet
 * committed), and the commit before the one that last changed it (a committed change; the
 * proto's history is followed however shallow the rest of the work is).
 */
function baselines(): { ref: string; what: string }[] {
  const refs: { ref: string; what: string }[] = [];
  if (git(['status', '--porcelain', '--', PROTO_FILE]) !== '') refs.push({ ref: 'HEAD', what: 'the committed proto (HEAD)' });
  const changes = git(['log', '--format=%H', '-n', '2', '--', PROTO_FILE]).split('\n').filter((line) => line !== '');
  if (changes.length === 2) refs.push({ ref: changes[1]!, what: `the proto before its last change (${changes[1]!.slice(0, 12)})` });
  return refs;
}

/** Whether the project is a git checkout (a source archive has no history to compare with). */
function inGitCheckout(): boolean {
  try {
    return git(['rev-parse', '--is-inside-work-tree']) === 'true';
  } catch {
    return false;
  }
}

describe('proto/cairn.proto', () => {
  it('passes Buf lint', () => {
    expect(buf(['lint', 'proto'])).toBe('');
  });

  it.skipIf(!inGitCheckout())('has no wire or JSON breaking change against the last committed version (needs a git checkout)', () => {
    const refs = baselines();
    // The proto has a history, so there is always something to compare with (a shallow clone
    // must reach its last change: git fetch --deepen).
    expect(refs.length, 'a committed version of the proto to compare with').toBeGreaterThan(0);
    for (const { ref, what } of refs) {
      const against = `${join(ROOT, '.git')}#ref=${ref},subdir=proto`;
      // The working tree when comparing with HEAD; HEAD's own proto when comparing with an older one.
      const input = ref === 'HEAD' ? 'proto' : `${join(ROOT, '.git')}#ref=HEAD,subdir=proto`;
      expect(() => buf(['breaking', input, '--against', against]), what).not.toThrow();
    }
  });

  it('is what the committed descriptor set (served by reflection, with comments) was built from', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cairn-proto-'));
    try {
      const fresh = join(directory, 'cairn.binpb');
      buf(['build', PROTO_DIR, '--as-file-descriptor-set', '-o', fresh]);
      const committed = readFileSync(join(ROOT, 'src', 'api', 'grpc', 'generated', 'cairn.binpb'));
      expect(readFileSync(fresh).equals(committed), 'src/api/grpc/generated/cairn.binpb is stale: run npm run gen').toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('catches a breaking change (a renumbered field), so the check above can fail', () => {
    const directory = mkdtempSync(join(tmpdir(), 'cairn-proto-'));
    try {
      const broken = readFileSync(join(PROTO_DIR, 'cairn.proto'), 'utf8').replace('  string path = 1;\n  optional bytes data = 2;', '  string path = 1;\n  optional bytes data = 12;');
      expect(broken).toContain('data = 12');
      copyFileSync(join(PROTO_DIR, 'buf.yaml'), join(directory, 'buf.yaml'));
      writeFileSync(join(directory, 'cairn.proto'), broken);
      expect(() => buf(['breaking', directory, '--against', PROTO_DIR])).toThrow(/field .*data.*|changed|deleted/i);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
