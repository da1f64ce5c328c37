import request from "supertest";
import { describe, expect, it } from "vitest";

import { createApp } from "./app.js";
import { SigningKeys } from "./signing-keys.js";
import { ISSUER, createHarness } from "./test-support/harness.js";

/** The tenant's app on keys held back until `release` is called (or failing, with `fail`). */
async function appOnPendingKeys() {
  let release!: () => void;
  let fail!: (error: Error) => void;
  const keys = SigningKeys.start(
    new Promise<void>((resolve, reject) => {
      release = resolve;
      fail = reject;
    }),
  );
  const h = await createHarness();
  const app = createApp({ issuer: ISSUER, tenant: h.tenant }, { ...h, keys });
  return { app, keys, release, fail };
}

describe("a tenant started while its signing keys are being made", () => {
  it("answers discovery at once, and what needs the keys once they are made", async () => {
    const { app, keys, release } = await appOnPendingKeys();
    let jwksAnswered = false;
    const jwks = request(app)
      .get("/.well-known/jwks.json")
      .then((response) => {
        jwksAnswered = true;
        return response;
      });
    const discovery = await request(app).get("/.well-known/openid-configuration").expect(200);
    expect(discovery.body.jwks_uri).toBe(`${ISSUER}.well-known/jwks.json`);
    // A whole round trip later, the JWKS still waits for the keys.
    await request(app).head("/.well-known/openid-configuration").expect(200);
    expect([keys.isReady, jwksAnswered]).toEqual([false, false]);

    release();
    const answer = await jwks;
    expect(answer.status).toBe(200);
    expect(keys.isReady).toBe(true);
    expect(answer.body).toEqual(keys.jwks());
    expect(answer.body.keys).toHaveLength(2);
  });

  it("answers 500 server_error, never a half-made key, if the keys cannot be made", async () => {
    const { app, fail } = await appOnPendingKeys();
    fail(new Error("no entropy"));
    const response = await request(app).get("/.well-known/jwks.json").expect(500);
    expect(response.body).toEqual({
      error: "server_error",
      error_description: "The server hit an unexpected error; try again later",
    });
    await request(app).get("/.well-known/openid-configuration").expect(200);
  });
});
