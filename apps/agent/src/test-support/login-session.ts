import { createHmac, hkdfSync } from "node:crypto";

import type { LoginSessions, StoredSession } from "../web/login-sessions.js";

const base64url = (value: Buffer | string) => Buffer.from(value).toString("base64url");

/** The protected header of express-openid-connect's cookie signatures (RFC 7797, detached). */
const SIGNATURE_HEADER = base64url(JSON.stringify({ alg: "HS256", b64: false, crit: ["b64"] }));

/**
 * The `appSession` cookie for the session `id`, signed as express-openid-connect signs it with a
 * session store: `<id>.<signature>`, the signature HS256 over `<header>.appSession=<id>` under
 * the key it derives from the app's secret (HKDF-SHA256, "JWS Cookie Signing").
 */
export function signedSessionCookie(secret: string, id: string): string {
  const key = Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), "JWS Cookie Signing", 32));
  const signature = createHmac("sha256", key)
    .update(`${SIGNATURE_HEADER}.appSession=${id}`)
    .digest("base64url");
  return `appSession=${id}.${signature}`;
}

/**
 * A person logged in as the SDK leaves them: a session in `sessions` holding the ID token it
 * reads the person from (unsigned: the SDK checked it at the callback, not after), for an hour
 * from `now` (epoch ms). Returns the session's id and its cookie.
 */
export function logIn(
  sessions: LoginSessions,
  secret: string,
  claims: { sub: string; name?: string },
  now = Date.now(),
): { id: string; cookie: string } {
  const iat = Math.floor(now / 1000);
  const exp = iat + 3600;
  const idToken = [
    base64url(JSON.stringify({ alg: "none" })),
    base64url(JSON.stringify({ name: "Test Buyer", ...claims, iat, exp })),
    "",
  ].join(".");
  const id = sessions.genid();
  sessions.set(id, {
    header: { iat, uat: iat, exp },
    data: { id_token: idToken } as StoredSession["data"],
    cookie: { expires: exp * 1000, maxAge: 3600 * 1000 },
  });
  return { id, cookie: signedSessionCookie(secret, id) };
}
