import { connect } from "node:net";
import type { AddressInfo } from "node:net";

import { systemClock } from "@ciba-testbed/shared";
import { rawAnswerOf } from "@ciba-testbed/shared/node/raw-answer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { logIn } from "../apps/agent/src/test-support/login-session.js";
import { LoginSessions } from "../apps/agent/src/web/login-sessions.js";
import { offlineWebApp } from "../apps/agent/src/web/offline-web-app.js";
import { loadWebConfig } from "../apps/agent/src/web/web-config.js";
import { createWebServer } from "../apps/agent/src/web/web-server.js";
import type { WebHttpServer } from "../apps/agent/src/web/web-server.js";

// A chat whose body stopped short of its Content-Length was held for Node's 300 s, and a client
// whose headers never ended as long: the web app's server bounds a request's arrival (30 s,
// shortened here) as the tenant's and the shop's do, answers 408 with its JSON error, and warns
// the operator once, on stderr, since the app keeps no request log.
describe("the agent's web app, given a request that stops short", () => {
  const config = loadWebConfig({ APP_BASE_URL: "http://127.0.0.1:3000" });
  const sessions = new LoginSessions(systemClock);
  const warnings: string[] = [];
  let web: WebHttpServer;
  let port: number;

  beforeAll(async () => {
    web = createWebServer(offlineWebApp(config, { sessions }), {
      warn: (line) => warnings.push(line),
    });
    await new Promise<void>((resolve) => web.server.listen(0, "127.0.0.1", resolve));
    ({ port } = web.server.address() as AddressInfo);
    expect(web.server.requestTimeout).toBe(30_000);
    expect(web.server.headersTimeout).toBe(30_000);
    web.server.requestTimeout = 300;
    web.server.headersTimeout = 300;
  });
  afterAll(async () => {
    await web.stop();
  });

  /** `request` written on a connection of its own, which then sends nothing more; its answer. */
  async function stalled(request: string) {
    warnings.length = 0;
    const socket = connect(port, "127.0.0.1");
    const answered = rawAnswerOf(socket);
    socket.write(request);
    const answer = await answered;
    if (typeof answer === "string") throw new Error(answer);
    return { ...answer, body: JSON.parse(answer.body) as unknown };
  }

  /** The web app's 408, as the tenant and the shop answer it. */
  const timedOut = (description: string) => ({
    status: 408,
    headers: { "content-type": "application/json; charset=utf-8", connection: "close" },
    body: { error: "invalid_request", error_description: description },
  });

  it("answers a chat whose body stops short 408 once its time is up, and warns once", async () => {
    const { cookie } = logIn(sessions, config.sessionSecret, { sub: "auth0|buyer" });
    const answer = await stalled(
      "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nContent-Type: application/json\r\n" +
        `Cookie: ${cookie}\r\nContent-Length: 100\r\n\r\n{"id"`,
    );

    expect(answer).toMatchObject(
      timedOut(
        "The request did not arrive whole within 0.3 s: its body stopped short of its " +
          "Content-Length, or came too slowly. Send the whole request again, with as many bytes " +
          "of body as its Content-Length says",
      ),
    );
    expect(warnings).toEqual([
      "A request from 127.0.0.1 did not arrive whole within 0.3 s: its body stopped short of " +
        "its Content-Length, or came too slowly. It was answered 408 and its connection closed",
    ]);
  });

  it("answers a request whose headers never end 408, and warns once without a word of them", async () => {
    const { cookie } = logIn(sessions, config.sessionSecret, { sub: "auth0|buyer" });
    const answer = await stalled(
      `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nCookie: ${cookie}\r\nX-Slow: 1`,
    );

    expect(answer).toMatchObject(
      timedOut(
        "The request's line and headers did not arrive whole within 0.3 s: they never ended " +
          "with an empty line, or came too slowly. Send the whole request again, its headers " +
          "ended by an empty line",
      ),
    );
    expect(warnings).toEqual([
      "A request from 127.0.0.1 did not arrive whole within 0.3 s: its request line and " +
        "headers never ended (a client that sends part of a request, then nothing, holds a " +
        "connection: slowloris). It was answered 408 and its connection closed",
    ]);
  });
});
