import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import {
  CIBA_GRANT_TYPE,
  PRODUCT_BUY_SCOPE,
  purchaseAuthorizationDetailSchema,
  purchaseRequestSchema,
} from "@ciba-testbed/shared";
import { z } from "zod";

import type { ShopApiConfig } from "./config.js";
import { errors } from "./errors.js";
import type { ErrorName } from "./errors.js";
import { discoveryUrl } from "./issuer-check.js";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from "./order-listing.js";
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

/** The listings' paging parameters (`readPageQuery`). */
const pageQuerySchema = z.object({
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .optional()
    .openapi({ description: "Orders on the page, given once", default: DEFAULT_PAGE_LIMIT }),
  after: z.string().optional().openapi({
    description:
      "The `next_cursor` of the page before, as it was; left out, the listing starts at the first order",
  }),
});

const PAGING_DESCRIPTION =
  "Cursor paging: a page holds up to `limit` orders and `next_cursor`, which is the `after` " +
  "of the next page and null on the last. Orders placed meanwhile show on a later page. A " +
  "`limit` out of range, a parameter given twice, one this listing does not take, and an " +
  "`after` that is not a cursor of this listing (changed, cut short, another person's) are 400 " +
  "`invalid_request`.";

/** The API description's error list: one row per entry of the error table. */
function errorList(): string {
  const rows = Object.values(errors.table).map(
    ({ status, code, when }) => `| ${status} | \`${code}\` | ${when} |`,
  );
  return [
    "",
    "| status | error | when |",
    "|---|---|---|",
    ...rows,
    "",
    "RFC 9396 defines no resource-server error code, so `insufficient_authorization_details` is",
    "this API's own, modelled on RFC 6750's `insufficient_scope`: a 403 with a",
    '`WWW-Authenticate: Bearer realm="api", error="...", error_description="..."` challenge.',
  ].join("\n");
}

/** RFC 6750 section 3: the answers of a protected resource that carry a challenge. */
const CHALLENGED = new Set([400, 401, 403]);

function errorResponse(description: string, challenge: boolean): ResponseConfig {
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

/**
 * An operation's error responses, from rows of the error table: one per status, naming each
 * code and when it happens. On a secured operation 400, 401 and 403 may carry a challenge.
 */
function errorResponses(
  names: readonly ErrorName[],
  options: { secured?: boolean } = {},
): Record<number, ResponseConfig> {
  const byStatus = new Map<number, string[]>();
  for (const name of names) {
    const { status, code, when } = errors.table[name];
    byStatus.set(status, [...(byStatus.get(status) ?? []), `\`${code}\`: ${when}`]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, lines]) => [
      status,
      errorResponse(lines.join("; "), options.secured === true && CHALLENGED.has(status)),
    ]),
  );
}

const TOKEN_ERRORS: readonly ErrorName[] = [
  "invalidRequest",
  "missingToken",
  "invalidToken",
  "insufficientScope",
  "temporarilyUnavailable",
];

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers use. */
export function buildOpenApiDocument(
  config: Pick<ShopApiConfig, "issuer" | "audience" | "adminToken">,
): object {
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
      ...errorResponses(["temporarilyUnavailable"]),
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
      ...errorResponses(["temporarilyUnavailable"]),
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
      ...errorResponses(["notFound", "temporarilyUnavailable"]),
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
      "With an `Idempotency-Key`, a retry with the same key, body and approval answers 201 " +
      "with the first order (and `Idempotent-Replayed: true`) and creates nothing, once the " +
      "token has passed every check a new order would; the same key with a different body or " +
      "with another approval is refused with 422. Keys are scoped to the person (`sub`).",
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
      ...errorResponses(
        [
          ...TOKEN_ERRORS,
          "insufficientAuthorizationDetails",
          "insufficientStock",
          "payloadTooLarge",
          "unsupportedMediaType",
          "unknownProduct",
          "priceLimitExceeded",
          "idempotencyKeyReused",
        ],
        { secured: true },
      ),
    },
  });

  registry.registerPath({
    method: "get",
    path: "/api/purchases",
    operationId: "listPurchases",
    summary: "The caller's own orders, oldest first, a page at a time",
    description:
      `Needs the same \`${PRODUCT_BUY_SCOPE}\` scope as buying: the sample API registers no read scope.\n\n` +
      PAGING_DESCRIPTION,
    tags: ["purchases"],
    security,
    request: { query: pageQuerySchema },
    responses: {
      200: {
        description: "A page of the caller's orders",
        content: { "application/json": { schema: orderListSchema } },
      },
      ...errorResponses(TOKEN_ERRORS, { secured: true }),
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
      ...errorResponses([...TOKEN_ERRORS, "notFound"], { secured: true }),
    },
  });

  if (config.adminToken !== undefined) registerAdminRoutes(registry);

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Sample shop API",
      version: "0.1.0",
      description:
        `The reference OAuth 2.0 resource server for the audience \`${config.audience}\` and ` +
        `the scope \`${PRODUCT_BUY_SCOPE}\`.\n\nEvery error body is \`{ "error", "error_description" }\`:\n` +
        errorList(),
    },
    tags: [
      { name: "products", description: "Public catalog" },
      { name: "purchases", description: "Orders, for the person the token was issued for" },
      { name: "operations", description: "Health, readiness and this document" },
      ...(config.adminToken === undefined
        ? []
        : [{ name: "admin", description: "For whoever runs the shop: SHOP_API_ADMIN_TOKEN" }]),
    ],
  });
}

export const ADMIN_SECURITY_SCHEME = "admin";

/**
 * `GET /admin/orders`, served (and so described) only when `SHOP_API_ADMIN_TOKEN` is set: a
 * bearer secret of its own, which no person's access token replaces.
 */
function registerAdminRoutes(registry: OpenAPIRegistry): void {
  registry.registerComponent("securitySchemes", ADMIN_SECURITY_SCHEME, {
    type: "http",
    scheme: "bearer",
    description:
      "The shop's `SHOP_API_ADMIN_TOKEN`, sent as `Authorization: Bearer <token>`. No access " +
      "token of a person opens these routes, and this token opens no other.",
  });
  const refused = errorResponses(["invalidRequest", "temporarilyUnavailable"]);
  registry.registerPath({
    method: "get",
    path: "/admin/orders",
    operationId: "listOrdersOfPerson",
    summary: "One person's orders, oldest first, a page at a time, as the purchase API shows them",
    description:
      "How a test harness checks what an agent bought without the person's token (the " +
      "testkit's `shop.orders()`).\n\n" +
      PAGING_DESCRIPTION,
    tags: ["admin"],
    security: [{ [ADMIN_SECURITY_SCHEME]: [] }],
    request: {
      query: z
        .object({
          user: z.string().min(1).openapi({
            description: "The person's `sub`, given once",
            example: "auth0|testbed-user",
          }),
        })
        .merge(pageQuerySchema),
    },
    responses: {
      200: {
        description: "A page of the person's orders",
        content: { "application/json": { schema: orderListSchema } },
      },
      ...refused,
      401: {
        ...errorResponse(
          "`invalid_token`: no admin token, or another one; the challenge names the admin realm",
          false,
        ),
        headers: {
          "WWW-Authenticate": {
            description:
              'RFC 6750 challenge: `Bearer realm="shop-api-admin"`, with `error="invalid_token"` when a token was sent',
            schema: { type: "string" },
          },
        },
      },
    },
  });
}
