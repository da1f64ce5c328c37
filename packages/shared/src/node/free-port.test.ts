import { createServer } from "node:net";

import { describe, expect, it } from "vitest";

import { freePort, listenFailureLine } from "./free-port.js";

describe("freePort", () => {
  it("gives a loopback port a server can listen on", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  });
});

describe("listenFailureLine: a port in use", () => {
  it("names the port a real listen found taken, and the variable that picks another", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as { port: number };
    const error = await new Promise<Error>((resolve) => {
      const second = createServer();
      second.once("error", resolve);
      second.listen(port, "127.0.0.1");
    });
    holder.close();
    expect(listenFailureLine(error, { port: "SHOP_API_PORT", host: "SHOP_API_HOST" })).toBe(
      `listen EADDRINUSE: address already in use 127.0.0.1:${port}: another process holds the port; stop it or set SHOP_API_PORT\n`,
    );
  });
});

describe("listenFailureLine", () => {
  const variables = { port: "SHOP_API_PORT", host: "SHOP_API_HOST" };
  /** What a real listen on `host` says. */
  const listenError = (host: string) =>
    new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const server = createServer();
      server.once("error", resolve);
      server.listen(0, host, () => {
        server.close();
        reject(new Error(`listening on ${host}`));
      });
    });

  it("names SHOP_API_HOST for an address this machine does not have", async () => {
    // TEST-NET-1 (RFC 5737): no interface has it, and binding sends nothing.
    const error = await listenError("192.0.2.1");
    expect(listenFailureLine(error, variables)).toBe(
      `${error.message}: no network interface of this machine has that address; set SHOP_API_HOST to one of its addresses (127.0.0.1: this machine only)\n`,
    );
  });

  it.each([
    [
      "ENOTFOUND",
      "getaddrinfo ENOTFOUND nowhere: the host name does not resolve; set SHOP_API_HOST to an IP address or a host name that resolves\n",
    ],
    [
      "EACCES",
      "getaddrinfo EACCES nowhere: this user may not listen on that port (ports below 1024 need privileges); set SHOP_API_PORT to 1024 or above, or 0 for a free one\n",
    ],
  ])("names the variable to change for %s", (code, line) => {
    const error = Object.assign(new Error(`getaddrinfo ${code} nowhere`), { code });
    expect(listenFailureLine(error, variables)).toBe(line);
  });

  it("leaves any other error, a fault worth its stack, to the caller", () => {
    expect(listenFailureLine(new Error("boom"), variables)).toBeUndefined();
    const odd = Object.assign(new Error("odd"), { code: "toString" });
    expect(listenFailureLine(odd, variables)).toBeUndefined();
  });
});
