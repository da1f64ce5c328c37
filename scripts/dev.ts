/**
 * `pnpm dev`: the local demo. mock-auth0 and shop-api on their documented ports, restarted on
 * change, with the approver in `manual` so a person decides every consent request.
 */
import { styleText } from "node:util";

import { z } from "zod";

import { startStack } from "./stack/stack.js";

const env = z
  .object({
    MOCK_AUTH0_PORT: z.coerce.number().int().min(1).max(65_535).default(4010),
    SHOP_API_PORT: z.coerce.number().int().min(1).max(65_535).default(4020),
    MOCK_AUTH0_APPROVER: z.string().min(1).default("manual"),
    LOG_LEVEL: z.string().min(1).default("info"),
  })
  .parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== "")));

const stack = await startStack({
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
