// Per-session FIFO: every request of a session gets a slot in submission order; a slot's answer
// is released only when every earlier slot has been answered. Reads wait for the slots before
// them (so a session reads its own writes); writes are prepared at once and only their answers
// wait, which keeps the log pipelined.

import { assert } from '../core/errors.js';

type Settle<T> = { ok: true; value: T } | { ok: false; error: unknown };

interface Slot<T> {
  settled: Settle<T> | null;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  /** Work to run once every earlier slot is answered (reads). */
  whenHead: (() => void) | null;
  /** Told the answer synchronously as it is released, before the promise settles. */
  onRelease: ((result: Settle<T>) => void) | undefined;
}

export class OrderedReplies<T> {
  private readonly slots: Slot<T>[] = [];
  private head = 0;

  constructor(private readonly limit: number) {}

  get outstanding(): number {
    return this.slots.length - this.head;
  }

  /**
   * Takes a slot. `whenHead` runs once all earlier slots are answered; it must call the returned
   * settle function (now or later).
   */
  reserve(
    whenHead?: (settle: (result: Settle<T>) => void) => void,
    onRelease?: (result: Settle<T>) => void,
  ): { promise: Promise<T>; settle: (result: Settle<T>) => void } {
    assert(this.outstanding < this.limit, 'outstanding requests within the per-session limit');
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const slot: Slot<T> = { settled: null, resolve, reject, whenHead: null, onRelease };
    const settle = (result: Settle<T>) => {
      assert(slot.settled === null, 'a request is answered once');
      slot.settled = result;
      this.drain();
    };
    if (whenHead !== undefined) slot.whenHead = () => whenHead(settle);
    this.slots.push(slot);
    this.drain();
    return { promise, settle };
  }

  get full(): boolean {
    return this.outstanding >= this.limit;
  }

  /**
   * The session ended: fail every request that has not started. Requests already under way (a
   * write being made durable, a sync waiting for its zxid) still settle themselves.
   */
  cancelWaiting(error: unknown): void {
    for (let index = this.head; index < this.slots.length; index++) {
      const slot = this.slots[index]!;
      if (slot.settled === null && slot.whenHead !== null) {
        slot.whenHead = null;
        slot.settled = { ok: false, error };
      }
    }
    this.drain();
  }

  private draining = false;

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.head < this.slots.length) {
        const slot = this.slots[this.head]!;
        if (slot.settled === null) {
          if (slot.whenHead === null) break;
          const run = slot.whenHead;
          slot.whenHead = null;
          run();
          if (slot.settled === null) break;
        }
        this.head++;
        const settled = slot.settled!;
        slot.onRelease?.(settled);
        if (settled.ok) slot.resolve(settled.value);
        else slot.reject(settled.error);
      }
      if (this.head > 1024 && this.head * 2 > this.slots.length) {
        this.slots.splice(0, this.head);
        this.head = 0;
      }
    } finally {
      this.draining = false;
    }
  }
}

export type { Settle };
