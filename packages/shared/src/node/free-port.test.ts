import { createServer } from "node:net";

import { describe, expect, it } from "vitest";

import { freePort, portInUseLine } from "./free-port.js";

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

describe("portInUseLine", () => {
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
    expect(portInUseLine(error, "SHOP_API_PORT")).toBe(
      `listen EADDRINUSE: address already in use 127.0.0.1:${port}: another process holds the port; stop it or set SHOP_API_PORT\n`,
    );
    expect(portInUseLine(new Error("listen EACCES"), "SHOP_API_PORT")).toBeUndefined();
  });
});
