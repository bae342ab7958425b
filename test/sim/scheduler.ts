// Simulated time: a priority queue of events ordered by (time, insertion order).

export interface SimEvent {
  time: number;
  sequence: number;
  run: () => void;
}

export class Scheduler {
  now = 0;
  private sequence = 0;
  private readonly heap: SimEvent[] = [];

  at(time: number, run: () => void): void {
    const event = { time: Math.max(time, this.now), sequence: this.sequence++, run };
    this.heap.push(event);
    this.siftUp(this.heap.length - 1);
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.now + delayMs, run);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event; false when none is left. */
  step(): boolean {
    const event = this.pop();
    if (event === undefined) return false;
    this.now = event.time;
    event.run();
    return true;
  }

  private before(a: SimEvent, b: SimEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.sequence < b.sequence);
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(heap[index]!, heap[parent]!)) return;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && this.before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
      index = smallest;
    }
  }
}
