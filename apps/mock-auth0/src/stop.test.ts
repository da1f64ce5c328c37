import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, createSecureContext } from "node:tls";
import type { SecureContext } from "node:tls";

import { rawAnswerOf, type RawAnswer } from "@ciba-testbed/shared/node/raw-answer";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { ensureLocalCertificates } from "./certificates.js";
import { startMockAuth0 } from "./server.js";
import type { RunningMockAuth0 } from "./server.js";
import { loadTenant } from "./tenant/load-tenant.js";
import { testKeys } from "./test-support/harness.js";
import { TickingClock } from "./test-support/ticking-clock.js";

// A SIGTERM (`pnpm dev` restarting the tenant after an edit) reset the agents' polls: the
// tenant stopped listening at once and closed every connection, and those still in the
// listening socket's queue were reset too.

let certDir: string;
let secureContext: SecureContext;
let tenant: RunningMockAuth0;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), "stop-certs-"));
  const ca = readFileSync((await ensureLocalCertificates(certDir)).caCertPath, "utf8");
  secureContext = createSecureContext({ ca });
});
afterAll(() => {
  rmSync(certDir, { recursive: true, force: true });
});
beforeEach(async () => {
  const clock = new TickingClock();
  tenant = await startMockAuth0({
    tenant: loadTenant(),
    port: 0,
    host: "127.0.0.1",
    certDir,
    keys: await testKeys(),
    clock,
    ticker: clock,
    // The grace never ends by itself here: every connection must close because it was answered.
    sleep: () => new Promise(() => undefined),
  });
});

/**
 * Writes `request` on a connection of its own at once (the TLS handshake happens once the
 * tenant accepts it) and reads the raw answer, or the socket error's code, once it has closed.
 */
function send(request: string): { ended: Promise<RawAnswer | string>; firstBytes: Promise<void> } {
  const socket = connect({
    host: "127.0.0.1",
    port: tenant.port,
    servername: "localhost",
    secureContext,
  });
  socket.write(request);
  const firstBytes = new Promise<void>((resolve) =>
    socket.once("data", () => {
      resolve();
    }),
  );
  const ended = rawAnswerOf(socket);
  return { ended, firstBytes };
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

describe("a stopping tenant", () => {
  it("answers every request it was sent, none reset: those under way, and 503 as Auth0 for the rest", async () => {
    // The stop begins as the fifth request reaches the app: five under way, the rest not begun.
    let begun = 0;
    let stopped: Promise<void> | undefined;
    tenant.server.on("request", () => {
      if (++begun === 5) stopped = tenant.close();
    });
    const sent = Array.from({ length: 40 }, () => send(get("/.well-known/jwks.json")));
    const answers = await Promise.all(sent.map(({ ended }) => ended));
    await stopped;

    expect(answers.filter((answer) => typeof answer === "string")).toEqual([]);
    const statuses = (answers as RawAnswer[]).map((answer) => answer.status);
    expect(statuses.filter((status) => status !== 503)).toEqual([200, 200, 200, 200, 200]);
    const refused = (answers as RawAnswer[]).filter((answer) => answer.status === 503);
    expect(refused).toEqual(
      refused.map(() => ({
        status: 503,
        headers: expect.objectContaining({ connection: "close", "retry-after": "2" }) as unknown,
        body: JSON.stringify({
          error: "temporarily_unavailable",
          error_description:
            "This tenant is stopping and took no new request: nothing was done. Send the same " +
            "request again in a moment",
        }),
      })),
    );
  });

  it("ends the approver page's event streams at the stop instead of waiting for them", async () => {
    const stream = send(get("/approver/api/events"));
    await stream.firstBytes;
    // Resolves though the grace never ends: the stream held no stop.
    await tenant.close();
    const ended = (await stream.ended) as RawAnswer;
    expect(ended.status).toBe(200);
    expect(ended.body).toContain("event: snapshot");
    // Chunked, with its last chunk: ended, not cut.
    expect(ended.body.endsWith("0\r\n\r\n")).toBe(true);
  });
});
