/**
 * `pnpm dev`: the local demo. mock-auth0 and shop-api on their documented ports, restarted on
 * change, with the approver in `manual` so a person decides every consent request.
 */
import { styleText } from "node:util";

import { ConfigError, LOCAL_DEFAULTS, parseEnv, portSchema } from "@ciba-testbed/shared";
import { logLevelSchema } from "@ciba-testbed/shared/http";
import { startStack } from "@ciba-testbed/stack";
import { z } from "zod";

const envSchema = z.object({
  MOCK_AUTH0_PORT: portSchema.default(LOCAL_DEFAULTS.mockAuth0Port),
  SHOP_API_PORT: portSchema.default(LOCAL_DEFAULTS.shopApiPort),
  MOCK_AUTH0_APPROVER: z.string().default("manual"),
  MOCK_AUTH0_CONTROL_TOKEN: z.string().optional(),
  LOG_LEVEL: logLevelSchema.default("info"),
});

let env: z.output<typeof envSchema>;
try {
  env = parseEnv(envSchema, process.env, { app: "pnpm dev" });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const stack = await startStack({
  ...(env.MOCK_AUTH0_CONTROL_TOKEN === undefined
    ? {}
    : { controlToken: env.MOCK_AUTH0_CONTROL_TOKEN }),
  mockAuth0Port: env.MOCK_AUTH0_PORT,
  shopApiPort: env.SHOP_API_PORT,
  approver: env.MOCK_AUTH0_APPROVER,
  logLevel: env.LOG_LEVEL,
  watch: true,
  output: process.stdout,
});

const agentEnv = stack.agentEnv();
const bold = (text: string) => styleText("bold", text);
const dim = (text: string) => styleText("dim", text);
process.stdout.write(
  [
    "",
    bold("ciba-testbed is running"),
    `  mock-auth0   ${stack.issuer}   (approver: ${env.MOCK_AUTH0_APPROVER})`,
    `  shop-api     ${stack.shopApiUrl}   (catalog: ${stack.shopApiUrl}/api/products)`,
    "",
    bold("1. Ask the agent to buy something, in another terminal:"),
    '  pnpm agent "Buy 2 XYZ phones"',
    "",
    bold("2. Answer the consent request on the approver page (what the phone would do):"),
    `  ${stack.issuer}approver`,
    dim(`  (your browser must trust ${stack.caCertPath}, or accept the warning once)`),
    "  or with the control API:",
    `  curl -s --cacert ${stack.caCertPath} ${stack.issuer}approver/api/requests?status=pending`,
    `  curl -s --cacert ${stack.caCertPath} -X POST ${stack.issuer}approver/api/requests/<auth_req_id>/approve`,
    "",
    bold("Values in use (the defaults of .env.example):"),
    ...Object.entries(agentEnv).map(([key, value]) => `  ${key}=${value}`),
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n"),
);
