import { once } from "node:events";
import { get } from "node:http";
import type { AddressInfo } from "node:net";

import fc from "fast-check";
import { pino } from "pino";
import type { LevelWithSilent } from "pino";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { createApp } from "./app.js";
import { requestLogging, withoutQueryCredentials } from "./request-logging.js";
import { AGENT, ISSUER, createHarness } from "./test-support/harness.js";

type LogRecord = Record<string, unknown>;

const MINUTE = 60_000;
const realNow = Date.now.bind(Date);
/** Added to the time: a failing request moves it on. */
let shift = 0;

/**
 * The tenant with a logger at `level`, its control API failing a minute after the request
 * came (so a response time shows when the request was noted), and what it logged.
 */
async function loggedApp(level: LevelWithSilent) {
  const h = await createHarness();
  const records: LogRecord[] = [];
  const logger = pino({ level }, { write: (line: string) => records.push(JSON.parse(line)) });
  const app = createApp({ issuer: ISSUER, tenant: h.tenant }, { ...h, logger });
  vi.spyOn(h.store, "list").mockImplementation(() => {
    shift += MINUTE;
    throw new Error("store failed");
  });
  return { app, records };
}

/** A 200, a 400, a 401, a 404, a malformed path and a 500, one after the other. */
async function sendEach(app: Parameters<typeof request>[0]): Promise<void> {
  await request(app).get("/.well-known/jwks.json").expect(200);
  await request(app).post("/oauth/token").type("form").send({ grant_type: "nope" }).expect(401);
  await request(app)
    .post("/bc-authorize")
    .type("form")
    .send({ client_id: AGENT.id, client_secret: AGENT.secret })
    .expect(400);
  await request(app).get("/nothing?x=1").expect(404);
  await request(app).get("/%E0%A4%A").expect(400);
  await request(app).get("/approver/api/requests").expect(500);
}

/** What does not repeat from one run to the next: times, stacks. */
function comparable(record: LogRecord): LogRecord {
  const { time: _time, pid: _pid, hostname: _host, responseTime, err, ...rest } = record;
  const error = err as { type: string; message: string } | undefined;
  return {
    ...rest,
    ...(responseTime === undefined
      ? {}
      : { responseTime: (responseTime as number) >= MINUTE ? "a minute" : "less" }),
    ...(error === undefined ? {} : { err: { type: error.type, message: error.message } }),
  };
}

beforeEach(() => {
  vi.spyOn(Date, "now").mockImplementation(() => realNow() + shift);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the request log", () => {
  it("writes pino-http's record for every answer at info, and the request with an error", async () => {
    const { app, records } = await loggedApp("info");
    await sendEach(app);
    const requests = records.filter((r) => r.req !== undefined).map(comparable);
    const answer = (method: string, url: string, statusCode: number) => ({
      level: 30,
      req: { method, url },
      res: { statusCode },
      responseTime: "less",
      msg: "request completed",
    });
    expect(requests).toEqual([
      answer("GET", "/.well-known/jwks.json", 200),
      answer("POST", "/oauth/token", 401),
      answer("POST", "/bc-authorize", 400),
      answer("GET", "/nothing?[redacted]", 404),
      answer("GET", "/%E0%A4%A", 400),
      {
        level: 50,
        req: { method: "GET", url: "/approver/api/requests" },
        err: { type: "Error", message: "store failed" },
        msg: "unexpected error",
      },
      {
        level: 50,
        req: { method: "GET", url: "/approver/api/requests" },
        res: { statusCode: 500 },
        err: { type: "Error", message: "failed with status code 500" },
        responseTime: "a minute",
        msg: "request errored",
      },
    ]);
  });

  it("writes below info exactly the records pino-http writes at that level", async () => {
    const everything = await loggedApp("info");
    await sendEach(everything.app);
    for (const level of ["warn", "error"] as const) {
      const threshold = pino.levels.values[level]!;
      const expected = everything.records
        .filter((r) => (r.level as number) >= threshold)
        .map(comparable);
      const { app, records } = await loggedApp(level);
      await sendEach(app);
      expect(records.map(comparable)).toEqual(expected);
      expect(expected).toHaveLength(2);
    }
    const quiet = await loggedApp("fatal");
    await sendEach(quiet.app);
    expect(quiet.records).toEqual([]);
  });

  it("shows a parameter's value only when the tenant reads it and it carries no credential", async () => {
    const { app, records } = await loggedApp("info");
    await request(app)
      .get("/.well-known/openid-configuration?SeCrEtKeyOnly1&api_key=zzz")
      .expect(200);
    await request(app).get("/authorize").query({
      client_id: AGENT.id,
      response_type: "code",
      redirect_uri: "https://app.example/callback",
      scope: "openid profile",
      state: "st4te",
      nonce: "n0nce",
      login_hint: "buyer@example.com",
      password: "hunter2",
      s3cr3t: "",
    });
    const urls = records.flatMap((r) => {
      const req = r.req as { url?: string } | undefined;
      return r.msg === "request completed" && req?.url !== undefined ? [req.url] : [];
    });
    expect(urls).toEqual([
      "/.well-known/openid-configuration?[redacted]&[redacted]",
      `/authorize?client_id=${AGENT.id}&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&scope=openid%20profile&state=[redacted]&nonce=[redacted]&login_hint=[redacted]&password=[redacted]&[redacted]`,
    ]);
    expect(JSON.stringify(records)).not.toMatch(
      /SeCrEtKeyOnly1|zzz|api_key|st4te|n0nce|buyer@|hunter2|s3cr3t/,
    );
  });

  it("hides the user-info of a target in absolute form, which the tenant answers", async () => {
    const { app, records } = await loggedApp("info");
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        get(
          {
            host: "127.0.0.1",
            port,
            path: `https://u:SECRETH8@localhost:${port}/.well-known/openid-configuration?api_key=k`,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode);
          },
        ).on("error", reject);
      });
      expect(status).toBe(200);
    } finally {
      server.close();
    }
    const logged = records.find((r) => r.msg === "request completed")?.req as { url?: string };
    expect(logged.url).toBe(
      `https://[redacted]@localhost:${port}/.well-known/openid-configuration?[redacted]`,
    );
    expect(JSON.stringify(records)).not.toMatch(/SECRETH8|u:/);
  });

  it.each([
    ["http://user@localhost/jwks.json", "http://[redacted]@localhost/jwks.json"],
    ["HTTPS://a:b@c@host:1/x?scope=openid", "HTTPS://[redacted]@host:1/x?scope=openid"],
    ["//u:p@host/x", "//[redacted]@host/x"],
    // A password sent as typed may hold a "/", ":", ";" or "@" before the "@" that ends it ...
    [
      "https://u:SECRETS/LASH@localhost:4010/jwks.json",
      "https://[redacted]@localhost:4010/jwks.json",
    ],
    ["//u:SLASH2/SECRET@localhost:4010/x", "//[redacted]@localhost:4010/x"],
    [
      "https://u:S;E@C:R/ET@localhost:4010/x?scope=openid",
      "https://[redacted]@localhost:4010/x?scope=openid",
    ],
    // ... so a path's "@" is taken for one (a user part "host/a", or a path "/a@b") ...
    ["https://host/a@b", "https://[redacted]@b"],
    // ... and one holding a "?" or "#" reads as a query or fragment holding an "@" (a password
    // "SEC?RETQ", or a query "RETQ@localhost..."), so with an "@" after them nothing shows.
    ["https://u:SEC?RETQ@localhost:4010/.well-known/openid-configuration", "https://[redacted]"],
    ["https://u:SE#C/R?ET@localhost:4010/x?scope=openid", "https://[redacted]"],
    ["https://host/a?scope=openid&login_hint=a@b", "https://[redacted]"],
    ["https://host/a?token=SEC@RET", "https://[redacted]"],
    ["/u/login?x=a@b", "/u/login?[redacted]"],
  ])("shows %s as %s: user-info hidden in any absolute form, and only there", (url, shown) => {
    expect(withoutQueryCredentials(url)).toBe(shown);
  });

  it("shows no part of a password in a target's user-info, whatever characters it holds", () => {
    // Upper-case letters only in the password: none may show.
    const password = fc.string({
      unit: fc.constantFrom(
        "Q",
        "Z",
        "a",
        "b",
        "/",
        "?",
        "#",
        "@",
        ";",
        "{",
        "}",
        "=",
        "%",
        ":",
        " ",
      ),
      minLength: 1,
      maxLength: 16,
    });
    const target = fc.constantFrom(
      (pw: string) => `https://u:${pw}@localhost:4010/jwks.json`,
      (pw: string) => `https://${pw}@localhost:4010/.well-known/openid-configuration?scope=openid`,
      (pw: string) => `//u:${pw}@localhost:4010/authorize?client_id=agent&state=s`,
      (pw: string) => `http://u:${pw}@127.0.0.1:4010/x#y`,
    );
    fc.assert(
      fc.property(password, target, (pw, make) => {
        expect(withoutQueryCredentials(make(pw))).not.toMatch(/[QZ]/);
      }),
      { numRuns: 2000 },
    );
  });

  it("reads the query as the tenant does: repeated, encoded, bare and unreadable names", () => {
    expect(
      withoutQueryCredentials(
        "/authorize?client_id=a&client_id=b&client%5Fid=c&prompt&x=1&%E0%A4%A=2&&Token=t",
      ),
    ).toBe(
      "/authorize?client_id=a&client_id=b&client%5Fid=c&prompt&[redacted]&[redacted]&Token=[redacted]",
    );
    expect(withoutQueryCredentials("/approver/api/requests?status=pending&limit=5&cursor=7")).toBe(
      "/approver/api/requests?status=pending&limit=5&cursor=7",
    );
    expect(withoutQueryCredentials("/v2/logout?returnTo=https%3A%2F%2Fapp&CLIENT_ID=x")).toBe(
      "/v2/logout?returnTo=https%3A%2F%2Fapp&[redacted]",
    );
    expect(withoutQueryCredentials("/jwks.json")).toBe("/jwks.json");
  });

  it("is pino-http from info down, a start time and the error path below, nothing at fatal", () => {
    const at = (level: LevelWithSilent) => {
      const logging = requestLogging(pino({ level }));
      return [logging.first !== undefined, logging.beforeErrorHandler !== undefined];
    };
    expect(at("debug")).toEqual([true, false]);
    expect(at("info")).toEqual([true, false]);
    expect(at("warn")).toEqual([true, true]);
    expect(at("error")).toEqual([true, true]);
    expect(at("fatal")).toEqual([false, false]);
    expect(at("silent")).toEqual([false, false]);
  });
});
