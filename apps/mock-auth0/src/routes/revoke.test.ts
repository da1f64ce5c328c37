import { CIBA_GRANT_TYPE } from "@ciba-testbed/shared";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { AGENT, createHarness, withExtraClient } from "../test-support/harness.js";
import type { Harness } from "../test-support/harness.js";

// Auth0's Revoke Refresh Token: auth0/docs-v2
// main/docs/api/authentication/revoke-refresh-token/revoke-refresh-token.mdx and the answers
// of auth0/docs articles/api/authentication/api-authz/_revoke-refresh-token.md (200 with an
// empty body when the token is revoked, does not exist, or was not issued to the application;
// 400 invalid_request without the required parameters; 401 invalid_client without valid client
// credentials); go-auth0's recorded test/data/recordings/authentication/TestRevokeRefreshToken/
// Should_revoke_token.yaml (200, Content-Type application/json, body '').

const INVALID = { error: "invalid_grant", error_description: "Unknown or invalid refresh token." };

async function refreshToken(h: Harness): Promise<string> {
  const id = await h.start({ audience: undefined, scope: "openid profile offline_access" });
  h.decide(id, "approve");
  return String((await h.poll(id).expect(200)).body.refresh_token);
}

const refresh = (h: Harness, token: string) =>
  request(h.app).post("/oauth/token").type("form").send({
    client_id: AGENT.id,
    client_secret: AGENT.secret,
    grant_type: "refresh_token",
    refresh_token: token,
  });

const revoke = (h: Harness, body: Record<string, string>) =>
  request(h.app).post("/oauth/revoke").type("form").send(body);

describe("POST /oauth/revoke", () => {
  it("revokes a refresh token with Auth0's recorded answer: 200, application/json, no body", async () => {
    const h = await createHarness();
    const token = await refreshToken(h);
    const answer = await request(h.app)
      .post("/oauth/revoke")
      .send({ client_id: AGENT.id, client_secret: AGENT.secret, token })
      .expect(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.text).toBe("");
    expect((await refresh(h, token).expect(403)).body).toEqual(INVALID);
  });

  it("answers 200 and changes nothing for a token that does not exist or is another client's", async () => {
    const h = await createHarness(
      withExtraClient(
        { name: "Other agent", grant_types: [CIBA_GRANT_TYPE, "refresh_token"] },
        { client_id: "other-agent", client_secret: "other-agent-secret" },
      ),
    );
    const token = await refreshToken(h);
    await revoke(h, {
      client_id: "other-agent",
      client_secret: "other-agent-secret",
      token,
    }).expect(200);
    await revoke(h, { client_id: AGENT.id, client_secret: AGENT.secret, token: "nope" }).expect(
      200,
    );
    await refresh(h, token).expect(200);
  });

  it("answers 401 invalid_client to a wrong secret and 400 invalid_request without a token, revoking nothing", async () => {
    const h = await createHarness();
    const token = await refreshToken(h);
    const wrong = await revoke(h, { client_id: AGENT.id, client_secret: "wrong", token }).expect(
      401,
    );
    expect(wrong.body).toMatchObject({ error: "invalid_client" });
    const missing = await revoke(h, { client_id: AGENT.id, client_secret: AGENT.secret }).expect(
      400,
    );
    expect(missing.body).toEqual({
      error: "invalid_request",
      error_description: "token is required",
    });
    await refresh(h, token).expect(200);
  });
});
