import { createServer } from "node:net";
import type { AddressInfo } from "node:net";

import { freePort } from "@ciba-testbed/shared/node";
import { describe, expect, it } from "vitest";

import { startPostgres } from "./postgres.js";

describe("startPostgres", () => {
  // Another process can take the free port between the probe and PostgreSQL's binding it.
  it("starts again on another port when the one it was given is taken", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const taken = (holder.address() as AddressInfo).port;
    const probed: number[] = [];
    try {
      const server = await startPostgres({
        probe: async () => {
          const port = probed.length === 0 ? taken : await freePort();
          probed.push(port);
          return port;
        },
      });
      try {
        expect(probed).toHaveLength(2);
        expect(probed[0]).toBe(taken);
        expect(server.port).toBe(probed[1]);
        expect(new URL(server.url()).port).toBe(String(probed[1]));
        expect(server.running).toBe(true);
        const database = await server.createDatabase("on_another_port");
        expect(database).toBe(`postgres://shop@127.0.0.1:${String(probed[1])}/on_another_port`);
      } finally {
        await server.stop();
      }
    } finally {
      holder.close();
    }
  });
});
