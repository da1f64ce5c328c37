import type { Clock } from "@ciba-testbed/shared";
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";

import { Timer, TimerQueue } from "./backchannel/timer-queue.js";
import { errors, tooManyRequests } from "./errors.js";
import type { TenantClient } from "./tenant/tenant-model.js";
import { ASSERTION_ALGS } from "./tenant/tenant-model.js";

/** RFC 7523 section 2.2. */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * "Auth0 supports a maximum token lifetime of 5 minutes" for a client assertion
 * (https://auth0.com/docs/get-started/authentication-and-authorization-flow/authenticate-with-private-key-jwt).
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** Assertions remembered against replay at once; each is forgotten when it expires. */
export const MAX_REMEMBERED_ASSERTIONS = 100_000;

const isAssertionAlg = (alg: unknown): alg is (typeof ASSERTION_ALGS)[number] =>
  (ASSERTION_ALGS as readonly unknown[]).includes(alg);

function invalid(description: string) {
  return errors.invalidClient(description);
}

function decode(assertion: string): { alg: unknown; kid: unknown; payload: JWTPayload } {
  try {
    const { alg, kid } = decodeProtectedHeader(assertion);
    return { alg, kid, payload: decodeJwt(assertion) };
  } catch {
    throw invalid("client_assertion is not a signed JWT");
  }
}

/**
 * Private Key JWT client authentication (RFC 7523 sections 2.2 and 3, with Auth0's rules): a
 * JWT signed with one of the client's registered keys in the credential's algorithm, `iss` =
 * `sub` = the client id, `aud` naming this tenant, an `exp` at most five minutes away and a
 * `jti` never seen before. Used `jti`s are kept until their assertion expires.
 */
export class ClientAssertions {
  private readonly seen = new Map<string, Timer<string>>();
  private readonly expiries = new TimerQueue<string>();

  constructor(private readonly clock: Clock) {}

  /** How many used assertions are remembered now. */
  get remembered(): number {
    return this.seen.size;
  }

  /** The client the assertion authenticates, or a 401 `invalid_client` saying what is wrong. */
  async verify(options: {
    assertion: string;
    clients: ReadonlyMap<string, TenantClient>;
    /** The values `aud` may take: the issuer, the token endpoint, the endpoint called. */
    audiences: readonly string[];
    clientId: string | undefined;
  }): Promise<TenantClient> {
    const { assertion, clients, audiences, clientId } = options;
    const now = this.clock.now();
    this.forgetExpired(now);
    const { alg, kid, payload } = decode(assertion);
    if (typeof payload.iss !== "string" || payload.iss === "" || payload.sub !== payload.iss) {
      throw invalid("client_assertion iss and sub must both be the client_id (RFC 7523 section 3)");
    }
    if (clientId !== undefined && clientId !== payload.iss) {
      throw errors.invalidRequest("client_id does not match the client_assertion's iss and sub");
    }
    const client = clients.get(payload.iss);
    if (!client) throw invalid("Client authentication failed: unknown client_id");
    // RFC 7523's other use, client_secret_jwt (OIDC Core 9): an HMAC of the client secret,
    // which Auth0 does not take either. Said as such, not as a private_key_jwt gone wrong.
    if (typeof alg === "string" && alg.startsWith("HS")) {
      throw invalid(
        `client_assertion alg ${alg} is client_secret_jwt (an assertion signed with the client ` +
          "secret), which this tenant, as Auth0, does not take (token_endpoint_auth_methods_supported: " +
          "client_secret_basic, client_secret_post, private_key_jwt): send the secret itself " +
          "(client_secret_post or client_secret_basic), or sign with a private_key_jwt credential's key",
      );
    }
    if (client.authentication !== "private_key_jwt") {
      throw invalid(
        `Client ${client.clientId} does not authenticate with private_key_jwt (no client_authentication_methods.private_key_jwt in the tenant)`,
      );
    }
    // A credential past its expires_at is no longer valid; a kid names one credential.
    const live = client.assertionKeys.filter(
      (key) => key.expiresAt === undefined || key.expiresAt > now,
    );
    const named = kid === undefined ? live : live.filter((key) => key.kid === kid);
    if (named.length === 0) {
      throw invalid(
        live.length === 0
          ? `Client ${client.clientId} has no valid credential (none registered, or all past expires_at)`
          : `client_assertion kid ${String(kid)} is none of the client's credentials`,
      );
    }
    const keys = named.filter((key) => key.alg === alg);
    if (!isAssertionAlg(alg) || keys.length === 0) {
      const registered = [...new Set(named.map((key) => key.alg))];
      throw invalid(
        `client_assertion alg ${String(alg)} is not the algorithm of the client's credentials (${registered.join(", ")})`,
      );
    }
    await this.verifySignature(assertion, keys, alg, now);
    const { jti, exp } = this.checkClaims(payload, audiences, now);
    this.remember(client.clientId, jti, exp * 1000, now);
    return client;
  }

  private async verifySignature(
    assertion: string,
    keys: TenantClient["assertionKeys"],
    alg: string,
    now: number,
  ): Promise<void> {
    for (const key of keys) {
      try {
        await jwtVerify(assertion, key.publicKey, {
          algorithms: [alg],
          currentDate: new Date(now),
        });
        return;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) {
          throw invalid("client_assertion has expired (exp): sign a new one for each request");
        }
        if (error instanceof joseErrors.JWTClaimValidationFailed) {
          throw invalid(`client_assertion is not valid yet or malformed: ${error.message}`);
        }
      }
    }
    throw invalid("client_assertion signature does not verify with any of the client's keys");
  }

  private checkClaims(
    payload: JWTPayload,
    audiences: readonly string[],
    now: number,
  ): { jti: string; exp: number } {
    const aud = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
    if (!aud.some((value) => audiences.includes(value))) {
      throw invalid(
        `client_assertion aud must be this tenant: ${audiences.join(" or ")} (got ${JSON.stringify(payload.aud ?? null)})`,
      );
    }
    if (typeof payload.exp !== "number") throw invalid("client_assertion needs an exp");
    const lifetime =
      payload.exp - (typeof payload.iat === "number" ? payload.iat : Math.floor(now / 1000));
    if (
      payload.exp * 1000 - now > MAX_ASSERTION_LIFETIME_SECONDS * 1000 ||
      lifetime > MAX_ASSERTION_LIFETIME_SECONDS
    ) {
      throw invalid(
        `client_assertion may live at most ${MAX_ASSERTION_LIFETIME_SECONDS} s (exp - iat is ${lifetime} s)`,
      );
    }
    if (typeof payload.jti !== "string" || payload.jti === "") {
      throw invalid("client_assertion needs a jti, unique for each assertion");
    }
    return { jti: payload.jti, exp: payload.exp };
  }

  private forgetExpired(now: number): void {
    for (let next = this.expiries.peek(); next && next.dueAt <= now; next = this.expiries.peek()) {
      this.expiries.delete(next);
      this.seen.delete(next.item);
    }
  }

  /** RFC 7523 section 3, item 7: each assertion once. */
  private remember(clientId: string, jti: string, expiresAt: number, now: number): void {
    const key = `${clientId}\0${jti}`;
    if (this.seen.has(key)) {
      throw invalid(
        `client_assertion was already used (jti ${jti}): sign a new one for each request`,
      );
    }
    const soonest = this.expiries.peek();
    if (this.seen.size >= MAX_REMEMBERED_ASSERTIONS && soonest) {
      throw tooManyRequests(
        Math.max(1, Math.ceil((soonest.dueAt - now) / 1000)),
        `Too many client assertions in flight (at most ${MAX_REMEMBERED_ASSERTIONS} within their lifetimes)`,
      );
    }
    const timer = new Timer(key);
    this.seen.set(key, timer);
    this.expiries.set(timer, expiresAt);
  }
}
