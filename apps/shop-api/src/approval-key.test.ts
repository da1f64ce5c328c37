import { describe, expect, it } from "vitest";

import { approvalKeysOf } from "./approval-key.js";

const ISSUER = "https://localhost:4010/";
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const header = encode({ alg: "ES256", typ: "JWT", kid: "k1" });
const claims = { iss: ISSUER, sub: "auth0|u", iat: 1, exp: 2 };
const payload = encode(claims);
/** The key of a token without `jti`, as the route reads it. */
const keyOf = (token: string, issuer = ISSUER) =>
  approvalKeysOf(issuer, { token, payload: claims }).key;

describe("approvalKeysOf", () => {
  it("ignores the signature: a re-signed or malleated token is the same approval", () => {
    expect(keyOf(`${header}.${payload}.c2lnLTE`)).toBe(keyOf(`${header}.${payload}.c2lnLTI`));
  });

  it("ignores how the signed content is spelled", () => {
    expect(keyOf(`${header}=.${payload}==.x`)).toBe(keyOf(`${header}.${payload}.x`));
  });

  it("differs for other claims, another header or another issuer", () => {
    const key = keyOf(`${header}.${payload}.x`);
    const otherPayload = encode({ iss: ISSUER, sub: "auth0|u", iat: 1, exp: 3 });
    const otherHeader = encode({ alg: "ES256", typ: "JWT", kid: "k2" });
    expect(keyOf(`${header}.${otherPayload}.x`)).not.toBe(key);
    expect(keyOf(`${otherHeader}.${payload}.x`)).not.toBe(key);
    expect(keyOf(`${header}.${payload}.x`, "https://other.example/")).not.toBe(key);
  });

  it("keeps header and payload apart (no ambiguity at the dot)", () => {
    expect(keyOf("YWI.YQ.x")).not.toBe(keyOf("YQ.YWI.x"));
  });

  it("has no earlier name for a token without jti: versions before named it the same way", () => {
    expect(approvalKeysOf(ISSUER, { token: `${header}.${payload}.x`, payload: claims })).toEqual({
      key: keyOf(`${header}.${payload}.x`),
    });
  });

  it("names a token with a jti by its issuer and jti alone, and keeps its earlier name", () => {
    const withJti = { ...claims, jti: "j-1" };
    const token = `${header}.${encode(withJti)}.x`;
    const keys = approvalKeysOf(ISSUER, { token, payload: withJti });
    // Signed again by the issuer, with another key and a later iat: the same JWT.
    const resigned = { ...withJti, iat: 5 };
    const otherHeader = encode({ alg: "ES256", typ: "at+jwt", kid: "k2" });
    expect(
      approvalKeysOf(ISSUER, { token: `${otherHeader}.${encode(resigned)}.y`, payload: resigned })
        .key,
    ).toBe(keys.key);
    expect(keys.earlierKey).toBe(keyOf(token));
    expect(keys.key).not.toBe(keys.earlierKey);
    // Another jti, or another issuer's: another approval.
    const other = { ...withJti, jti: "j-2" };
    expect(approvalKeysOf(ISSUER, { token, payload: other }).key).not.toBe(keys.key);
    expect(approvalKeysOf("https://other.example/", { token, payload: withJti }).key).not.toBe(
      keys.key,
    );
  });

  it("reads an empty or non-string jti as none", () => {
    const token = `${header}.${payload}.x`;
    for (const jti of ["", 7, null, ["j-1"]]) {
      expect(approvalKeysOf(ISSUER, { token, payload: { ...claims, jti } })).toEqual({
        key: keyOf(token),
      });
    }
  });
});
