#!/usr/bin/env node
/**
 * `shop-api`, the package's bin: `--port`, `--ready-file` and `--help`, then the server.
 * Built into `dist/bin.js` for the published package; in the repository `pnpm shop-api` runs it,
 * and `pnpm dev` runs `src/main.ts`.
 */
import { runServerBin } from "@ciba-testbed/shared/node";

import { DEFAULT_AUTH0_DOMAIN, DEFAULT_HOST, DEFAULT_PORT } from "./config.js";

await runServerBin(
  {
    name: "shop-api",
    about: [
      "The sample shop's API, a resource server for the audience sample-shop-api: POST",
      "/api/purchases needs a user's access token with the product:buy scope from the tenant at",
      "AUTH0_DOMAIN, checked against its JWKS. Start the tenant first; the shop checks it at start.",
      "Node must trust the tenant's CA: NODE_EXTRA_CA_CERTS=<caCertPath from mock-auth0's ready record>.",
    ],
    portVariable: "SHOP_API_PORT",
    readyExample: `{"ready":true,"pid":1234,"service":"shop-api","url":"http://${DEFAULT_HOST}:${DEFAULT_PORT}","port":${DEFAULT_PORT}}`,
    variables: {
      AUTH0_DOMAIN: `the tenant, bare host[:port] (default ${DEFAULT_AUTH0_DOMAIN}); the issuer is https://<domain>/`,
      AUTH0_ISSUER_BASE_URL: "the exact issuer URL, when it is not https://<domain>/",
      SHOP_API_AUDIENCE: "the API identifier tokens must be issued for (default sample-shop-api)",
      SHOP_API_PORT: `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`,
      SHOP_API_HOST: `address to listen on (default ${DEFAULT_HOST})`,
      SHOP_API_REQUIRE_AUTHORIZATION_DETAILS:
        "true (the default) refuses purchase tokens without product_purchase authorization_details; false also takes product:buy alone, for a tenant without Rich Authorization Requests",
      SHOP_API_ADMIN_TOKEN:
        "when set, GET /admin/orders?user=<sub> lists a person's orders for 'Authorization: Bearer <token>' (default: no such route)",
      NODE_EXTRA_CA_CERTS: "the CA file that makes Node trust a local tenant",
      SHOP_API_DATABASE:
        "the embedded database (PGlite): a folder, or :memory: (default: .data/shop-api in the package)",
      SHOP_API_DATABASE_URL: "PostgreSQL instead, e.g. postgres://shop:secret@db:5432/shop",
      LOG_LEVEL: "pino level or 'silent' (default info)",
      SHOP_API_SHORT_LIVED:
        "true for a shop that lives for a test or a demo: PGlite's WebAssembly gets V8's baseline compiler alone (default false)",
    },
    flags: {
      reset:
        "empty the database first: orders, Idempotency-Keys and used approvals go, stock is reset",
    },
  },
  () => import("./main.js"),
);
