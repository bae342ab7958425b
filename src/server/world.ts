// Everything a server node takes from outside itself: clocks, timers, randomness, the filesystem
// (through storage) and what to do when it must stop at once. `nodeWorld` is the real process;
// the simulator builds one world per server incarnation from a seed, so the code that ships is
// the code that is simulated. (The peer transport is injected separately: see peer-link.ts.)

import { randomBytes } from 'node:crypto';
import { nodeStorageWorld, type StorageWorld } from '../storage/world.js';

export interface Timer {
  cancel(): void;
}

export interface World extends StorageWorld {
  /** Wall-clock milliseconds since the epoch (txn times, session expiry, TTLs). */
  nowMs(): number;
  /** Runs `run` once after `delayMs`. */
  after(delayMs: number, run: () => void): Timer;
  /** Runs `run` every `intervalMs` until cancelled; never keeps the process alive by itself. */
  every(intervalMs: number, run: () => void): Timer;
  randomBytes(byteCount: number): Uint8Array;
  /**
   * The server must stop now (a failed fsync, a broken invariant): nothing after this may reach a
   * client or a peer. A real process exits with `exitCode`; a simulated server crashes.
   */
  halt(exitCode: number): void;
}

export const nodeWorld: World = {
  ...nodeStorageWorld,
  nowMs: () => Date.now(),
  after: (delayMs, run) => {
    const timer = setTimeout(run, delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
  every: (intervalMs, run) => {
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
  randomBytes: (byteCount) => randomBytes(byteCount),
  halt: (exitCode) => process.exit(exitCode),
};
