import { describe, expect, it } from "vitest";

import { perWorker } from "./per-worker.js";

describe("perWorker", () => {
  it("starts one for callers asking at once, and hands the same one to later callers", async () => {
    let starts = 0;
    const shared = perWorker(() => Promise.resolve({ n: ++starts }));
    const [a, b] = await Promise.all([shared(), shared()]);
    expect(a).toBe(b);
    expect(await shared()).toBe(a);
    expect(starts).toBe(1);
  });

  it("ends one that is gone and starts another", async () => {
    const replaced: number[] = [];
    let starts = 0;
    const shared = perWorker(() => Promise.resolve({ n: ++starts, running: true }), {
      alive: (value) => value.running,
      replace: (gone) => {
        replaced.push(gone.n);
        return Promise.resolve();
      },
    });
    const first = await shared();
    first.running = false;
    const second = await shared();
    expect(second.n).toBe(2);
    expect(replaced).toEqual([1]);
    expect(await shared()).toBe(second);
  });

  it("rejects the callers of a start that failed, and starts again for the next", async () => {
    let starts = 0;
    const shared = perWorker(() =>
      ++starts === 1 ? Promise.reject(new Error("port in use")) : Promise.resolve(starts),
    );
    await expect(shared()).rejects.toThrow("port in use");
    expect(await shared()).toBe(2);
    expect(await shared()).toBe(2);
  });
});
