import { describe, expect, it } from "vitest";

import { approvalKeyOf } from "./approval-key.js";

const ISSUER = "https://localhost:4010/";
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const header = encode({ alg: "ES256", typ: "JWT", kid: "k1" });
const payload = encode({ iss: ISSUER, sub: "auth0|u", iat: 1, exp: 2 });

describe("approvalKeyOf", () => {
  it("ignores the signature: a re-signed or malleated token is the same approval", () => {
    expect(approvalKeyOf(ISSUER, `${header}.${payload}.c2lnLTE`)).toBe(
      approvalKeyOf(ISSUER, `${header}.${payload}.c2lnLTI`),
    );
  });

  it("ignores how the signed content is spelled", () => {
    expect(approvalKeyOf(ISSUER, `${header}=.${payload}==.x`)).toBe(
      approvalKeyOf(ISSUER, `${header}.${payload}.x`),
    );
  });

  it("differs for other claims, another header or another issuer", () => {
    const key = approvalKeyOf(ISSUER, `${header}.${payload}.x`);
    const otherPayload = encode({ iss: ISSUER, sub: "auth0|u", iat: 1, exp: 3 });
    const otherHeader = encode({ alg: "ES256", typ: "JWT", kid: "k2" });
    expect(approvalKeyOf(ISSUER, `${header}.${otherPayload}.x`)).not.toBe(key);
    expect(approvalKeyOf(ISSUER, `${otherHeader}.${payload}.x`)).not.toBe(key);
    expect(approvalKeyOf("https://other.example/", `${header}.${payload}.x`)).not.toBe(key);
  });

  it("keeps header and payload apart (no ambiguity at the dot)", () => {
    expect(approvalKeyOf(ISSUER, "YWI.YQ.x")).not.toBe(approvalKeyOf(ISSUER, "YQ.YWI.x"));
  });
});
