#!/usr/bin/env node
/**
 * `mock-auth0`, the package's bin: `--port`, `--ready-file` and `--help`, then the tenant.
 * Built into `dist/bin.js` for the published package; in the repository `pnpm mock-auth0` runs it,
 * and `pnpm dev` runs `src/main.ts`.
 */
import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { runServerBin } from "@ciba-testbed/shared/node";

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
    variables: {
      MOCK_AUTH0_PORT: `port to listen on; 0 picks a free one (default ${port})`,
      MOCK_AUTH0_HOST: "address to listen on (default 127.0.0.1)",
      MOCK_AUTH0_CERT_DIR: "where the local CA and the server certificate are kept and reused",
      MOCK_AUTH0_SIGNING_KEYS:
        "where the token-signing keys are kept across restarts (default signing-keys.json there)",
      MOCK_AUTH0_TENANT: "a Deploy CLI tenant.yaml or an a0deploy export folder",
      MOCK_AUTH0_USERS: "the users, in Auth0's bulk import format (default users.json beside it)",
      MOCK_AUTH0_SETTINGS:
        "mock-auth0.json: clients' secrets, approver, timings (default beside it)",
      MOCK_AUTH0_APPROVER:
        "the approver's default outcome: manual, approve, deny, ignore, approve-after:<ms>, ...",
      MOCK_AUTH0_CONTROL_TOKEN:
        "when set, the control API and approver page need this bearer token",
      LOG_LEVEL: "pino level or 'silent' (default info)",
    },
  },
  () => import("./main.js"),
);
