import { describe, expect, it } from "vitest";
import { z } from "zod";

import { ConfigError, parseEnv } from "../env.js";
import {
  listenHostSchema,
  loadServerConfig,
  serverUrl,
  unresolvedHostProblem,
  urlHostOf,
} from "./listen-host.js";

const schema = z.object({ HOST: listenHostSchema("127.0.0.1") });
const hostOf = (value: string) => parseEnv(schema, { HOST: value }, { app: "server" }).HOST;
const problemsOf = (value: string) => {
  try {
    hostOf(value);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

/** A lookup that must not be reached: an address needs none. */
const noLookup = () => Promise.reject(new Error("looked up"));
/** getaddrinfo's answer for a name nobody knows. */
const unknownName = () =>
  Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }));

describe("listenHostSchema", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["[::1]", "::1"],
    [" localhost ", "localhost"],
    ["0.0.0.0", "0.0.0.0"],
    ["shop-1.internal", "shop-1.internal"],
    // IPv4-mapped: the IPv4 address a client reaches, which the URLs and certificate name.
    ["::ffff:127.0.0.3", "127.0.0.3"],
    ["[::FFFF:7f00:3]", "127.0.0.3"],
    ["0:0:0:0:0:ffff:c0a8:1", "192.168.0.1"],
    ["::ffff:1", "::ffff:1"],
    ["::1:ffff:7f00:3", "::1:ffff:7f00:3"],
    ["fe80::1%eth0", "fe80::1%eth0"],
  ])("takes %j as %j", (value, host) => {
    expect(hostOf(value)).toBe(host);
  });

  it.each(["999.1.1.1", "127.0.0.1:4020", "not an ip", "http://localhost", "[localhost]", "-x"])(
    "refuses %j, saying what a host must be",
    (value) => {
      expect(problemsOf(value)).toEqual([
        `HOST must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost) (got ${JSON.stringify(value)})`,
      ]);
    },
  );
});

describe("unresolvedHostProblem", () => {
  it("names the variable and the name that does not resolve", async () => {
    expect(await unresolvedHostProblem("SHOP_API_HOST", "not-an-ip", unknownName)).toBe(
      'SHOP_API_HOST must be an IP address (such as 127.0.0.1 or ::1) or a host name that resolves (such as localhost): "not-an-ip" does not resolve (ENOTFOUND)',
    );
  });

  it.each([undefined, "", "127.0.0.1", "::1", "999.1.1.1"])(
    "looks nothing up for %j (unset, an address, or refused by the schema)",
    async (host) => {
      expect(await unresolvedHostProblem("HOST", host, noLookup)).toBeUndefined();
    },
  );
});

describe("loadServerConfig", () => {
  const load = (env: Readonly<Record<string, string | undefined>>) => {
    if (env.PORT === "x") {
      throw new ConfigError("server", ["PORT must be a port number", "HOST is not loopback"]);
    }
    return { host: env.HOST };
  };

  it("loads as `load` does when the host resolves", async () => {
    const lookup = () => Promise.resolve({ address: "127.0.0.1", family: 4 });
    expect(await loadServerConfig("server", "HOST", { HOST: "localhost" }, load, lookup)).toEqual({
      host: "localhost",
    });
  });

  it("lists a name that does not resolve with the other problems, instead of the host's own", async () => {
    const loading = loadServerConfig(
      "server",
      "HOST",
      { HOST: "nowhere", PORT: "x" },
      load,
      unknownName,
    );
    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loading).rejects.toMatchObject({
      problems: [
        expect.stringMatching(/^HOST must be .*: "nowhere" does not resolve \(ENOTFOUND\)$/),
        "PORT must be a port number",
      ],
    });
  });
});

describe("urlHostOf", () => {
  it.each(["127.0.0.1", "localhost", "0.0.0.0", "::", "[::]"])(
    "names localhost for %j, which it reaches",
    (host) => {
      expect(urlHostOf(host)).toBe("localhost");
    },
  );

  it.each([
    ["127.0.0.2", "127.0.0.2"],
    ["::1", "[::1]"],
    ["[::1]", "[::1]"],
    ["192.168.1.20", "192.168.1.20"],
    ["Shop-1.internal", "shop-1.internal"],
  ])("names %j where localhost does not reach it: %j", (host, urlHost) => {
    expect(urlHostOf(host)).toBe(urlHost);
  });

  it("makes a server's URL of it", () => {
    expect(serverUrl("https", "127.0.0.1", 4010)).toBe("https://localhost:4010");
    expect(serverUrl("http", "127.0.0.2", 4020)).toBe("http://127.0.0.2:4020");
  });
});
