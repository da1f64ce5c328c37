import { generateKeyPairSync, sign } from "node:crypto";

import { describe, expect, it } from "vitest";

import { SigningThread } from "./signing-thread.js";

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
