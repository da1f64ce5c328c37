import type { TenantDirectory } from "../tenant/tenant-directory.js";
import type { TenantClient } from "../tenant/tenant-model.js";
import { oidcScopes } from "../tenant/tenant-model.js";
import { scopesNotGranted, userAccess } from "../user-access-policy.js";

import { callbackHint } from "./callback-hint.js";
import { repeatedParameter } from "./repeated-parameter.js";

export const RESPONSE_MODES = ["query", "fragment", "form_post"] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

const PROMPTS = new Set(["none", "login", "consent", "select_account"]);

/** An `/authorize` request that passed every check. */
export interface AuthorizeRequest {
  readonly client: TenantClient;
  /**
   * `code` (the authorization code flow), or `id_token`: the implicit flow with form post,
   * which Auth0's Express quickstart (express-openid-connect) uses by default for login only.
   */
  readonly responseType: "code" | "id_token";
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state: string | undefined;
  readonly nonce: string | undefined;
  readonly scope: readonly string[];
  readonly audience: string | undefined;
  /** RFC 7636: the S256 challenge, when the client sent one. */
  readonly codeChallenge: string | undefined;
  readonly prompt: ReadonlySet<string>;
  readonly loginHint: string | undefined;
  /** OIDC Core 3.1.2.1: seconds since the person last logged in, at most. */
  readonly maxAge: number | undefined;
}

/** Where an error or a code goes back to, once the redirect_uri is known to be the client's. */
export interface ResponseTarget {
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state: string | undefined;
}

export type AuthorizeCheck =
  | { kind: "ok"; request: AuthorizeRequest }
  /** RFC 6749 section 4.1.2.1: no client or no registered redirect_uri, so no redirect. */
  | {
      kind: "page";
      /** 400 unless Auth0 answers another status. */
      status?: number;
      code: string;
      description: string;
      /** What to change, for the developer who reads the page: mock-auth0's own, not Auth0's. */
      hint?: string;
    }
  | { kind: "redirect"; target: ResponseTarget; code: string; description: string };

type Query = Record<string, unknown>;

/** A parameter's value; an empty one is none (the query holds strings once it is checked). */
function single(query: Query, name: string): string | undefined {
  const value = query[name];
  return typeof value !== "string" || value === "" ? undefined : value;
}

/** OIDC Core 6: a request object by value (`request`) or by reference (`request_uri`). */
const REQUEST_OBJECT_PARAMETERS = [
  {
    name: "request",
    code: "request_not_supported",
    description:
      "The request parameter (a request object, JAR) is not supported: send the authorization request's parameters in the query itself",
  },
  {
    name: "request_uri",
    code: "request_uri_not_supported",
    description:
      "The request_uri parameter (a request object by reference, or a pushed authorization request) is not supported: send the authorization request's parameters in the query itself",
  },
] as const;

/** RFC 7636 section 4.2: 43 to 128 characters of base64url (a SHA-256 digest is 43). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Checks an `/authorize` request in the order RFC 6749 section 4.1.2.1 implies: the client and
 * its redirect_uri first (errors shown on a page, never redirected to an unchecked URL), then
 * everything else (errors sent back to the client), with Auth0's wording where it is known.
 */
export function checkAuthorizeRequest(query: Query, directory: TenantDirectory): AuthorizeCheck {
  const repeated = repeatedParameter(query);
  if (repeated !== undefined) {
    return { kind: "page", code: "invalid_request", description: repeated };
  }
  const get = (name: string) => single(query, name);
  // OIDC Core 6.1 and 6.2: a request object, by value or by reference, is refused with the
  // spec's error rather than passed over, which would use the outer parameters as if it were not
  // there. Auth0 documents one only for an application with JAR (a Highly Regulated Identity
  // feature mock-auth0 does not have), and not its answer elsewhere. A request that carries its
  // response_type or redirect_uri only inside one is told so on the page, not that it is missing.
  const requestObject = REQUEST_OBJECT_PARAMETERS.find(({ name }) => get(name) !== undefined);
  const requestObjectPage: AuthorizeCheck | undefined = requestObject && {
    kind: "page",
    code: requestObject.code,
    description: requestObject.description,
  };

  // Auth0 asks for response_type first, before the client, and on its error page, never at a
  // redirect_uri: a real tenant (its x-auth0-requestid header on the answer) sent /authorize
  // without parameters to its error page with "error=invalid_request&error_description=Missing
  // required parameter: response_type" (yuseponub/morfx .planning/debug/
  // bold-payment-link-timeout.md, a probe of 2026-05-11).
  const responseType = get("response_type");
  if (responseType === undefined) {
    return (
      requestObjectPage ?? {
        kind: "page",
        code: "invalid_request",
        description: "Missing required parameter: response_type",
      }
    );
  }

  const clientId = get("client_id");
  if (clientId === undefined) {
    return {
      kind: "page",
      code: "invalid_request",
      description: "Missing required parameter: client_id",
    };
  }
  const client = directory.clients.get(clientId);
  if (client === undefined) {
    return { kind: "page", code: "invalid_request", description: `Unknown client: ${clientId}` };
  }
  const redirectUri = get("redirect_uri");
  if (redirectUri === undefined && requestObjectPage !== undefined) return requestObjectPage;
  if (redirectUri === undefined) {
    return {
      kind: "page",
      code: "invalid_request",
      description: "Missing required parameter: redirect_uri",
    };
  }
  // Auth0 compares callback URLs exactly (scheme, host, port, path and trailing slash), and
  // files a URL that is not one of them under unauthorized_client: its error page and the
  // error= of a tenant's custom error page read "unauthorized_client: Callback URL mismatch.
  // <url> is not in the list of allowed callback URLs" (a real tenant's page in lobehub/lobehub
  // issue 4258; the 400 is a real tenant's answer in pnitijarasrat/bookmark-manager
  // docs/research/auth0-tenant-facts.md).
  if (!client.callbacks.includes(redirectUri)) {
    return {
      kind: "page",
      code: "unauthorized_client",
      description: `Callback URL mismatch. ${redirectUri} is not in the list of allowed callback URLs`,
      hint: callbackHint(client, directory.tenant.keywords),
    };
  }

  const state = get("state");
  const modeParam = get("response_mode");
  // OIDC Core 3.2.2.5: tokens from /authorize go back in the fragment unless the client asks
  // for form_post; a code, and any answer to a type that asks for no token (`Code`, `none`, a
  // typo), goes in the query, where a server-side app reads its error.
  const tokensBack = responseType
    .split(" ")
    .some((type) => type === "token" || type === "id_token");
  const responseMode = RESPONSE_MODES.find(
    (mode) => mode === (modeParam ?? (tokensBack ? "fragment" : "query")),
  );
  const target: ResponseTarget = { redirectUri, responseMode: responseMode ?? "query", state };
  const refuse = (code: string, description: string): AuthorizeCheck => ({
    kind: "redirect",
    target,
    code,
    description,
  });
  if (requestObject !== undefined) {
    return refuse(requestObject.code, requestObject.description);
  }
  if (responseMode === undefined) {
    return refuse(
      "invalid_request",
      `Unsupported response_mode: ${String(modeParam)} (use query, fragment or form_post)`,
    );
  }

  // Auth0 files every response_type that returns a token from /authorize (token, id_token
  // and the hybrids) under the implicit grant; a client without it gets a 403 page, not a
  // redirect (a real tenant's answers to response_type=token and id_token, recorded in
  // pnitijarasrat/bookmark-manager docs/research/auth0-tenant-facts.md).
  const types = responseType.split(" ");
  if (
    (types.includes("token") || types.includes("id_token")) &&
    !client.grantTypes.includes("implicit")
  ) {
    return {
      kind: "page",
      status: 403,
      code: "unauthorized_client",
      description: "Grant type 'implicit' not allowed for the client.",
      hint: implicitHint(client),
    };
  }
  if (responseType !== "code" && responseType !== "id_token") {
    return refuse(
      "unsupported_response_type",
      `Unsupported response type: ${responseType} (mock-auth0 supports the authorization code flow, response_type=code, and the implicit flow with form post, response_type=id_token)`,
    );
  }
  if (responseType === "id_token") {
    // OIDC Core 3.2.2.5: a token is never sent in the query, where logs and Referer keep it.
    if (responseMode === "query") {
      return refuse(
        "invalid_request",
        "response_mode=query cannot carry an id_token: use form_post (or fragment)",
      );
    }
    // OIDC Core 3.2.2.1: required, so that a token replayed to the client is told apart.
    if (get("nonce") === undefined) {
      return refuse("invalid_request", "Missing required parameter: nonce");
    }
  } else if (!client.grantTypes.includes("authorization_code")) {
    return refuse(
      "unauthorized_client",
      "Grant type 'authorization_code' not allowed for the client.",
    );
  }

  const prompt = new Set((get("prompt") ?? "").split(" ").filter(Boolean));
  const unknownPrompt = [...prompt].find((value) => !PROMPTS.has(value));
  if (unknownPrompt !== undefined) {
    return refuse("invalid_request", `Unsupported prompt: ${unknownPrompt}`);
  }
  if (prompt.has("none") && prompt.size > 1) {
    return refuse("invalid_request", "prompt=none cannot be combined with other values");
  }

  const maxAgeParam = get("max_age");
  // Seconds in decimal digits (OIDC Core 3.1.2.1); Number() would also read "1e3", "0x10", " ".
  const maxAge =
    maxAgeParam === undefined
      ? undefined
      : /^[0-9]+$/.test(maxAgeParam)
        ? Number(maxAgeParam)
        : NaN;
  if (maxAge !== undefined && !Number.isInteger(maxAge)) {
    return refuse("invalid_request", "max_age must be a whole number of seconds");
  }

  const audience = get("audience");
  const api = audience === undefined ? undefined : directory.apis.get(audience);
  if (audience !== undefined && api === undefined) {
    return refuse("access_denied", `Service not found: ${audience}`);
  }
  // The API's user access policy holds here as at /bc-authorize: under require_client_grant
  // a client without a subject_type "user" grant for the API gets no token for it. Auth0's
  // error for that is unauthorized_client (its "Troubleshoot Third-Party Applications": no
  // client grant for the requested API); deny_all is access denied.
  const access = api === undefined ? undefined : userAccess(client, api);
  if (access?.allowed === false) {
    return refuse(
      access.policy === "deny_all" ? "access_denied" : "unauthorized_client",
      access.description,
    );
  }
  // Auth0 grants the OIDC scopes and the API's own, at most those of the client's grant (its
  // ceiling in a user flow); other scopes are left out of the grant.
  const asked = [...new Set((get("scope") ?? "").split(" ").filter(Boolean))].filter(
    (value) => oidcScopes.has(value) || (api?.scopes.includes(value) ?? false),
  );
  const notGranted = access === undefined ? [] : scopesNotGranted(access, asked);
  const scope = asked.filter((value) => !notGranted.includes(value));

  // PKCE protects a code; an id_token comes back itself.
  const codeChallenge = responseType === "code" ? get("code_challenge") : undefined;
  const method = responseType === "code" ? get("code_challenge_method") : undefined;
  if (responseType === "id_token") {
    // Nothing to check.
  } else if (codeChallenge === undefined) {
    if (method !== undefined) {
      return refuse("invalid_request", "code_challenge_method was sent without code_challenge");
    }
    // RFC 9700 section 2.1.1: a public client cannot prove who redeems the code otherwise. Auth0
    // does not require it (a real tenant sends such a request on to its login page), so this is
    // stricter than Auth0: a client that passes here passes there too.
    if (client.authentication === "none") {
      return refuse(
        "invalid_request",
        "Parameter 'code_challenge' is required for a public client (token_endpoint_auth_method none): send code_challenge with code_challenge_method=S256",
      );
    }
  } else {
    // Auth0 supports S256 only: the PKCE `plain` method is discouraged (RFC 7636 section 7.2).
    if (method !== "S256") {
      return refuse(
        "invalid_request",
        `Unsupported code_challenge_method: ${method ?? "plain (the default)"}; use S256`,
      );
    }
    if (!S256_CHALLENGE.test(codeChallenge)) {
      return refuse(
        "invalid_request",
        "code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)",
      );
    }
  }

  return {
    kind: "ok",
    request: {
      client,
      responseType,
      redirectUri,
      responseMode,
      state,
      nonce: get("nonce"),
      scope,
      audience,
      codeChallenge,
      prompt,
      loginHint: get("login_hint"),
      maxAge,
    },
  };
}

/**
 * What a developer does about a token asked of /authorize by a client without the implicit
 * grant: express-openid-connect asks for an ID token by default (response_type=id_token with
 * form_post), and this repository's application, like a client made for the code flow, has no
 * implicit grant. Either side may change.
 */
function implicitHint(client: TenantClient): string {
  return (
    `A response_type with token or id_token asks /authorize for a token, which Auth0 files ` +
    `under the implicit grant, and ${client.name} (${client.clientId}) does not have it. Ask ` +
    `for the authorization code flow instead, response_type=code (express-openid-connect: ` +
    `authorizationParams: { response_type: "code" }, with the client secret), or add implicit ` +
    `to the application's grant_types in the tenant.`
  );
}
