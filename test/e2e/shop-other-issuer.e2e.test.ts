import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { Server } from "node:https";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { ensureLocalCertificates } from "@ciba-testbed/mock-auth0";
import { PURCHASE_AUTHORIZATION_DETAILS_TYPE, SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import Provider from "oidc-provider";
import type { BackchannelRequest, RarSource } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { ShopApiProcess } from "../support/shop-api-process.js";

// The shop's claim: it sells against any OIDC issuer by configuration alone, not only against
// mock-auth0. Checked with panva's oidc-provider, which nobody here wrote: RFC 9068 access tokens
// (`typ: at+jwt`, `client_id`, no `azp`, a `jti`) signed ES256 while its ID tokens are RS256, an
// issuer without a trailing slash, Rich Authorization Requests through CIBA.
const CIBA = "urn:openid:params:grant-type:ciba";
const RESOURCE = "urn:example:shop"; // RFC 8707: a resource indicator is an absolute URI
const CLIENT = { client_id: "agent", client_secret: "agent-secret-0123456789" };
const PERSON = "person-1";
const APPROVED = {
  type: PURCHASE_AUTHORIZATION_DETAILS_TYPE,
  product: "XYZ phone",
  quantity: 1,
  maximum_amount: 499,
  currency: "USD",
};

describe("shop-api against panva's oidc-provider", () => {
  let dir: string;
  let ca: string;
  let server: Server;
  let issuer: string;
  let shop: ShopApiProcess;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "shop-other-issuer-"));
    const certs = await ensureLocalCertificates(dir);
    ca = certs.caCert;
    const jwk = (key: ReturnType<typeof generateKeyPairSync>["privateKey"], kid: string) => ({
      ...key.export({ format: "jwk" }),
      kid,
    });
    const keys = [
      jwk(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey, "rsa"),
      jwk(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, "ec"),
    ];
    const handlers: { provider?: Provider } = {};
    server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
      void handlers.provider?.callback()(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    issuer = `https://localhost:${String((server.address() as AddressInfo).port)}`;
    const approve = async (request: BackchannelRequest) => {
      const provider = handlers.provider!;
      const grant = new provider.Grant({
        clientId: request.clientId,
        accountId: request.accountId,
      });
      grant.addOIDCScope("openid");
      grant.addResourceScope(RESOURCE, "product:buy");
      await grant.save();
      const details = (request.params as { authorization_details?: string } | undefined)
        ?.authorization_details;
      await provider.backchannelResult(request, grant, {
        rar: details === undefined ? undefined : (JSON.parse(details) as object[]),
      });
    };
    handlers.provider = new Provider(issuer, {
      clients: [
        {
          ...CLIENT,
          grant_types: [CIBA, "client_credentials"],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: "client_secret_post",
          backchannel_token_delivery_mode: "poll",
          authorization_details_types: [PURCHASE_AUTHORIZATION_DETAILS_TYPE],
        },
      ],
      jwks: { keys },
      scopes: ["openid"],
      enabledJWA: { idTokenSigningAlgValues: ["RS256"] },
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: "product:buy",
            audience: SHOP_API_AUDIENCE,
            accessTokenTTL: 300,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "ES256" } },
          }),
        },
        richAuthorizationRequests: {
          enabled: true,
          types: { [PURCHASE_AUTHORIZATION_DETAILS_TYPE]: { validate: () => undefined } },
          authorizationDetailsForGrantSource: (_ctx: unknown, source: RarSource) => source.rar,
          authorizationDetailsForAccessToken: (
            _ctx: unknown,
            _token: unknown,
            source?: RarSource,
          ) => source?.rar,
        },
        ciba: {
          enabled: true,
          deliveryModes: ["poll"],
          processLoginHint: (_ctx: unknown, hint: string) => hint,
          verifyUserCode: () => undefined,
          validateRequestContext: () => undefined,
          validateBindingMessage: () => undefined,
          triggerAuthenticationDevice: (_ctx: unknown, request: BackchannelRequest) =>
            approve(request),
        },
      },
    });
    shop = await ShopApiProcess.start(
      { issuer, caCertPath: path.join(dir, "ca.pem") },
      { folder: path.join(dir, "shop") },
    );
  }, 120_000);

  afterAll(async () => {
    await shop.stop();
    server.closeAllConnections();
    await new Promise((resolve) => {
      server.close(resolve);
    });
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (route: string, form: Record<string, string>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpsRequest(`${issuer}${route}`, { method: "POST", ca }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          resolve(JSON.parse(body) as Record<string, unknown>);
        });
      });
      req.on("error", reject);
      req.setHeader("content-type", "application/x-www-form-urlencoded");
      req.end(new URLSearchParams({ ...CLIENT, ...form }).toString());
    });

  const personToken = async (): Promise<string> => {
    const { auth_req_id } = await post("/backchannel", {
      scope: "openid product:buy",
      login_hint: PERSON,
      resource: RESOURCE,
      authorization_details: JSON.stringify([APPROVED]),
    });
    const token = await post("/token", { grant_type: CIBA, auth_req_id: String(auth_req_id) });
    return String(token.access_token);
  };

  it("sells once for the approved purchase, and refuses the rest as RFC 6750 says", async () => {
    const token = await personToken();
    const [header, payload] = token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()) as object);
    expect(header).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(payload).toMatchObject({ iss: issuer, aud: SHOP_API_AUDIENCE, sub: PERSON });
    expect(payload).not.toHaveProperty("azp");

    const phone = { product: "XYZ phone", qty: 1 };
    expect((await shop.buy(token, phone, "order-1")).status).toBe(201);
    expect(await shop.buy(token, phone, "order-2")).toMatchObject({
      status: 403,
      body: { error: "insufficient_authorization_details" },
    });

    const client = await post("/token", {
      grant_type: "client_credentials",
      scope: "product:buy",
      resource: RESOURCE,
    });
    expect(await shop.buy(String(client.access_token), phone, "order-3")).toMatchObject({
      status: 403,
      body: { error: "insufficient_scope" },
    });
    expect((await shop.orders(token)).map((order) => order.product.name)).toEqual(["XYZ phone"]);
  });
});
