import { generateKeyPairSync, sign } from "node:crypto";

import { describe, expect, it } from "vitest";

import { SigningThread, SigningThreads } from "./signing-thread.js";

describe("SigningThread", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

  it("signs as node:crypto does (RS256 is deterministic), each answer to its own request", async () => {
    const thread = new SigningThread();
    const inputs = Array.from({ length: 20 }, (_, i) => `header.payload-${String(i)}`);
    const signatures = await Promise.all(inputs.map((input) => thread.sign(input, privateKey)));
    expect(signatures).toEqual(
      inputs.map((input) =>
        sign("sha256", Buffer.from(input, "ascii"), privateKey).toString("base64url"),
      ),
    );
  });

  it("fails a signature the key cannot make, and signs the next one", async () => {
    const thread = new SigningThread();
    const { privateKey: ed25519 } = generateKeyPairSync("ed25519");
    await expect(thread.sign("x.y", ed25519)).rejects.toThrow(/^signing failed: /);
    await expect(thread.sign("x.y", privateKey)).resolves.toMatch(/^[\w-]{342}$/);
  });
});

describe("SigningThreads", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const expected = (input: string) =>
    sign("sha256", Buffer.from(input, "ascii"), privateKey).toString("base64url");

  it("signs on its first thread while signatures come one at a time", async () => {
    const threads = new SigningThreads(2);
    for (const input of ["a.1", "a.2", "a.3"]) {
      const signing = threads.sign(input, privateKey);
      expect(threads.owed).toEqual([1, 0]);
      await expect(signing).resolves.toBe(expected(input));
    }
  });

  it("gives a signature asked while one is owed to the idle thread, and answers each request", async () => {
    const threads = new SigningThreads(2);
    const inputs = Array.from({ length: 10 }, (_, i) => `b.${String(i)}`);
    const signing = inputs.map((input) => threads.sign(input, privateKey));
    expect(threads.owed).toEqual([5, 5]);
    expect(await Promise.all(signing)).toEqual(inputs.map(expected));
    expect(threads.owed).toEqual([0, 0]);
  });

  it("has one thread at least, whatever size it is asked for", async () => {
    const threads = new SigningThreads(0);
    expect(threads.owed).toEqual([0]);
    await expect(threads.sign("c.1", privateKey)).resolves.toBe(expected("c.1"));
  });
});
