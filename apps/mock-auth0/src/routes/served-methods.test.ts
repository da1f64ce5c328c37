import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { RunningMockAuth0 } from "../server.js";
import { startRepositoryTenant } from "../test-support/harness.js";

const run = promisify(execFile);

let tenant: RunningMockAuth0;
let certDir: string;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(tmpdir(), "served-methods-"));
  tenant = await startRepositoryTenant(certDir);
});

afterAll(async () => {
  await tenant.close();
  rmSync(certDir, { recursive: true, force: true });
});

/** What curl, trusting the tenant's CA alone, reads back: the status, `Allow` and the body text. */
async function curl(method: string, endpoint: string) {
  const { stdout } = await run("curl", [
    "--silent",
    "--show-error",
    "--cacert",
    tenant.caCertPath,
    "--request",
    method,
    "--include",
    new URL(endpoint, tenant.issuer).href,
  ]);
  const [head = "", body = ""] = stdout.split("\r\n\r\n");
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]),
    allow: /^allow: (.*)$/im.exec(head)?.[1],
    body,
  };
}

describe("a method Auth0's POST endpoints do not serve, as curl sees it", () => {
  // Auth0's Standard Error Responses (auth0/docs articles/api/authentication/errors/_errors.md)
  // list 405 method_not_allowed among the Authentication API's answers; RFC 9110 section
  // 15.5.6 has a 405 name the methods the resource serves in Allow.
  it.each([
    ["GET", "oauth/token"],
    ["GET", "bc-authorize"],
    ["DELETE", "oauth/revoke"],
  ])("answers %s /%s 405 method_not_allowed with Allow: POST", async (method, endpoint) => {
    const answer = await curl(method, endpoint);
    expect([answer.status, answer.allow, JSON.parse(answer.body)]).toEqual([
      405,
      "POST",
      {
        error: "method_not_allowed",
        error_description: `${method} is not served at /${endpoint}; it serves POST`,
      },
    ]);
  });

  it("leaves a path nobody serves, and a path the login endpoints serve, their own answers", async () => {
    const nobody = await curl("GET", "oauth/tokens");
    expect([nobody.status, nobody.allow]).toEqual([404, undefined]);
    // /authorize is the login endpoints' own: a bare GET gets their error page, not a 405.
    expect((await curl("GET", "authorize")).status).not.toBe(405);
  });
});
