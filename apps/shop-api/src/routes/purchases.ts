import type { IncomingMessage, ServerResponse } from "node:http";

import {
  PRODUCT_BUY_SCOPE,
  limitToCents,
  purchaseRequestSchema,
  writtenLimitToCents,
} from "@ciba-testbed/shared";
import {
  BODY_REFUSED,
  countHeader,
  requireUtf8Body,
  verifyJsonDepth,
} from "@ciba-testbed/shared/http";
import { numbersAsWritten, repeatedJsonKey } from "@ciba-testbed/shared/http/json-repeated-keys";
import express, { Router } from "express";
import type { Handler, Request } from "express";

import { approvalKeysOf } from "../approval-key.js";
import type { ApprovalKeys } from "../approval-key.js";
import {
  refuseRepeatedAuthorization,
  refuseTokenInQuery,
  requireAuthorizationDetails,
  requireScope,
  requireUserToken,
  requireWellFormedClaims,
  tokenPayload,
  verifyAccessToken,
} from "../auth.js";
import type { TokenVerificationOptions } from "../auth.js";
import type { ShopApiConfig } from "../config.js";
import { errors } from "../errors.js";
import { fromCents } from "../money.js";
import { continueOnceAuthorized } from "../expect-continue.js";
import { JSON_BODY_LIMIT } from "../limits.js";
import { listOrderPage } from "../order-listing.js";
import { placeOrder } from "../place-order.js";
import { renewableBecause } from "../renewable-approval.js";
import type { Buyer, PlaceOrderDeps } from "../place-order.js";
import { toOrderJson } from "../schemas.js";
import { writesWholeNumber } from "../whole-number-text.js";
import {
  DEFAULT_TOKEN_CACHE_MAX_AGE_MS,
  DEFAULT_TOKEN_CACHE_SIZE,
  VerifiedTokenCache,
} from "../verified-token-cache.js";
import { refuseOtherMethods } from "./method-not-allowed.js";

/**
 * draft-ietf-httpapi-idempotency-key-header: a string; kept to visible ASCII here. A
 * `purchase_id` is narrower (`PURCHASE_ID`: no `"` or `\`), so it matches its key however the
 * key is sent.
 */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface PurchaseRouteOptions {
  config: Pick<
    ShopApiConfig,
    "issuer" | "audience" | "requireAuthorizationDetails" | "tokenCacheSize"
  >;
  tokenVerification: TokenVerificationOptions;
  deps: PlaceOrderDeps;
  /** `AppDeps.benchmarkWithoutAuthentication`: a fixed identity in place of the token checks. */
  withoutAuthentication?: { sub: string } | undefined;
}

const requireJsonBody: Handler = (req, _res, next) => {
  const length = req.headers["content-length"];
  const empty =
    req.headers["transfer-encoding"] === undefined &&
    (length === undefined || Number(length) === 0);
  if (empty) {
    next(errors.invalidRequest('A JSON body is required, e.g. {"product":"XYZ phone","qty":1}'));
    return;
  }
  // Node reads the first of two Content-Types and drops the other: a proxy or filter in front
  // that reads the last would judge the body as something else than this API parses.
  const types = countHeader(req.rawHeaders, "content-type");
  if (types > 1) {
    next(errors.invalidRequest(`Send one Content-Type header; this request had ${String(types)}`));
    return;
  }
  if (!req.is("application/json")) {
    next(
      errors.unsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'"),
    );
    return;
  }
  next();
};

/**
 * body-parser's `verify` for a purchase: `verifyJsonDepth`'s checks, and no key twice in one
 * object. JSON.parse keeps a repeated key's last value, so `{"qty":1,"qty":5}` bought 5, while
 * a gateway, a log or a reviewer reading the first saw 1: such a body is 400 `invalid_request`
 * naming the key (`repeatedJsonKey`, as the tenant refuses a repeated parameter), and nothing is
 * bought. A `qty` whose text is not a whole number is refused as written (`numbersAsWritten`):
 * JSON.parse reads `0.99999999999999999` as 1, and that bought one; so is a `priceLimit` that it
 * reads as a limit other than the one written (`writtenLimitToCents`).
 */
function verifyPurchaseJson(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  verifyJsonDepth(req, res, body);
  // UTF-8: requireUtf8Body let no other charset through.
  const text = body.toString("utf8");
  const repeated = repeatedJsonKey(text);
  if (repeated !== undefined) {
    throw purchaseRefused(
      `Invalid purchase: ${repeated} is given more than once in the JSON body, and a reader ` +
        "may take either value; send each key once",
    );
  }
  const numbers = numbersAsWritten(text);
  const qty = numbers?.get("qty");
  if (qty !== undefined && !writesWholeNumber(qty)) {
    const parsed = Number(qty);
    const shown = shownNumber(qty);
    throw purchaseRefused(
      `Invalid purchase: qty must be a whole number, and the JSON body writes it as ${shown}` +
        (Number.isInteger(parsed) ? `, which JSON.parse would round to ${String(parsed)}` : "") +
        "; send the number of units in digits alone, e.g. 1",
    );
  }
  const limit = numbers?.get("priceLimit");
  const read = Number(limit);
  // A limit JSON.parse reads as another: `9.989999999999999999` becomes 9.99, and would let a
  // 9.99 USD item through a limit the client wrote below it. (Not finite, or not
  // above zero, and the schema refuses it with its own words.)
  if (limit !== undefined && Number.isFinite(read) && read > 0) {
    const written = writtenLimitToCents(limit);
    if (written !== limitToCents(read)) {
      throw purchaseRefused(
        `Invalid purchase: the JSON body writes priceLimit as ${shownNumber(limit)}, which ` +
          `JSON.parse reads as ${String(read)}, not the limit written; send the limit in whole ` +
          `cents, e.g. ${fromCents(written).toFixed(2)}`,
      );
    }
  }
}

/** A number's text as a message quotes it: at most 40 characters. */
function shownNumber(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A body refused before it is parsed (body-parser's `verify`): 400 `invalid_request`. */
function purchaseRefused(description: string): Error {
  return Object.assign(new Error(description), { status: 400, type: BODY_REFUSED });
}

/** The person the token was issued for; requireUserToken has checked `sub`. */
function ownerOf(req: Request): string {
  return String(tokenPayload(req).sub);
}

/**
 * The buyer, from the configured issuer (which the library checked the token's `iss` against).
 * `approvalKeysOf` runs once per verified token: a token the cache answers brings the same frozen
 * `req.auth` each time, and the keys depend on that token alone.
 */
function buyers(issuer: string): (req: Request) => Buyer {
  const approvalKeys = new WeakMap<object, ApprovalKeys>();
  const approvalKeysFor = (req: Request): ApprovalKeys => {
    const auth = req.auth ?? { token: "", payload: {} };
    let keys = approvalKeys.get(auth);
    if (keys === undefined) {
      keys = approvalKeysOf(issuer, auth);
      approvalKeys.set(auth, keys);
    }
    return keys;
  };
  return (req) => {
    const payload = tokenPayload(req);
    const { key, earlierKey } = approvalKeysFor(req);
    return {
      approvalKey: key,
      earlierApprovalKey: earlierKey,
      sub: ownerOf(req),
      // Auth0's default profile names the client `azp`; its RFC 9068 profile `client_id`.
      azp: clientOf(payload),
      authorizationDetails: payload.authorization_details,
      renewable: renewableBecause(payload),
      issuedAt: typeof payload.iat === "number" ? payload.iat : undefined,
    };
  };
}

function clientOf(payload: Record<string, unknown>): string | null {
  if (typeof payload.azp === "string") return payload.azp;
  return typeof payload.client_id === "string" ? payload.client_id : null;
}

/** An RFC 8941 sf-string: the draft's own spelling, `Idempotency-Key: "8e03978e-..."`. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * The Idempotency-Key, bare (as Stripe and most clients send it) or as the draft's quoted
 * string: `"k"` and `k` name the same key, and so the same order.
 */
function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.get("Idempotency-Key");
  if (raw === undefined) return undefined;
  const sent = countHeader(req.rawHeaders, "idempotency-key");
  if (sent > 1) {
    throw errors.invalidRequest(
      `Send one Idempotency-Key header; this request had ${String(sent)}`,
    );
  }
  const quoted = SF_STRING.exec(raw);
  const key = quoted ? (quoted[1] ?? "").replace(/\\(["\\])/g, "$1") : raw;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw errors.invalidRequest(
      "Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces), bare or as a quoted string",
    );
  }
  return key;
}

function describeIssues(issues: readonly { message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => issue.message)
    .join("; ");
}

function fixedIdentity(sub: string): Handler {
  return (req, _res, next) => {
    req.auth = { header: { alg: "none" }, payload: { sub, scope: PRODUCT_BUY_SCOPE }, token: "" };
    next();
  };
}

export function purchaseRoutes({
  config,
  tokenVerification,
  deps,
  withoutAuthentication,
}: PurchaseRouteOptions): Router {
  const router = Router();
  const tokenCacheSize = config.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE;
  const buyerOf = buyers(config.issuer);
  const authenticated = withoutAuthentication
    ? [fixedIdentity(withoutAuthentication.sub)]
    : [
        refuseRepeatedAuthorization,
        refuseTokenInQuery,
        verifyAccessToken(
          config,
          tokenVerification,
          tokenCacheSize === 0
            ? undefined
            : new VerifiedTokenCache({
                maxEntries: tokenCacheSize,
                clock: deps.clock,
                maxAgeMs: tokenVerification.cacheMaxAge ?? DEFAULT_TOKEN_CACHE_MAX_AGE_MS,
              }),
        ),
        requireWellFormedClaims,
        requireScope(PRODUCT_BUY_SCOPE),
        requireUserToken,
      ];
  // Without authentication (the bench's baseline) there is no token to carry any approval.
  const approvalPolicy: Handler[] =
    config.requireAuthorizationDetails && !withoutAuthentication
      ? [requireAuthorizationDetails]
      : [];

  // The body is read only after the token passed: unauthenticated callers cost no parsing.
  router.post(
    "/api/purchases",
    ...authenticated,
    ...approvalPolicy,
    requireJsonBody,
    requireUtf8Body,
    continueOnceAuthorized,
    express.json({ limit: JSON_BODY_LIMIT, verify: verifyPurchaseJson }),
    async (req, res) => {
      const parsed = purchaseRequestSchema.safeParse(req.body);
      if (!parsed.success) {
        throw errors.invalidRequest(`Invalid purchase: ${describeIssues(parsed.error.issues)}`);
      }
      const { order, replayed } = await placeOrder(
        {
          request: parsed.data,
          buyer: buyerOf(req),
          idempotencyKey: idempotencyKeyOf(req),
        },
        deps,
      );
      res.location(`/api/purchases/${encodeURIComponent(order.id)}`);
      if (replayed) res.setHeader("Idempotent-Replayed", "true");
      res.status(201).json(toOrderJson(order));
    },
  );

  router.get("/api/purchases", ...authenticated, async (req, res) => {
    res.json(await listOrderPage(deps.store, ownerOf(req), req.query));
  });

  router.get("/api/purchases/:id", ...authenticated, async (req, res) => {
    const { id } = req.params;
    const order = typeof id === "string" ? await deps.store.getById(id) : undefined;
    // Another person's order is indistinguishable from a missing one, so ids do not leak.
    if (order?.authorization.sub !== ownerOf(req)) {
      throw errors.notFound("No order with this id for this caller");
    }
    res.json(toOrderJson(order));
  });

  refuseOtherMethods(router, "/api/purchases", ["GET", "POST"]);
  refuseOtherMethods(router, "/api/purchases/:id", ["GET"]);

  return router;
}
