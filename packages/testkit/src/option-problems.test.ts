import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";

import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { LOG_LEVELS as SERVER_LOG_LEVELS } from "@ciba-testbed/shared/http";
import { freePort } from "@ciba-testbed/shared/node";

import {
  LOG_LEVELS,
  TestbedOptionsError,
  optionShapeProblems,
  portProblems,
  testbedCaOptionProblems,
} from "./option-problems.js";
import { ensureTestbedCa } from "./testbed-ca.js";

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

  it("names one port asked of two servers as that, before asking whether it is free", async () => {
    const free = 0;
    expect(await portProblems({ mockAuth0: port, shopApi: port, modelServer: free })).toEqual([
      `ports.mockAuth0 and ports.shopApi are both ${String(port)}: give each server a port of its own`,
      `ports.mockAuth0 is ${String(port)}, and another process holds it: choose another, or leave ports.mockAuth0 out for a free one`,
      `ports.shopApi is ${String(port)}, and another process holds it: choose another, or leave ports.shopApi out for a free one`,
    ]);
  });

  it("says only that, for a free port asked of two servers: no probe takes it from the other", async () => {
    const free = await freePort();
    expect(await portProblems({ shopApi: free, mockAuth0: free })).toEqual([
      `ports.shopApi and ports.mockAuth0 are both ${String(free)}: give each server a port of its own`,
    ]);
  });

  it("names a port that is no port, and passes free ones", async () => {
    expect(
      await portProblems({ modelServer: 70_000, mockAuth0: 1.5, shopApi: "4000" as never }),
    ).toEqual([
      "ports.modelServer must be a whole number from 0 to 65535 (0: a free port), not 70000",
      "ports.mockAuth0 must be a whole number from 0 to 65535 (0: a free port), not 1.5",
      'ports.shopApi must be a whole number from 0 to 65535 (0: a free port), not "4000"',
    ]);
    expect(await portProblems({})).toEqual([]);
  });
});

describe("optionShapeProblems", () => {
  it("names an option that is no option, with the one a different case meant", () => {
    expect(
      optionShapeProblems({
        modelserver: true,
        ports: { mockauth0: 1 },
        rateLimits: { perUser: 5 },
        shop: { requireAuthorizationDetails: true },
      }),
    ).toEqual([
      "modelserver is no option of startTestbed: did you mean modelServer?",
      "rateLimits.perUser is no option of startTestbed: the options are perUserRequestsPerMinute, perIpRequestsPerMinute, authenticationApiRequestsPerSecond",
      "ports.mockauth0 is no option of startTestbed: did you mean mockAuth0?",
    ]);
  });

  it("names the values the servers would refuse by their variables' names, by option", () => {
    expect(
      optionShapeProblems({
        logLevel: "verbose",
        controlToken: "sekret",
        startTimeoutMs: "x",
        modelServer: "yes",
        ports: 4010,
        signal: 30_000,
      }),
    ).toEqual([
      "ports must be an object, not 4010",
      'startTimeoutMs must be a number of milliseconds above 0, not "x"',
      'logLevel must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"',
      'controlToken must be a string of at least 16 characters, e.g. randomBytes(24).toString("base64url")',
      "signal must be an AbortSignal (new AbortController().signal, or node:test's t.signal), not 30000",
      'modelServer must be true or false, not "yes"',
    ]);
    expect(optionShapeProblems({ controlToken: "a token with spaces in it" })).toEqual([
      "controlToken may hold only A-Z a-z 0-9 - . _ ~ + / and trailing =",
    ]);
  });

  it("refuses a shop variable startTestbed sets itself, naming the option to use instead", () => {
    expect(
      optionShapeProblems({
        shop: {
          env: {
            SHOP_API_PORT: "5408",
            SHOP_API_DATABASE: ":memory:",
            AUTH0_DOMAIN: "tenant.example",
            SHOP_API_HOST: "127.0.0.2",
            // Not set by the testbed, but each wins over one it sets.
            AUTH0_ISSUER_BASE_URL: "https://localhost:5210/",
            SHOP_API_DATABASE_URL: "postgres://localhost/shop",
          },
        },
      }),
    ).toEqual([
      "shop.env.SHOP_API_PORT is set by startTestbed itself, so it may not be given here: give the port as ports.shopApi",
      "shop.env.SHOP_API_DATABASE is set by startTestbed itself, so it may not be given here: give the database as shop.database",
      "shop.env.AUTH0_DOMAIN is set by startTestbed itself, so it may not be given here: it is the testbed's tenant (the tenant option picks another)",
      "shop.env.AUTH0_ISSUER_BASE_URL would override what startTestbed sets, so it may not be given here: the shop trusts the testbed's tenant as its issuer (the tenant option picks another)",
      "shop.env.SHOP_API_DATABASE_URL would override what startTestbed sets, so it may not be given here: a testbed's shop keeps its orders in the embedded database shop.database names (a folder, or :memory:)",
    ]);
    expect(optionShapeProblems({ shop: { env: "SHOP_API_HOST=127.0.0.2" } })).toEqual([
      'shop.env must be an object of variables, not "SHOP_API_HOST=127.0.0.2"',
    ]);
  });

  it("passes every option the README names, as it names them", () => {
    expect(
      optionShapeProblems({
        approver: "manual",
        rateLimits: { perUserRequestsPerMinute: null },
        settings: { ciba: { intervalSeconds: 0.2 } },
        modelServer: true,
        shop: { requireAuthorizationDetails: true, database: ":memory:", env: {} },
        ports: { mockAuth0: 0, shopApi: 0, modelServer: 0 },
        controlToken: "0123456789abcdef",
        logLevel: "silent",
        startTimeoutMs: 60_000,
        signal: new AbortController().signal,
      }),
    ).toEqual([]);
  });

  it("takes rateLimits: null, the README's none, where shop and ports must be objects", () => {
    expect(optionShapeProblems({ rateLimits: null })).toEqual([]);
    expect(optionShapeProblems({ shop: null, ports: null })).toEqual([
      "shop must be an object, not null",
      "ports must be an object, not null",
    ]);
  });

  it("knows the servers' log levels", () => {
    expect([...LOG_LEVELS].sort()).toEqual([...SERVER_LOG_LEVELS].sort());
  });
});

describe("TestbedOptionsError", () => {
  it("lists every problem, one a line", () => {
    expect(new TestbedOptionsError(["user: a", "approver: b"]).message).toBe(
      "Invalid startTestbed options:\n  - user: a\n  - approver: b",
    );
  });
});

describe("TestbedOptionsError", () => {
  it("is an instanceof the class of another copy of the module, as the ESM and CommonJS builds are", async () => {
    const first = await import("./option-problems.js");
    vi.resetModules();
    const second = await import("./option-problems.js");
    expect(second.TestbedOptionsError).not.toBe(first.TestbedOptionsError);

    const error = new first.TestbedOptionsError(["modelserver is no option"]);
    expect(error instanceof second.TestbedOptionsError).toBe(true);
    expect(error instanceof Error).toBe(true);
    expect(new Error("modelserver") instanceof second.TestbedOptionsError).toBe(false);
  });

  it("is no instance of a subclass, whose instanceof is its own", async () => {
    const first = await import("./option-problems.js");
    vi.resetModules();
    const second = await import("./option-problems.js");
    class Mine extends first.TestbedOptionsError {}
    class Other extends first.TestbedOptionsError {}

    expect(new first.TestbedOptionsError(["a"]) instanceof Mine).toBe(false);
    expect(new second.TestbedOptionsError(["a"]) instanceof Mine).toBe(false);
    expect(new Other(["a"]) instanceof Mine).toBe(false);
    const mine = new Mine(["a"]);
    expect(mine instanceof Mine).toBe(true);
    expect(mine instanceof first.TestbedOptionsError).toBe(true);
    expect(mine instanceof second.TestbedOptionsError).toBe(true);
  });
});

describe("ensureTestbedCa's options", () => {
  it("names each problem, and the next step, before it makes anything", async () => {
    expect(testbedCaOptionProblems(undefined)).toEqual([]);
    expect(testbedCaOptionProblems({ certDir: "/tmp/certs", timeoutMs: 5_000 })).toEqual([]);
    // The folder given as itself was taken as no options: the CA went to the default folder.
    await expect(ensureTestbedCa(".testbed-certs" as never)).rejects.toThrow(
      new TestbedOptionsError(
        [
          'the options must be an object, not the folder itself: ensureTestbedCa({ certDir: ".testbed-certs" })',
        ],
        "ensureTestbedCa",
      ),
    );
    const failed = ensureTestbedCa({ certdir: "x", timeoutMs: -5 } as never);
    await expect(failed).rejects.toThrow(
      "Invalid ensureTestbedCa options:\n" +
        "  - certdir is no option of ensureTestbedCa: did you mean certDir?\n" +
        "  - timeoutMs must be a number of milliseconds above 0, not -5",
    );
    await expect(failed).rejects.toBeInstanceOf(TestbedOptionsError);
    await expect(failed).rejects.toMatchObject({ code: "TESTBED_INVALID_OPTIONS" });
    expect(testbedCaOptionProblems({ certDir: 42 })).toEqual([
      'certDir must be the path of a folder (a string), such as path.join(import.meta.dirname, ".testbed-certs"), not 42',
    ]);
    expect(testbedCaOptionProblems(null)).toEqual([
      "the options must be an object such as { certDir }, not null",
    ]);
  });

  it("is the same certDir check as startTestbed's", () => {
    expect(optionShapeProblems({ certDir: "" })).toEqual([
      'certDir must be the path of a folder (a string), such as path.join(import.meta.dirname, ".testbed-certs"), not ""',
    ]);
  });
});
