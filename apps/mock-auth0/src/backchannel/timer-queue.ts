/** One item's place in a `TimerQueue`: when it is due, and where it sits in the heap. */
export class Timer<T> {
  dueAt = Number.POSITIVE_INFINITY;
  /** Position in the heap, or -1 while not queued. */
  index = -1;

  constructor(readonly item: T) {}

  get queued(): boolean {
    return this.index !== -1;
  }
}

/**
 * A binary min-heap of timers by `dueAt` that knows each timer's position, so a timer can be
 * moved or removed in O(log n) instead of being left behind as a stale entry.
 */
export class TimerQueue<T> {
  private readonly heap: Timer<T>[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The timer due first, or undefined when empty. O(1). */
  peek(): Timer<T> | undefined {
    return this.heap[0];
  }

  /** Queues the timer at `dueAt`, or moves it there if already queued. O(log n). */
  set(timer: Timer<T>, dueAt: number): void {
    if (!timer.queued) {
      timer.dueAt = dueAt;
      timer.index = this.heap.length;
      this.heap.push(timer);
      this.up(timer.index);
      return;
    }
    const earlier = dueAt < timer.dueAt;
    timer.dueAt = dueAt;
    if (earlier) this.up(timer.index);
    else this.down(timer.index);
  }

  /** O(log n); nothing happens for a timer that is not queued. */
  delete(timer: Timer<T>): void {
    if (!timer.queued) return;
    const index = timer.index;
    const last = this.heap.pop();
    timer.index = -1;
    timer.dueAt = Number.POSITIVE_INFINITY;
    if (last === undefined || last === timer) return;
    this.heap[index] = last;
    last.index = index;
    this.up(index);
    this.down(last.index);
  }

  private up(index: number): void {
    const timer = this.at(index);
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.at(parentIndex);
      if (parent.dueAt <= timer.dueAt) break;
      this.place(parent, index);
      index = parentIndex;
    }
    this.place(timer, index);
  }

  private down(index: number): void {
    const timer = this.at(index);
    const size = this.heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.at(right).dueAt < this.at(left).dueAt ? right : left;
      if (this.at(child).dueAt >= timer.dueAt) break;
      this.place(this.at(child), index);
      index = child;
    }
    this.place(timer, index);
  }

  private at(index: number): Timer<T> {
    const timer = this.heap[index];
    if (timer === undefined) throw new Error(`TimerQueue: no timer at ${index}`);
    return timer;
  }

  private place(timer: Timer<T>, index: number): void {
    this.heap[index] = timer;
    timer.index = index;
  }
}
