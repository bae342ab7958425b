import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEpochs, writeEpochs } from '../../src/storage/epochs.js';
import { nodeFileSystem } from '../../src/storage/world.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-epochs-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('epoch files', () => {
  it('round-trip and fall back when absent', () => {
    const dir = scratch();
    expect(readEpochs(nodeFileSystem, dir, 3)).toEqual({ acceptedEpoch: 3, currentEpoch: 3 });
    writeEpochs(nodeFileSystem, dir, { acceptedEpoch: 7, currentEpoch: 6 });
    expect(readEpochs(nodeFileSystem, dir)).toEqual({ acceptedEpoch: 7, currentEpoch: 6 });
  });

  it('refuse damaged or inconsistent contents', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'currentEpoch'), 'x1\n');
    expect(() => readEpochs(nodeFileSystem, dir)).toThrow(/not an epoch/);
    writeFileSync(join(dir, 'currentEpoch'), '5\n');
    writeFileSync(join(dir, 'acceptedEpoch'), '4\n');
    expect(() => readEpochs(nodeFileSystem, dir)).toThrow(/below currentEpoch/);
    expect(() => writeEpochs(nodeFileSystem, dir, { acceptedEpoch: 1, currentEpoch: 2 })).toThrow();
  });
});
