import express from "express";
import { pino } from "pino";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { OAuthError } from "../oauth-error.js";
import { createErrorHandler } from "./error-handler.js";
import { defineErrors } from "./error-table.js";

const errors = defineErrors({
  notFound: { status: 404, code: "not_found", when: "no such route" },
  slowDown: { status: 429, code: "slow_down", when: "polling too fast" },
});

function app(
  translate?: (error: unknown) => OAuthError | undefined,
  onAnswer?: (req: express.Request, error: OAuthError) => void,
) {
  const logged: unknown[] = [];
  const logger = pino(
    { level: "error" },
    { write: (line: string) => logged.push(JSON.parse(line)) },
  );
  const server = express();
  server.get("/items/:id", (req, res) => res.json({ id: req.params.id }));
  server.post("/items", express.json({ limit: "1kb" }), (req, res) => res.json(req.body));
  server.get("/throttled", () => {
    throw errors.slowDown("Wait 5 s", { "Retry-After": "5" });
  });
  server.get("/library", () => {
    throw Object.assign(new Error("library"), { library: true });
  });
  server.get("/bug", () => {
    throw new Error("secret stack detail");
  });
  server.use((_req, _res, next) => {
    next(errors.notFound("No such route"));
  });
  server.use(
    createErrorHandler({
      logger,
      bodyLimit: "1kb",
      ...(translate ? { translate } : {}),
      ...(onAnswer ? { onAnswer } : {}),
    }),
  );
  return { server, logged };
}

describe("createErrorHandler", () => {
  it("serializes the app's errors with their headers", async () => {
    const response = await request(app().server).get("/throttled").expect(429);
    expect(response.body).toEqual({ error: "slow_down", error_description: "Wait 5 s" });
    expect(response.headers["retry-after"]).toBe("5");
    expect(errors.table.notFound).toEqual({
      status: 404,
      code: "not_found",
      when: "no such route",
    });
  });

  it.each(["/items/%ZZ", "/items/%", "/items/%E0%A4%A", "/items/%C0%AF"])(
    "answers the malformed path %s with 400 invalid_request",
    async (path) => {
      const response = await request(app().server).get(path).expect(400);
      expect(response.body).toEqual({
        error: "invalid_request",
        error_description:
          "The URL path is not valid percent-encoded UTF-8 (RFC 3986 section 2.1: '%' must be " +
          "followed by two hex digits, and the bytes must form UTF-8); encode each path segment " +
          "with encodeURIComponent",
      });
    },
  );

  it.each(["gzip", "deflate", "br"])(
    "answers a body that is not valid %s with 400 invalid_request",
    async (encoding) => {
      const response = await request(app().server)
        .post("/items")
        .set("Content-Type", "application/json")
        .set("Content-Encoding", encoding)
        .send("not compressed")
        .expect(400);
      expect(response.body.error).toBe("invalid_request");
      expect(response.body.error_description).toMatch(/Content-Encoding/);
    },
  );

  it("answers bad JSON, oversized bodies and unknown encodings with 4xx invalid_request", async () => {
    const server = app().server;
    const post = () => request(server).post("/items").set("Content-Type", "application/json");
    expect((await post().send("{bad").expect(400)).body.error).toBe("invalid_request");
    expect(
      (
        await post()
          .send(`"${"x".repeat(2000)}"`)
          .expect(413)
      ).body.error_description,
    ).toBe("The request body is larger than 1kb");
    expect((await post().set("Content-Encoding", "x-foo").send("{}").expect(415)).body.error).toBe(
      "invalid_request",
    );
  });

  it("tries the app's own translation first", async () => {
    const { server } = app((error) =>
      (error as { library?: boolean }).library
        ? new OAuthError(401, "invalid_token", "translated", { "WWW-Authenticate": "Bearer" })
        : undefined,
    );
    const response = await request(server).get("/library").expect(401);
    expect(response.body).toEqual({ error: "invalid_token", error_description: "translated" });
    expect(response.headers["www-authenticate"]).toBe("Bearer");
  });

  it("turns anything else into a logged 500 server_error without details", async () => {
    const { server, logged } = app();
    const response = await request(server).get("/bug").expect(500);
    expect(response.body).toEqual({
      error: "server_error",
      error_description: "The server hit an unexpected error; try again later",
    });
    expect(JSON.stringify(response.body)).not.toContain("secret");
    expect(logged).toHaveLength(1);
  });

  it("tells onAnswer of each error answer as it is sent, a 500 as server_error", async () => {
    const told: string[] = [];
    const { server } = app(undefined, (req, error) =>
      told.push(`${req.path} ${String(error.status)} ${error.code}`),
    );
    await request(server).get("/throttled").expect(429);
    await request(server).get("/bug").expect(500);
    await request(server).get("/items/1").expect(200);
    expect(told).toEqual(["/throttled 429 slow_down", "/bug 500 server_error"]);
  });
});
