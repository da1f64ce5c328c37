#!/usr/bin/env node
/**
 * `mock-auth0`, the package's bin: `--port`, `--ready-file` and `--help`, then the tenant.
 * Built into `dist/bin.js` for the published package; in the repository `pnpm mock-auth0` runs it,
 * and `pnpm dev` runs `src/main.ts`.
 */
import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { runServerBin } from "@ciba-testbed/shared/node";

import { VARIABLES } from "./config.js";

const port = LOCAL_DEFAULTS.mockAuth0Port;

await runServerBin(
  {
    name: "mock-auth0",
    about: [
      "A local Auth0 tenant over HTTPS for CIBA: /bc-authorize, /oauth/token, discovery and JWKS,",
      "a simulated approver with a control API (/approver/api/...) and an approver page",
      `(https://localhost:${port}/approver). It makes a local CA on first start; Node clients must`,
      "start with NODE_EXTRA_CA_CERTS=<caCertPath from the ready record>, or their calls fail",
      'with "fetch failed". Without MOCK_AUTH0_TENANT it serves the tenant that ships with it.',
    ],
    portVariable: "MOCK_AUTH0_PORT",
    readyExample: `{"ready":true,"pid":1234,"service":"mock-auth0","url":"https://localhost:${port}/","port":${port},"issuer":"https://localhost:${port}/","caCertPath":"/.../ca.pem"}`,
    variables: VARIABLES,
    flags: {
      "make-ca": 'make or reuse the CA in MOCK_AUTH0_CERT_DIR, print {"caCertPath":...}, exit',
    },
  },
  () => (process.argv.includes("--make-ca") ? import("./make-ca.js") : import("./main.js")),
);
