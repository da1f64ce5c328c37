import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { TestbedOptionsError, portProblems } from "./option-problems.js";

let taken: Server;
let port: number;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  port = (taken.address() as AddressInfo).port;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      taken.close(() => {
        resolve();
      });
    }),
);

describe("portProblems", () => {
  it("names the ports option another process holds, not the server's variable", async () => {
    expect(await portProblems({ shopApi: port, mockAuth0: 0 })).toEqual([
      `ports.shopApi is ${String(port)}, and another process holds it: choose another, or leave ports.shopApi out for a free one`,
    ]);
  });

  it("names a port that is no port, and passes free ones", async () => {
    expect(await portProblems({ modelServer: 70_000, mockAuth0: 1.5 })).toEqual([
      "ports.modelServer must be a whole number from 0 to 65535 (0: a free port), not 70000",
      "ports.mockAuth0 must be a whole number from 0 to 65535 (0: a free port), not 1.5",
    ]);
    expect(await portProblems({})).toEqual([]);
  });
});

describe("TestbedOptionsError", () => {
  it("lists every problem, one a line", () => {
    expect(new TestbedOptionsError(["user: a", "approver: b"]).message).toBe(
      "Invalid startTestbed options:\n  - user: a\n  - approver: b",
    );
  });
});
