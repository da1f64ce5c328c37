const MAX_LEVEL = 24;

interface Node<T> {
  readonly key: number;
  readonly value: T | undefined;
  readonly next: (Node<T> | undefined)[];
  prev: Node<T> | undefined;
}

/**
 * Values ordered by a unique numeric key (a creation sequence number): a skip list, so that
 * insertion, removal and finding where a page starts are O(log n) expected, and a page of k
 * values newest first costs O(log n + k) however many values the index holds.
 */
export class SequenceIndex<T> {
  private readonly head: Node<T> = {
    key: Number.NEGATIVE_INFINITY,
    value: undefined,
    next: new Array<Node<T> | undefined>(MAX_LEVEL).fill(undefined),
    prev: undefined,
  };
  private tail: Node<T> = this.head;
  private level = 1;
  private count = 0;
  // A fixed seed keeps the structure, and so any test of it, reproducible.
  private seed = 0x2545f491;

  get size(): number {
    return this.count;
  }

  /** The value with the smallest key (the oldest). O(1). */
  first(): T | undefined {
    return this.head.next[0]?.value;
  }

  insert(key: number, value: T): void {
    const update = this.predecessors(key);
    const found = update[0]?.next[0];
    if (found?.key === key) throw new Error(`SequenceIndex: key ${key} is already present`);
    const level = this.randomLevel();
    for (let i = this.level; i < level; i++) update[i] = this.head;
    this.level = Math.max(this.level, level);
    const node: Node<T> = {
      key,
      value,
      next: new Array<Node<T> | undefined>(level).fill(undefined),
      prev: update[0],
    };
    for (let i = 0; i < level; i++) {
      const before = update[i] ?? this.head;
      node.next[i] = before.next[i];
      before.next[i] = node;
    }
    const after = node.next[0];
    if (after) after.prev = node;
    else this.tail = node;
    this.count += 1;
  }

  delete(key: number): boolean {
    const update = this.predecessors(key);
    const node = update[0]?.next[0];
    if (node?.key !== key) return false;
    for (let i = 0; i < node.next.length; i++) {
      const before = update[i];
      if (before?.next[i] === node) before.next[i] = node.next[i];
    }
    const after = node.next[0];
    if (after) after.prev = node.prev;
    else this.tail = node.prev ?? this.head;
    while (this.level > 1 && this.head.next[this.level - 1] === undefined) this.level -= 1;
    this.count -= 1;
    return true;
  }

  /** Values with a key below `before` (all when undefined), the largest key first. */
  *descending(before?: number): Generator<{ key: number; value: T }> {
    let node: Node<T> | undefined = before === undefined ? this.tail : this.predecessors(before)[0];
    while (node !== undefined && node !== this.head) {
      if (node.value !== undefined) yield { key: node.key, value: node.value };
      node = node.prev;
    }
  }

  /** For each level, the last node whose key is below `key`. */
  private predecessors(key: number): Node<T>[] {
    const update = new Array<Node<T>>(MAX_LEVEL);
    let node = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let next = node.next[i]; next !== undefined && next.key < key; next = node.next[i]) {
        node = next;
      }
      update[i] = node;
    }
    return update;
  }

  /** Each level holds about a quarter of the one below: p = 1/4. */
  private randomLevel(): number {
    let level = 1;
    while (level < MAX_LEVEL && (this.nextRandom() & 3) === 0) level += 1;
    return level;
  }

  private nextRandom(): number {
    // xorshift32
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
