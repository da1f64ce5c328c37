import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, get } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { redactUrl } from "./logging.js";
import { createTestApp } from "./test-support/test-app.js";
import { startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("request logs", () => {
  it("reuse a well-formed X-Request-Id, echo it, and log it", async () => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app).get("/health").set("X-Request-Id", "agent-run.42:7");
    expect(res.headers["x-request-id"]).toBe("agent-run.42:7");
    const line = shop.logs.map((l) => JSON.parse(l) as Record<string, unknown>).at(-1);
    expect(line).toMatchObject({ req: { id: "agent-run.42:7", method: "GET", url: "/health" } });
    expect(line).toMatchObject({ res: { statusCode: 200 } });
  });

  it.each(["has spaces", "x".repeat(129), "<script>", ""])(
    "replace a malformed X-Request-Id (%j) with a fresh one",
    async (incoming) => {
      const shop = await createTestApp(issuer);
      const res = await request(shop.app).get("/health").set("X-Request-Id", incoming);
      expect(res.headers["x-request-id"]).toMatch(UUID);
    },
  );

  it("log the Bearer challenge to a request without credentials at info, a refused token at warn", async () => {
    const shop = await createTestApp(issuer);
    const level = () => (JSON.parse(shop.logs.at(-1) ?? "{}") as { level?: number }).level;
    await request(shop.app).post("/api/purchases").send({}).expect(401);
    // An agent makes this request before each consent request: it logged a warning each time.
    expect(level()).toBe(30);
    await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", "Bearer not-a-token")
      .send({})
      .expect(401);
    expect(level()).toBe(40);
  });

  it("generate an id when none is sent", async () => {
    const shop = await createTestApp(issuer);
    const a = await request(shop.app).get("/health");
    const b = await request(shop.app).get("/health");
    expect(a.headers["x-request-id"]).toMatch(UUID);
    expect(a.headers["x-request-id"]).not.toBe(b.headers["x-request-id"]);
  });

  it("never contain a token, a cookie or the Authorization header", async () => {
    const shop = await createTestApp(issuer);
    const token = await issuer.mint();
    const machine = await issuer.mintClientCredentials();
    const expired = await issuer.mint({ exp: Math.floor(Date.now() / 1000) - 600 });
    const cookie = "session=very-secret-cookie-value";

    await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${token}`)
      .set("Cookie", cookie)
      .send({ product: "XYZ phone", qty: 1 });
    await request(shop.app).post(`/api/purchases?access_token=${token}`).send({});
    await request(shop.app).get(`/api/products?id_token=${token}`);
    await request(shop.app).get("/api/purchases").set("Authorization", `Bearer ${machine}`);
    await request(shop.app).get("/api/purchases").set("Authorization", `Bearer ${expired}`);
    await request(shop.app).get("/api/purchases").set("Authorization", "Basic dXNlcjpwYXNz");

    const all = shop.logs.join("\n");
    expect(shop.logs.length).toBeGreaterThanOrEqual(6);
    for (const secret of [token, machine, expired, "very-secret-cookie-value", "dXNlcjpwYXNz"]) {
      expect(all).not.toContain(secret);
      // A JWT's signature alone is enough to replay nothing, but its header.payload is PII.
      expect(all).not.toContain(secret.split(".").slice(0, 2).join("."));
    }
    expect(all).toContain("access_token=%5BRedacted%5D");
  });
});

describe("redactUrl", () => {
  it("keeps the names of the shop's own parameters, and no other name or value", () => {
    expect(redactUrl("/api/purchases?access_token=abc&x=1")).toBe(
      "/api/purchases?access_token=%5BRedacted%5D&%5BRedacted%5D",
    );
    // A password or an API key for another service, put in the URL by mistake.
    expect(redactUrl("/api/products?password=PWa6&api_key=K3y")).toBe(
      "/api/products?%5BRedacted%5D&%5BRedacted%5D",
    );
    // A parameter with no value: its name can be the secret.
    expect(redactUrl("/api/products?SeCrEtKeyOnly1")).toBe("/api/products?%5BRedacted%5D");
    expect(redactUrl("/api/products?SeCrEt=")).toBe("/api/products?%5BRedacted%5D");
    expect(redactUrl("/p?Access_Token=a&access_token=b&access_token=c")).toBe(
      "/p?%5BRedacted%5D&access_token=%5BRedacted%5D&access_token=%5BRedacted%5D",
    );
    expect(redactUrl("/health")).toBe("/health");
    expect(redactUrl("/health?")).toBe("/health?");
  });

  it.each([
    [
      "http://u:SECRETS1@127.0.0.1:4020/api/products",
      "http://[Redacted]@127.0.0.1:4020/api/products",
    ],
    // A password sent without percent-encoding, holding a "/" or an "@".
    [
      "HTTP://u:pa/ss@w@shop.example/api/purchases?x=1",
      "HTTP://[Redacted]@shop.example/api/purchases?%5BRedacted%5D",
    ],
    ["ftp://SECRETS1@host/", "ftp://[Redacted]@host/"],
    ["//u:SE/CR@ET@127.0.0.1:4020/api/products", "//[Redacted]@127.0.0.1:4020/api/products"],
    // A password holding a "?" or "#" cannot be told from a query or fragment holding an "@"
    // (a password "SE?CRETA4", or a query "CRETA4@127..."): nothing after the "//" shows.
    ["http://u:SE?CRETA4@127.0.0.1:4020/api/products", "http://[Redacted]"],
    ["http://u:SE#CRET@127.0.0.1:4020/api/products?user=x", "http://[Redacted]"],
    ["http://shop.example/api/products?user=x@y", "http://[Redacted]"],
    // Nothing to hide.
    ["/api/purchases/a@b", "/api/purchases/a@b"],
  ])("shows the target in absolute form %s without its user information", (sent, shown) => {
    expect(redactUrl(sent)).toBe(shown);
  });

  it("keeps user only where it names the person of the admin route", () => {
    expect(redactUrl("/admin/orders?user=auth0%7Ctestbed-user")).toBe(
      "/admin/orders?user=auth0%7Ctestbed-user",
    );
    // Express routes these to it too.
    expect(redactUrl("/Admin/Orders/?user=auth0%7Ctestbed-user&k=SeCrEt")).toBe(
      "/Admin/Orders/?user=auth0%7Ctestbed-user&%5BRedacted%5D",
    );
    for (const path of ["/api/purchases", "/api/products", "/admin/orders/x", "/admin"]) {
      expect(redactUrl(`${path}?user=buyer%3APWa6jj`)).toBe(`${path}?user=%5BRedacted%5D`);
    }
  });

  it("is what the request log shows", async () => {
    const shop = await createTestApp(issuer, { config: { adminToken: "admin-token-for-logs" } });
    await request(shop.app).get("/api/products?SeCrEtKeyOnly1");
    await request(shop.app).post("/api/purchases?user=buyer%3APWa6jj").send({});
    await request(shop.app)
      .get("/admin/orders?user=auth0%7Calice")
      .set("Authorization", "Bearer admin-token-for-logs");
    const urls = shop.logs.map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url);
    expect(urls).toEqual(
      expect.arrayContaining([
        "/api/products?%5BRedacted%5D",
        "/api/purchases?user=%5BRedacted%5D",
        "/admin/orders?user=auth0%7Calice",
      ]),
    );
    const all = shop.logs.join("\n");
    expect(all).not.toContain("SeCrEtKeyOnly1");
    expect(all).not.toContain("PWa6jj");
  });

  it("shows no user information of a target in absolute form", async () => {
    const shop = await createTestApp(issuer);
    // What `curl --request-target 'http://u:SECRETS1@host/api/products'` sends.
    const server = createServer(shop.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        get({
          host: "127.0.0.1",
          port,
          path: `http://u:SECRETS1@127.0.0.1:${String(port)}/api/products`,
        })
          .on("response", (res) => {
            res.resume();
            resolve(res.statusCode);
          })
          .on("error", reject);
      });
      expect(status).toBe(400);
    } finally {
      server.close();
    }
    const urls = shop.logs.map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url);
    expect(urls).toContain(`http://[Redacted]@127.0.0.1:${String(port)}/api/products`);
    expect(shop.logs.join("\n")).not.toContain("SECRETS1");
  });
});

describe("logs when stdout's reader has gone", () => {
  // pino flushes what it still holds when the process exits; with stdout's reader gone that
  // write fails with EPIPE, which sonic-boom 4 retried forever (why pnpm-workspace.yaml
  // overrides it).
  it("do not keep the process from exiting", async () => {
    const pinoEntry = createRequire(import.meta.url).resolve("pino");
    const script = `const log = require(${JSON.stringify(pinoEntry)})();
process.stdin.once("data", () => { log.info("one"); log.info("two"); process.exit(3); });`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "pipe"] });
    // A process that hangs is ended with the test, not left behind.
    onTestFinished(() => void child.kill("SIGKILL"));
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit");
    // The read end closed first, then the two lines: the second waits in pino's buffer behind
    // the first, which is in flight, so the exit has a line to flush.
    child.stdout.destroy();
    await once(child.stdout, "close");
    child.stdin.end("go\n");
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    expect({ code, signal }).toEqual({ code: 3, signal: null });
    expect(stderr).toContain("EPIPE");
  });
});
