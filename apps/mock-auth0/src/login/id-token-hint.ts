import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";

import type { SigningKeys } from "../signing-keys.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantClient } from "../tenant/tenant-model.js";

/** What an `id_token_hint` the tenant signed says: whose, for which client, from which session. */
export interface IdTokenHint {
  readonly client: TenantClient;
  readonly sub: string | undefined;
  /** The login session's `sid`; an ID token from CIBA has none. */
  readonly sid: string | undefined;
}

/**
 * Reads an `id_token_hint` (OpenID Connect RP-Initiated Logout 1.0 section 2): signed by this
 * tenant and issued to one of its clients, else `undefined`. An expired ID token is still a good
 * hint, so its expiry is not checked.
 */
export async function readIdTokenHint(
  hint: string,
  issuer: string,
  keys: SigningKeys,
  directory: TenantDirectory,
): Promise<IdTokenHint | undefined> {
  try {
    const claims = decodeJwt(hint);
    const { payload } = await jwtVerify(hint, createLocalJWKSet(keys.jwks()), {
      issuer,
      currentDate: new Date((claims.iat ?? 0) * 1000),
    });
    const client = typeof payload.aud === "string" ? directory.clients.get(payload.aud) : undefined;
    if (client === undefined) return undefined;
    const text = (value: unknown) => (typeof value === "string" ? value : undefined);
    return { client, sub: text(payload.sub), sid: text(payload.sid) };
  } catch {
    return undefined;
  }
}
