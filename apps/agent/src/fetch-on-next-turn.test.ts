import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { describe, expect, it } from "vitest";

import { fetchOnNextTurn } from "./fetch-on-next-turn.js";

/**
 * Three requests to a server no request of this process has reached yet, each sent from the
 * callback that read the answer before it: a model reading the shop's catalog and then a tool
 * reading it again, or a poll right after /bc-authorize. Resolves with the number of
 * connections the server saw.
 */
async function backToBack(send: typeof fetch): Promise<number> {
  let connections = 0;
  const server = createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ products: [] }));
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/api/products`;
  try {
    for (let i = 0; i < 3; i++) {
      const response = await send(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(5_000),
      });
      expect(await response.json()).toEqual({ products: [] });
    }
    return connections;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("fetchOnNextTurn", () => {
  it("sends requests made right after an answer on that answer's connection", async () => {
    expect(await backToBack(fetchOnNextTurn(fetch))).toBe(1);
  });

  // Checked on Node 20, the version this was found and measured with; a later Node's fetch may
  // give its connections back sooner, which would make the wrapper needless, not wrong.
  it.runIf(process.versions.node.startsWith("20."))(
    "is needed on Node 20: its fetch alone opens another connection for such a request",
    async () => {
      expect(await backToBack(fetch)).toBeGreaterThan(1);
    },
  );

  it("passes the request and the answer through unchanged", async () => {
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ method: request.method, body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const response = await fetchOnNextTurn(fetch)(new URL(`http://127.0.0.1:${String(port)}/`), {
        method: "POST",
        body: '{"qty":2}',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ method: "POST", body: '{"qty":2}' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
