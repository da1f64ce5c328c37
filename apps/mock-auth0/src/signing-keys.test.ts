import type { KeyObject } from "node:crypto";

import { SignJWT, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

import { SigningKeys } from "./signing-keys.js";

const claims = {
  iss: "https://localhost:4010/",
  sub: "auth0|testbed-user",
  aud: ["sample-shop-api", "https://localhost:4010/userinfo"],
  iat: 1_767_225_600,
  exp: 1_767_312_000,
  scope: "openid product:buy",
  azp: "ciba-testbed-agent",
  authorization_details: [{ type: "product_purchase", note: "déjà vu ✓" }],
};

describe("SigningKeys", () => {
  it("signs RS256 JWTs that verify against the published JWKS, with the current key's kid", async () => {
    const keys = await SigningKeys.create();
    const token = await keys.sign(claims);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: "RS256",
      typ: "JWT",
      kid: keys.currentKid,
    });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks()), {
      issuer: claims.iss,
      audience: "sample-shop-api",
      currentDate: new Date(claims.iat * 1000),
    });
    expect(payload).toEqual(claims);
  });

  it("makes byte for byte the token jose's SignJWT makes with the same key and header", async () => {
    const keys = await SigningKeys.create();
    // RS256 (PKCS #1 v1.5) is deterministic: the same input and key give the same signature.
    const { privateKey } = (keys as unknown as { current: { privateKey: KeyObject } }).current;
    const byJose = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: keys.currentKid })
      .sign(privateKey);
    expect(keys.signNow(claims)).toBe(byJose);
  });

  it("signs with the next key after a rotation, and the previous key's tokens still verify", async () => {
    const keys = await SigningKeys.create();
    const before = keys.signNow(claims);
    const { current, previous } = await keys.rotate();
    const after = keys.signNow(claims);
    expect(decodeProtectedHeader(before).kid).toBe(previous);
    expect(decodeProtectedHeader(after).kid).toBe(current);
    const jwks = createLocalJWKSet(keys.jwks());
    const options = { currentDate: new Date(claims.iat * 1000) };
    await expect(jwtVerify(before, jwks, options)).resolves.toBeDefined();
    await expect(jwtVerify(after, jwks, options)).resolves.toBeDefined();
  });
});
