import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import {
  CIBA_GRANT_TYPE,
  PRODUCT_BUY_SCOPE,
  PURCHASE_AUTHORIZATION_DETAILS_TYPE,
  purchaseAuthorizationDetailSchema,
  purchaseRequestSchema,
} from "@ciba-testbed/shared";
import { z } from "zod";

import type { ShopApiConfig } from "./config.js";
import { discoveryUrl } from "./issuer-check.js";
import { JSON_BODY_LIMIT } from "./limits.js";
import {
  errorSchema,
  healthSchema,
  orderListSchema,
  orderSchema,
  productListSchema,
  productSchema,
  readySchema,
} from "./schemas.js";

export const SECURITY_SCHEME = "auth0";

const ERROR_CODES = `
| status | error | when |
|---|---|---|
| 400 | \`invalid_request\` | the body breaks the purchase schema, is not JSON or does not decompress as its \`Content-Encoding\` says; the path is not valid percent-encoded UTF-8; the \`Idempotency-Key\` is malformed; the Authorization header is not \`Bearer <token>\`; the token is in the URL query; or the HTTP request itself is malformed |
| 401 | \`invalid_request\` | no access token; the \`WWW-Authenticate\` challenge then carries no error (RFC 6750 section 3.1) |
| 401 | \`invalid_token\` | the token is malformed (including any segment that is not canonical base64url: padding, \`+\` or \`/\`, whitespace, non-zero unused bits), expired, not yet valid, badly signed, or for another issuer or audience |
| 403 | \`insufficient_scope\` | the token lacks \`${PRODUCT_BUY_SCOPE}\`, or was issued to a client (client_credentials) rather than for a person |
| 403 | \`insufficient_authorization_details\` | the token's \`${PURCHASE_AUTHORIZATION_DETAILS_TYPE}\` authorization_details (RFC 9396) do not cover the order, hold several entries (one approval per purchase), were already used for an order, or are required and missing |
| 404 | \`not_found\` | unknown route, product or order (another person's order is also 404) |
| 409 | \`insufficient_stock\` | fewer units in stock than ordered |
| 413 | \`payload_too_large\` | the body is over ${JSON_BODY_LIMIT} |
| 415 | \`unsupported_media_type\` | the body is not \`application/json\` in UTF-8, or its \`Content-Encoding\` is not one of gzip, deflate, br |
| 417, 431 | \`invalid_request\` | an \`Expect\` other than \`100-continue\`; a request line and headers over 16 KB |
| 422 | \`unknown_product\` | no product has that id or name |
| 422 | \`price_limit_exceeded\` | the total is above \`priceLimit\` |
| 422 | \`idempotency_key_reused\` | the \`Idempotency-Key\` was used before with a different body |
| 500 | \`server_error\` | an unexpected failure (no details are returned) |
| 503 | \`temporarily_unavailable\` | \`/ready\` only: the issuer's metadata or keys cannot be reached |

RFC 9396 defines no resource-server error code, so \`insufficient_authorization_details\` is
this API's own, modelled on RFC 6750's \`insufficient_scope\`: a 403 with a
\`WWW-Authenticate: Bearer realm="api", error="...", error_description="..."\` challenge.`;

function errorResponse(description: string, challenge = false): ResponseConfig {
  return {
    description,
    ...(challenge
      ? {
          headers: {
            "WWW-Authenticate": {
              description:
                'RFC 6750 challenge, e.g. `Bearer realm="api", error="invalid_token", error_description="..."`',
              schema: { type: "string" },
            },
          },
        }
      : {}),
    content: { "application/json": { schema: errorSchema } },
  };
}

const authErrors = {
  401: errorResponse("No token, or a token that is not valid for this API", true),
  403: errorResponse(
    `The token lacks \`${PRODUCT_BUY_SCOPE}\` or was not issued for a person`,
    true,
  ),
};

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers use. */
export function buildOpenApiDocument(config: Pick<ShopApiConfig, "issuer" | "audience">): object {
  const registry = new OpenAPIRegistry();

  registry.registerComponent("securitySchemes", SECURITY_SCHEME, {
    type: "openIdConnect",
    openIdConnectUrl: discoveryUrl(config.issuer),
    description:
      `Access tokens issued by ${config.issuer} for the audience \`${config.audience}\`. ` +
      `Purchases need the \`${PRODUCT_BUY_SCOPE}\` scope in a token issued for a person, ` +
      `typically through Client-Initiated Backchannel Authentication (grant type ` +
      `\`${CIBA_GRANT_TYPE}\`); client-credentials tokens are refused. Send it as ` +
      "`Authorization: Bearer <token>`, never in the URL.",
  });

  const purchaseRequest = registry.register("PurchaseRequest", purchaseRequestSchema);
  registry.register("PurchaseAuthorizationDetail", purchaseAuthorizationDetailSchema);
  registry.register("Error", errorSchema);
  const security = [{ [SECURITY_SCHEME]: [PRODUCT_BUY_SCOPE] }];

  registry.registerPath({
    method: "get",
    path: "/health",
    operationId: "getHealth",
    summary: "Liveness: the process is up",
    tags: ["operations"],
    responses: {
      200: { description: "Alive", content: { "application/json": { schema: healthSchema } } },
    },
  });

  registry.registerPath({
    method: "get",
    path: "/ready",
    operationId: "getReadiness",
    summary: "Readiness: the issuer's metadata and signing keys are reachable and trusted",
    description: "The result is cached for a few seconds.",
    tags: ["operations"],
    responses: {
      200: { description: "Ready", content: { "application/json": { schema: readySchema } } },
      503: errorResponse(
        "The issuer cannot be reached or trusted; the description names the cause",
      ),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This document",
    tags: ["operations"],
    responses: {
      200: {
        description: "OpenAPI 3.1 document",
        content: { "application/json": { schema: z.object({}).passthrough() } },
      },
    },
  });

  registry.registerPath({
    method: "get",
    path: "/api/products",
    operationId: "listProducts",
    summary: "The catalog: ids, names, unit prices and stock",
    tags: ["products"],
    responses: {
      200: {
        description: "Every product",
        content: { "application/json": { schema: productListSchema } },
      },
    },
  });

  registry.registerPath({
    method: "get",
    path: "/api/products/{product}",
    operationId: "getProduct",
    summary: "One product, by id or by name (case-insensitive, plural accepted)",
    tags: ["products"],
    request: {
      params: z.object({
        product: z.string().openapi({ description: "Product id or name", example: "XYZ phone" }),
      }),
    },
    responses: {
      200: {
        description: "The product",
        content: { "application/json": { schema: productSchema } },
      },
      404: errorResponse("No such product"),
    },
  });

  registry.registerPath({
    method: "post",
    path: "/api/purchases",
    operationId: "createPurchase",
    summary: "Buy a product for the person the token was issued for",
    description:
      "Checks, in order: token, scope and that it was issued for a person; then the body; the " +
      "product; the token's `product_purchase` authorization_details, when present (same " +
      "product, quantity <= approved, total <= `maximum_amount`); `priceLimit`; stock. " +
      "Nothing is written unless every check passes.\n\n" +
      "An approval (a token with a `product_purchase` entry) buys once, whatever the token's " +
      "spelling. An order is one product, so a token with several `product_purchase` entries " +
      "is refused (403 `insufficient_authorization_details`): ask for one approval per " +
      "purchase.\n\n" +
      "With an `Idempotency-Key`, a retry with the same key and body answers 201 with the " +
      "first order (and `Idempotent-Replayed: true`) and creates nothing; the same key with a " +
      "different body is refused with 422. Keys are scoped to the person (`sub`).",
    tags: ["purchases"],
    security,
    request: {
      headers: z.object({
        "Idempotency-Key": z
          .string()
          .regex(/^[\x21-\x7e]{1,255}$/)
          .optional()
          .openapi({ description: "1-255 visible ASCII characters, unique per purchase" }),
      }),
      body: {
        required: true,
        content: { "application/json": { schema: purchaseRequest } },
      },
    },
    responses: {
      201: {
        description: "Order placed (or replayed for a repeated Idempotency-Key)",
        headers: {
          Location: { description: "The order's URL", schema: { type: "string" } },
          "Idempotent-Replayed": {
            description: "`true` when this answers a retry and nothing new was created",
            schema: { type: "string", enum: ["true"] },
          },
        },
        content: { "application/json": { schema: orderSchema } },
      },
      400: errorResponse("invalid_request: the body or a header is malformed", true),
      ...authErrors,
      403: errorResponse(
        "insufficient_scope (no product:buy, or a client-credentials token) or " +
          "insufficient_authorization_details (the approved purchase does not cover this order)",
        true,
      ),
      409: errorResponse("insufficient_stock"),
      413: errorResponse(`payload_too_large: the body is over ${JSON_BODY_LIMIT}`),
      415: errorResponse("unsupported_media_type: send application/json"),
      422: errorResponse("unknown_product, price_limit_exceeded or idempotency_key_reused"),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/api/purchases",
    operationId: "listPurchases",
    summary: "The caller's own orders, oldest first",
    description: `Needs the same \`${PRODUCT_BUY_SCOPE}\` scope as buying: the sample API registers no read scope.`,
    tags: ["purchases"],
    security,
    responses: {
      200: {
        description: "The caller's orders",
        content: { "application/json": { schema: orderListSchema } },
      },
      ...authErrors,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/api/purchases/{id}",
    operationId: "getPurchase",
    summary: "One of the caller's orders",
    description: "Another person's order answers 404, exactly like an id that does not exist.",
    tags: ["purchases"],
    security,
    request: { params: z.object({ id: z.string().openapi({ description: "Order id" }) }) },
    responses: {
      200: { description: "The order", content: { "application/json": { schema: orderSchema } } },
      ...authErrors,
      404: errorResponse("No such order for this caller"),
    },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Sample shop API",
      version: "0.1.0",
      description:
        `The reference OAuth 2.0 resource server for the audience \`${config.audience}\` and ` +
        `the scope \`${PRODUCT_BUY_SCOPE}\`.\n\nEvery error body is \`{ "error", "error_description" }\`:\n` +
        ERROR_CODES,
    },
    tags: [
      { name: "products", description: "Public catalog" },
      { name: "purchases", description: "Orders, for the person the token was issued for" },
      { name: "operations", description: "Health, readiness and this document" },
    ],
  });
}
