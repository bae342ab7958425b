// A bounded queue read as an async iterator: watch events pushed by a stream, pulled by a test
// or an application at its own pace. If the reader falls too far behind, the iterator fails
// rather than dropping events silently or growing without limit.

export const DEFAULT_EVENT_BUFFER = 10_000;

export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private readonly waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  private ended = false;
  private failure: unknown;

  constructor(private readonly capacity: number = DEFAULT_EVENT_BUFFER) {}

  push(item: T): void {
    if (this.ended) return;
    const reader = this.waiting.shift();
    if (reader !== undefined) {
      reader.resolve({ value: item, done: false });
      return;
    }
    if (this.buffered.length >= this.capacity) {
      this.fail(new Error(`more than ${this.capacity} events were not read`));
      return;
    }
    this.buffered.push(item);
  }

  /** No more items: readers get what is buffered, then the end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.waiting.splice(0)) reader.resolve({ value: undefined, done: true });
  }

  /** No more items, and readers learn why once the buffer is read. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = error;
    this.ended = true;
    for (const reader of this.waiting.splice(0)) reader.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift() as T, done: false });
    if (this.ended) return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffered.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
