/**
 * For tests of the bounds a server puts on a request body: bodies past them, and a witness
 * that nothing past a bound was read.
 */

/** `items` behind a proxy that records which of them are read. */
export function readCounted<T>(items: T[]): { items: T[]; read: Set<number> } {
  const read = new Set<number>();
  const proxy = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) read.add(Number(key));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { items: proxy, read };
}

/** `count` copies of `item` in JSON, as the elements of a list. */
export const jsonList = (item: string, count: number) => Array<string>(count).fill(item).join(",");
