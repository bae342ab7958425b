// The two epochs ZAB must never forget, as ZooKeeper keeps them: files `acceptedEpoch` and
// `currentEpoch` holding a decimal number each. Written to a temporary file, fsynced, renamed over
// the old one and the directory fsynced, so a crash leaves either the old or the new value.
// Synchronous on purpose: epochs change once per election, and ZAB requires them durable before
// the next message goes out.

import { join } from 'node:path';
import { assert, keeperError } from '../core/errors.js';
import type { FileSystem } from './world.js';

export interface Epochs {
  acceptedEpoch: number;
  currentEpoch: number;
}

const FILES = { acceptedEpoch: 'acceptedEpoch', currentEpoch: 'currentEpoch' } as const;

function readEpoch(fs: FileSystem, dir: string, name: string): number | null {
  let text: string;
  try {
    text = fs.readTextSync(join(dir, name)).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!/^\d+$/.test(text)) throw keeperError('DataInconsistency', undefined, `${join(dir, name)} holds '${text}', not an epoch`);
  return Number(text);
}

/** The stored epochs; missing files mean `fallbackEpoch` (e.g. the epoch of the last logged zxid). */
export function readEpochs(fs: FileSystem, dir: string, fallbackEpoch = 0): Epochs {
  const currentEpoch = readEpoch(fs, dir, FILES.currentEpoch) ?? fallbackEpoch;
  const acceptedEpoch = readEpoch(fs, dir, FILES.acceptedEpoch) ?? currentEpoch;
  if (acceptedEpoch < currentEpoch) throw keeperError('DataInconsistency', undefined, `acceptedEpoch ${acceptedEpoch} is below currentEpoch ${currentEpoch}`);
  return { acceptedEpoch, currentEpoch };
}

function writeDurably(fs: FileSystem, dir: string, name: string, value: number): void {
  const temporary = join(dir, `${name}.tmp`);
  fs.writeTextDurablySync(temporary, `${value}\n`);
  fs.renameSync(temporary, join(dir, name));
}

export function writeEpochs(fs: FileSystem, dir: string, epochs: Epochs): void {
  assert(Number.isSafeInteger(epochs.acceptedEpoch) && epochs.acceptedEpoch >= epochs.currentEpoch && epochs.currentEpoch >= 0, 'epochs are ordered, non-negative integers');
  writeDurably(fs, dir, FILES.acceptedEpoch, epochs.acceptedEpoch);
  writeDurably(fs, dir, FILES.currentEpoch, epochs.currentEpoch);
  fs.fsyncDirectorySync(dir);
}
