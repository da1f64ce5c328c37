import request from "supertest";
import { describe, expect, it } from "vitest";

import {
  AGENT,
  M2M,
  combine,
  createHarness,
  defaultAuthorizeParams,
  withClientAsset,
  withCredentials,
} from "./test-support/harness.js";

const basic = (client: { id: string; secret: string }) =>
  `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`;

/** Two Authorization headers, as superagent sends an array (its types allow arrays for Cookie only). */
const twoHeaders = (first: string, second: string) => [first, second] as unknown as string;

const withoutSecret = () => {
  const { client_secret: _secret, ...rest } = defaultAuthorizeParams();
  return rest;
};

describe("client authentication", () => {
  it("accepts client_secret_basic", async () => {
    const h = await createHarness();
    await request(h.app)
      .post("/bc-authorize")
      .auth(AGENT.id, AGENT.secret)
      .type("form")
      .send(withoutSecret())
      .expect(200);
  });

  it("decodes form-encoded Basic credentials (RFC 6749 section 2.3.1)", async () => {
    const h = await createHarness(
      withCredentials("Shopping agent", { client_id: "agent:1", client_secret: "p@ss word+%" }),
    );
    const encoded = Buffer.from(
      `${encodeURIComponent("agent:1")}:${encodeURIComponent("p@ss word+%")}`,
    ).toString("base64");
    await request(h.app)
      .post("/bc-authorize")
      .set("Authorization", `Basic ${encoded}`)
      .type("form")
      .send({ ...withoutSecret(), client_id: "agent:1" })
      .expect(200);
  });

  it("answers a failed Basic authentication with WWW-Authenticate", async () => {
    const h = await createHarness();
    const response = await request(h.app)
      .post("/bc-authorize")
      .auth(AGENT.id, "wrong")
      .type("form")
      .send(withoutSecret())
      .expect(401);
    expect(response.headers["www-authenticate"]).toBe('Basic realm="mock-auth0"');
    expect(response.body.error).toBe("invalid_client");
  });

  it("refuses two authentication methods at once", async () => {
    const h = await createHarness();
    const response = await request(h.app)
      .post("/bc-authorize")
      .auth(AGENT.id, AGENT.secret)
      .type("form")
      .send(defaultAuthorizeParams())
      .expect(400);
    expect(response.body.error_description).toMatch(/one client authentication method/);
  });

  it("refuses two Authorization headers, which Node would read as the first one's client: no request starts", async () => {
    const h = await createHarness();
    const response = await request(h.app)
      .post("/bc-authorize")
      .set("Authorization", twoHeaders(basic(AGENT), basic(M2M)))
      .type("form")
      .send(withoutSecret())
      .expect(400);
    expect(response.body).toEqual({
      error: "invalid_request",
      error_description: "Send one Authorization header; this request had 2",
    });
    expect(h.store.count()).toBe(0);
  });

  it("refuses a CIBA poll with two Authorization headers, and the approval still gives its tokens once", async () => {
    const h = await createHarness();
    const id = await h.start();
    h.decide(id, "approve");
    const poll = (authorization: string) =>
      request(h.app)
        .post("/oauth/token")
        .set("Authorization", authorization)
        .type("form")
        .send({ grant_type: "urn:openid:params:grant-type:ciba", auth_req_id: id });
    const twice = await poll(twoHeaders(basic(AGENT), basic(AGENT))).expect(400);
    expect(twice.body.error_description).toBe("Send one Authorization header; this request had 2");
    expect(h.store.get(id)?.status).toBe("approved");
    expect((await poll(basic(AGENT)).expect(200)).body.access_token).toEqual(expect.any(String));
  });

  it("refuses a body client_id that differs from the Basic one", async () => {
    const h = await createHarness();
    const response = await request(h.app)
      .post("/bc-authorize")
      .auth(AGENT.id, AGENT.secret)
      .type("form")
      .send({ ...withoutSecret(), client_id: "someone-else" })
      .expect(400);
    expect(response.body.error_description).toMatch(/does not match/);
  });

  it("refuses a malformed Basic header", async () => {
    const h = await createHarness();
    const response = await request(h.app)
      .post("/bc-authorize")
      .set("Authorization", `Basic ${Buffer.from("no-colon").toString("base64")}`)
      .type("form")
      .send(withoutSecret())
      .expect(401);
    expect(response.body.error_description).toMatch(/malformed/);
  });

  it("refuses a secret from a client without one: Private Key JWT or mTLS says how it authenticates", async () => {
    const agent = (change: Record<string, unknown>) =>
      createHarness(
        combine(
          withClientAsset("Shopping agent", (c) => ({ ...c, ...change })),
          withCredentials("Shopping agent", { client_id: AGENT.id }),
        ),
      );
    const privateKeyJwt = await agent({
      token_endpoint_auth_method: null,
      client_authentication_methods: { private_key_jwt: { credentials: [] } },
    });
    const response = await privateKeyJwt.bcAuthorize().expect(401);
    expect(response.body.error_description).toMatch(
      /authenticates with Private Key JWT: send client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer/,
    );
    expect(privateKeyJwt.tenant.clients[0]?.clientSecret).toBeUndefined();

    const mtls = await agent({
      token_endpoint_auth_method: null,
      client_authentication_methods: { tls_client_auth: { credentials: [] } },
    });
    expect((await mtls.bcAuthorize().expect(401)).body.error_description).toMatch(/mTLS/);
  });
});
