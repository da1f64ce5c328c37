import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A proxy in front of the shop at `shopUrl` that passes every request on, and holds the shop's
 * answer to an order: the shop places it, and the agent hears so only once `pass` is called.
 * `ordered` resolves once the shop has answered an order. With `lose`, the agent never hears
 * it: each answer that placed (or found) an order is a 502 instead, as from a gateway whose
 * shop timed out.
 */
export async function orderAnswerHolder(shopUrl: string, lose = false) {
  let shopAnswered: () => void = () => undefined;
  const ordered = new Promise<void>((resolve) => {
    shopAnswered = resolve;
  });
  let passOn: () => void = () => undefined;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const name of ["authorization", "content-type", "accept", "idempotency-key"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      void fetch(new URL(req.url ?? "/", shopUrl), {
        method: req.method ?? "GET",
        headers,
        ...(req.method === "POST" ? { body: Buffer.concat(chunks) } : {}),
      }).then(async (answer) => {
        const body = await answer.text();
        // 201: the shop placed an order. Anything else passes (the web app probes the purchase
        // URL with a POST that has no token, which the shop refuses).
        const answerAgent = () => {
          res.writeHead(answer.status, {
            "content-type": answer.headers.get("content-type") ?? "",
          });
          res.end(body);
        };
        if (answer.status === 201 || (lose && answer.ok && req.method === "POST")) {
          passOn = answerAgent;
          shopAnswered();
          if (lose) {
            res.writeHead(502, { "content-type": "text/plain" });
            res.end("Bad gateway");
          }
          return;
        }
        answerAgent();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    ordered,
    pass: () => {
      passOn();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
