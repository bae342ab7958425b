// A bounded send queue in front of a grpc-js server stream.
//
// grpc-js accepts every write and buffers it; when the client stops reading (HTTP/2 flow
// control), that buffer grows without limit. So only write while grpc-js says it has room
// (write() returned true, or 'drain' came), keep the rest here, and when what is kept here
// passes the limits, give up on the stream: the owner cuts it with RESOURCE_EXHAUSTED. What
// grpc-js holds stays below its high-water mark, so a stuck client costs at most the limits.

import { Fifo } from './fifo.js';

export interface OutboundLimits {
  /** Messages kept for a client that does not read before its stream is cut. */
  maxQueuedMessages: number;
  /** Approximate bytes kept for a client that does not read before its stream is cut. */
  maxQueuedBytes: number;
}

export const DEFAULT_OUTBOUND_LIMITS: OutboundLimits = Object.freeze({
  maxQueuedMessages: 10_000,
  maxQueuedBytes: 64 * 1024 * 1024,
});

/** The part of a grpc-js server stream the queue needs. */
export interface WritableMessageStream<T> {
  write(message: T): boolean;
  on(event: 'drain', listener: () => void): unknown;
}

export class OutboundQueue<T> {
  private readonly queue = new Fifo<T>();
  private queuedBytes = 0;
  /** grpc-js asked us to wait for 'drain'. */
  private blocked = false;
  private discarded = false;
  private overflowed = false;
  private flushedCallbacks: (() => void)[] = [];

  constructor(
    private readonly stream: WritableMessageStream<T>,
    private readonly limits: OutboundLimits,
    private readonly onOverflow: () => void,
  ) {
    stream.on('drain', () => this.onDrain());
  }

  /** Messages waiting here (not yet handed to grpc-js). */
  get length(): number {
    return this.queue.length;
  }

  send(message: T): void {
    if (this.discarded) return;
    if (!this.blocked && this.queue.length === 0) {
      this.blocked = !this.stream.write(message);
      return;
    }
    this.queue.push(message);
    this.queuedBytes += approximateBytes(message);
    if (this.queue.length > this.limits.maxQueuedMessages || this.queuedBytes > this.limits.maxQueuedBytes) this.overflow();
  }

  /** Calls back once everything sent so far has been handed to grpc-js (at once if it has). */
  whenFlushed(callback: () => void): void {
    if (this.queue.length === 0) callback();
    else this.flushedCallbacks.push(callback);
  }

  /** Forget what is queued and ignore later sends; the stream is being cut. */
  discard(): void {
    this.discarded = true;
    this.queue.clear();
    this.queuedBytes = 0;
    this.flushedCallbacks = [];
  }

  private overflow(): void {
    if (this.overflowed) return;
    this.overflowed = true;
    this.discard();
    this.onOverflow();
  }

  private onDrain(): void {
    this.blocked = false;
    while (!this.blocked && this.queue.length > 0) {
      const message = this.queue.shift() as T;
      this.queuedBytes -= approximateBytes(message);
      this.blocked = !this.stream.write(message);
    }
    if (this.queue.length === 0) this.runFlushedCallbacks();
  }

  private runFlushedCallbacks(): void {
    const callbacks = this.flushedCallbacks;
    this.flushedCallbacks = [];
    for (const callback of callbacks) callback();
  }
}

// Per-field overhead of the encoding (tag, length), roughly.
const FIELD_OVERHEAD_BYTES = 2;
const NUMBER_BYTES = 8;

/**
 * The size a message will roughly have on the wire, from the payloads it carries (data,
 * names, paths). Exact sizes would need a second encoding; the limits need only the order of
 * magnitude, and the large parts are counted exactly.
 */
export function approximateBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength + FIELD_OVERHEAD_BYTES;
  switch (typeof value) {
    case 'string':
      return value.length + FIELD_OVERHEAD_BYTES;
    case 'number':
    case 'bigint':
      return NUMBER_BYTES;
    case 'boolean':
      return 1;
    case 'object': {
      if (value === null) return 0;
      let total = FIELD_OVERHEAD_BYTES;
      if (Array.isArray(value)) {
        for (const item of value) total += approximateBytes(item);
      } else {
        for (const item of Object.values(value)) total += approximateBytes(item);
      }
      return total;
    }
    default:
      return 0;
  }
}
