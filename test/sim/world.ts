// One server incarnation's world on simulated time: its clock (skewed), timers, deferred work,
// randomness and disk. Every callback checks that the incarnation is alive and not paused: a
// crash drops everything it had scheduled, a pause holds it (in order) until the pause ends, and
// nothing that arrives later runs before what was held, however the pause ends (it may be cut
// short or extended).

import type { FileSystem } from '../../src/storage/world.js';
import type { Timer, World } from '../../src/server/world.js';
import type { SimDisk } from './disk.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface Incarnation {
  alive: boolean;
  /** Simulated time until which this server is paused (SIGSTOP); 0 when running. */
  pausedUntilMs: number;
  /** What came in while paused, in arrival order; run before anything that comes in later. */
  held: Array<() => void>;
  /** When the held callbacks are due to run (null: no run scheduled). */
  drainAtMs: number | null;
}

export function newIncarnation(): Incarnation {
  return { alive: true, pausedUntilMs: 0, held: [], drainAtMs: null };
}

export interface SimWorldOptions {
  scheduler: Scheduler;
  prng: Prng;
  disk: SimDisk;
  incarnation: Incarnation;
  /** This server's clock runs this much fast (> 1) or slow, from this offset. */
  clockRate: number;
  clockOffsetMs: number;
  /** Greatest fsync latency, in simulated ms. */
  syncLatencyMaxMs: number;
  /** Chance that one fsync fails with EIO (asked at each sync, so it can change during a run). */
  syncFailureProbability(): number;
  /** Called when the server halts itself (a failed fsync, a broken invariant). */
  onHalt(exitCode: number): void;
  /** Called when a callback of this server throws: a real process would die of it. */
  onUncaught(error: unknown): void;
  /** Called once a rename on this server's disk is done (not yet durable). */
  onRenamed?(to: string): void;
}

export class SimWorld implements World {
  readonly fs: FileSystem;
  private readonly scheduler: Scheduler;
  private readonly prng: Prng;
  private readonly incarnation: Incarnation;

  constructor(private readonly options: SimWorldOptions) {
    this.scheduler = options.scheduler;
    this.prng = options.prng;
    this.incarnation = options.incarnation;
    this.fs = options.disk.view({
      after: (delayMs, run) => this.schedule(delayMs, run),
      syncLatencyMs: () => this.prng.int(0, options.syncLatencyMaxMs),
      syncFails: () => this.prng.chance(options.syncFailureProbability()),
      renamed: (to) => options.onRenamed?.(to),
    });
  }

  /** Runs `run` in this server (if it is alive), after any pause, catching what it throws. */
  enter(run: () => void): void {
    const attempt = () => {
      if (!this.incarnation.alive) return;
      try {
        run();
      } catch (error) {
        this.options.onUncaught(error);
      }
    };
    const incarnation = this.incarnation;
    if (this.paused() || incarnation.held.length > 0) {
      incarnation.held.push(attempt);
      this.scheduleDrain();
      return;
    }
    attempt();
  }

  /** SIGCONT: runs what was held, in order, then goes on as usual. */
  resume(): void {
    this.incarnation.pausedUntilMs = 0;
    if (this.incarnation.held.length > 0) this.scheduleDrain();
  }

  private paused(): boolean {
    return this.incarnation.pausedUntilMs > this.scheduler.now;
  }

  /** Makes sure the held callbacks run as soon as the pause is over (rescheduled if it changes). */
  private scheduleDrain(): void {
    const incarnation = this.incarnation;
    const at = Math.max(this.scheduler.now, incarnation.pausedUntilMs);
    if (incarnation.drainAtMs !== null && incarnation.drainAtMs <= at) return;
    incarnation.drainAtMs = at;
    this.scheduler.at(at, () => {
      if (incarnation.drainAtMs !== at) return; // superseded by an earlier one
      incarnation.drainAtMs = null;
      this.drain();
    });
  }

  private drain(): void {
    const incarnation = this.incarnation;
    if (!incarnation.alive) {
      incarnation.held.length = 0;
      return;
    }
    while (incarnation.held.length > 0 && !this.paused()) incarnation.held.shift()!();
    if (incarnation.held.length > 0) this.scheduleDrain();
  }

  private schedule(delayMs: number, run: () => void): { cancelled: boolean } {
    const handle = { cancelled: false };
    this.scheduler.after(delayMs, () => {
      if (!handle.cancelled) this.enter(run);
    });
    return handle;
  }

  nowMs(): number {
    return Math.floor(this.options.clockOffsetMs + this.scheduler.now * this.options.clockRate);
  }

  monotonicMs(): number {
    return this.scheduler.now;
  }

  defer(run: () => void): void {
    this.schedule(0, run);
  }

  after(delayMs: number, run: () => void): Timer {
    const handle = this.schedule(delayMs / this.options.clockRate, run);
    return { cancel: () => (handle.cancelled = true) };
  }

  every(intervalMs: number, run: () => void): Timer {
    const handle = { cancelled: false };
    const periodMs = Math.max(1, Math.round(intervalMs / this.options.clockRate));
    // Armed again only once it has run: a paused process fires an overdue interval once when it
    // resumes, not once per period.
    const tick = () => {
      if (handle.cancelled || !this.incarnation.alive) return;
      this.enter(() => {
        if (handle.cancelled) return;
        this.scheduler.after(periodMs, tick);
        run();
      });
    };
    this.scheduler.after(periodMs, tick);
    return { cancel: () => (handle.cancelled = true) };
  }

  randomBytes(byteCount: number): Uint8Array {
    const bytes = new Uint8Array(byteCount);
    for (let index = 0; index < byteCount; index++) bytes[index] = this.prng.int(0, 255);
    return bytes;
  }

  halt(exitCode: number): void {
    this.options.onHalt(exitCode);
  }
}
