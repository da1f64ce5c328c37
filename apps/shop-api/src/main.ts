import { parseArgs } from "node:util";

import { ConfigError } from "@ciba-testbed/shared";
import {
  hideUrlsInNodeWarnings,
  keepServingWithoutOutput,
  loadServerConfig,
  mapStacksOfCrashes,
} from "@ciba-testbed/shared/node";

import { loadConfig } from "./config.js";
import { IssuerTrust } from "./issuer-trust.js";

const USAGE = `Usage: shop-api [--reset]

  --reset  empty the database first: every order, Idempotency-Key and used approval is
           deleted and the stock is the catalog's again (all migrations undone, then run);
           an approval issued before the reset buys nothing after it, spent or not
`;

function parseOptions(): { reset: boolean } {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { reset: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help === true) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    return { reset: values.reset === true };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  let config;
  try {
    config = await loadServerConfig("shop-api", "SHOP_API_HOST", process.env, loadConfig);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Exit 2, as mock-auth0 and the model server: starting again unchanged cannot help.
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  // Against the local tenant, trust its CA without asking, in this process: the issuer's agent
  // gets it (serve.ts), since Node reads NODE_EXTRA_CA_CERTS only at start.
  let trust: IssuerTrust;
  try {
    trust = new IssuerTrust(config.issuer, process.env);
  } catch (error) {
    console.error(`shop-api cannot start: ${(error as Error).message}`);
    process.exit(2);
  }
  // Loaded only now: `--help` and a configuration error load none of the server (Express, the
  // token verifier, PGlite), a fifth of a second of CPU.
  const { serve } = await import("./serve.js");
  await serve(config, { ...options, trust });
}

// Started without --enable-source-maps (LAZY_SOURCE_MAPS in scripts/build.js): a crash's stack
// is mapped to the TypeScript sources when it is printed, as the stacks the shop logs are.
mapStacksOfCrashes();
// A reader of its output that has gone, or a full disk, is no reason to stop serving.
keepServingWithoutOutput("shop-api");
// A request target Express hands to url.parse() is not quoted on stderr: it may hold a password.
hideUrlsInNodeWarnings();
await main();
