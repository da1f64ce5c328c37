/**
 * One of something for the test files of a Vitest worker that ask for it, started by the first
 * of them. The end-to-end project runs its files one after another in each worker
 * (`isolate: false`), so this module and what it started outlive a file: a stack, a server or
 * a tenant costs a second of CPU to start, and most files only need one that runs. No file
 * stops it; it ends with the worker.
 *
 * The returned function hands out the running one. One that is gone (`alive` says so) is ended
 * with `replace` and started again; a start that failed is tried again by the next caller.
 * Callers take turns, so two files asking at once never start two.
 */
export function perWorker<T>(
  start: () => Promise<T>,
  options: { alive?: (value: T) => boolean; replace?: (gone: T) => Promise<void> } = {},
): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    const previous = current;
    current = (async () => {
      const known = await previous?.catch(() => undefined);
      if (known === undefined) return start();
      if (options.alive?.(known) ?? true) return known;
      await options.replace?.(known);
      return start();
    })();
    return current;
  };
}
