// A first-in first-out queue with O(1) push and shift. Array.prototype.shift moves every
// remaining element, which turns a queue of n pipelined requests into O(n²) work.

export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined; // let it be collected
    this.head++;
    // Compact once the consumed prefix dominates, so memory follows the live length.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.clear();
    return rest;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  find(predicate: (item: T) => boolean): T | undefined {
    for (let index = this.head; index < this.items.length; index++) {
      const item = this.items[index] as T;
      if (predicate(item)) return item;
    }
    return undefined;
  }
}
