/** How much a store keeps at most: its entries, and their bytes in all. */
export interface StoreBudget {
  entries: number;
  bytes: number;
}

const MB = 1024 * 1024;

/** `bytes` as a person reads it in a message: "64 MB", or "1000 bytes" when not whole MB. */
export function formatBytes(bytes: number): string {
  return bytes >= MB && bytes % MB === 0 ? `${String(bytes / MB)} MB` : `${String(bytes)} bytes`;
}

/**
 * Entries by key, oldest first, within a budget: each entry comes with its size, as its store
 * measures it, and adding one drops the oldest until at most `budget.entries` are left and
 * their sizes add up to at most `budget.bytes`. The newest entry is never dropped for room: a
 * store whose entry alone is over `budget.bytes` decides what to keep instead (`fits`).
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, { value: V; bytes: number }>();
  #bytes = 0;

  /** `dropped` learns of each entry dropped to make room, to forget what hangs on it. */
  constructor(
    readonly budget: StoreBudget,
    private readonly dropped: (value: V) => void = () => undefined,
  ) {}

  /** Whether an entry of `bytes` can be kept at all. */
  fits(bytes: number): boolean {
    return bytes <= this.budget.bytes;
  }

  /** Keeps `value` as the newest entry, then drops the oldest ones past the budget. */
  add(key: K, value: V, bytes: number): void {
    this.#forget(key);
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    // A Map iterates in insertion order, and visits no entry deleted on the way.
    for (const [oldKey, old] of this.#entries) {
      if (this.#entries.size <= this.budget.entries && this.#bytes <= this.budget.bytes) break;
      if (oldKey === key) break;
      this.#forget(oldKey);
      this.dropped(old.value);
    }
  }

  get(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** The entries, oldest first. */
  values(): V[] {
    return Array.from(this.#entries.values(), (entry) => entry.value);
  }

  /** The sizes of the entries kept, added up. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Forgets every entry; returns how many there were. */
  clear(): number {
    const count = this.#entries.size;
    this.#entries.clear();
    this.#bytes = 0;
    return count;
  }

  #forget(key: K): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}

/** The bytes of `texts` in UTF-8, as JSON writes them: a store's measure of what it made itself. */
export function utf8Bytes(texts: readonly string[]): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text);
  return bytes;
}
