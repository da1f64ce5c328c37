#!/usr/bin/env node
/**
 * `shop-api`, the package's bin: `--port`, `--ready-file` and `--help`, then the server.
 * Built into `dist/bin.js` for the published package; in the repository `pnpm shop-api` runs it,
 * and `pnpm dev` runs `src/main.ts`.
 */
import { runServerBin } from "@ciba-testbed/shared/node";

import { DEFAULT_HOST, DEFAULT_PORT, VARIABLES } from "./config.js";

await runServerBin(
  {
    name: "shop-api",
    about: [
      "The sample shop's API, a resource server for the audience sample-shop-api: POST",
      "/api/purchases needs a user's access token with the product:buy scope from the tenant at",
      "AUTH0_DOMAIN, checked against its JWKS. Start the tenant first; the shop checks it at start.",
      "A local tenant's CA (ca.pem in mock-auth0's certificate folder) is trusted by itself; any",
      "other tenant's must be in NODE_EXTRA_CA_CERTS or Node's own roots.",
    ],
    portVariable: "SHOP_API_PORT",
    readyExample: `{"ready":true,"pid":1234,"service":"shop-api","url":"http://${DEFAULT_HOST}:${DEFAULT_PORT}","port":${DEFAULT_PORT}}`,
    variables: {
      ...VARIABLES,
      // Read beside the configuration, for a local tenant's CA (main.ts).
      NODE_EXTRA_CA_CERTS: "the CA file that makes Node trust a local tenant",
      MOCK_AUTH0_CERT_DIR:
        "a local tenant's certificate folder: its ca.pem is trusted when NODE_EXTRA_CA_CERTS does not hold it",
    },
    flags: {
      reset:
        "empty the database first: orders, Idempotency-Keys and used approvals go, stock is reset; an approval issued before the reset buys nothing after it",
    },
  },
  () => import("./main.js"),
);
