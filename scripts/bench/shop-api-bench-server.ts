/**
 * Child process of the resource-server benchmark: one test issuer (a fresh RSA key and its JWKS
 * on 127.0.0.1) and the shop API three times, each on its own port, all on one store
 * (`SHOP_BENCH_DATABASE_URL`: PostgreSQL; unset: the embedded database in memory): with token
 * verification and the verified-token cache at its default size, with verification and no cache,
 * and with the bench-only fixed identity. It writes `SHOP_BENCH_DISTINCT_TOKENS` distinct tokens
 * (a JSON array) to `SHOP_BENCH_TOKENS_FILE`; its ready record carries the URLs and one more
 * token. It then serves until SIGTERM, which it also gets when the parent is gone (the
 * supervisor's preload, scripts/stack/exit-with-supervisor.ts).
 */
import { writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { announceReady } from "@ciba-testbed/shared/node";
import {
  Catalog,
  IN_MEMORY,
  createApp,
  createDeps,
  createHttpServer,
  createLogger,
  loadConfig,
  openShopStore,
} from "@ciba-testbed/shop-api";
import type { AppDeps, ShopApiConfig } from "@ciba-testbed/shop-api";

import { TEST_USER, startTestIssuer } from "../../apps/shop-api/src/test-support/test-issuer.js";

export const BENCH_PRODUCT = { id: "xyz-phone", name: "XYZ phone", unitPriceCents: 49_900 };
// Enough that stock never runs out, whatever the machine's speed (the column is a 32-bit integer).
const BENCH_STOCK = 2_000_000_000;

const issuer = await startTestIssuer();
// The shop's store: the embedded database in memory, or PostgreSQL when the parent names one.
const databaseUrl = process.env.SHOP_BENCH_DATABASE_URL ?? "";
const config = loadConfig({
  AUTH0_ISSUER_BASE_URL: issuer.issuer,
  LOG_LEVEL: "info",
  // The load reuses each token for thousands of orders: a token with authorization_details buys
  // once, so the bench measures the scope-only path (the same verification, no approval key).
  SHOP_API_REQUIRE_AUTHORIZATION_DETAILS: "false",
  ...(databaseUrl === ""
    ? { SHOP_API_DATABASE: IN_MEMORY }
    : { SHOP_API_DATABASE_URL: databaseUrl }),
});
const catalog = new Catalog([{ ...BENCH_PRODUCT, stock: BENCH_STOCK }]);
// Both apps sell from one store, as two routes of one shop would.
const opened = await openShopStore(config.database, catalog);

function app(overrides: Partial<AppDeps>, configOverrides: Partial<ShopApiConfig> = {}) {
  return createApp(
    { ...config, ...configOverrides },
    createDeps(config, {
      catalog,
      store: opened.store,
      // Production log level, written nowhere: serialising each line is part of the cost,
      // piping it to a terminal is not.
      logger: createLogger(config.logLevel, { write: () => undefined }),
      ...overrides,
    }),
  );
}

/** Served as main.ts serves the shop: its `createHttpServer`. */
function listen(handler: ReturnType<typeof app>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const { server } = createHttpServer(handler);
    server.listen(0, "127.0.0.1", () => {
      resolve(server);
    });
    server.once("error", reject);
  });
}

const urlOf = (server: Server) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/purchases`;

const authenticated = await listen(app({}));
const uncached = await listen(app({}, { tokenCacheSize: 0 }));
const unauthenticated = await listen(app({ benchmarkWithoutAuthentication: { sub: TEST_USER } }));
// Scope only, no authorization_details: one token may buy any number of times.
const exp = Math.floor(Date.now() / 1000) + 3_600;
const token = await issuer.mint({ exp });
// Tokens of one person, each its own string: `iat` tells them apart.
const distinctTokens = Number(process.env.SHOP_BENCH_DISTINCT_TOKENS ?? "0");
const tokensFile = process.env.SHOP_BENCH_TOKENS_FILE ?? "";
if (tokensFile !== "") {
  const iat = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  for (let i = 1; i <= distinctTokens; i++) tokens.push(await issuer.mint({ exp, iat: iat - i }));
  await writeFile(tokensFile, JSON.stringify(tokens));
}

announceReady({
  service: "shop-api (bench)",
  url: urlOf(authenticated),
  port: (authenticated.address() as AddressInfo).port,
  authenticatedUrl: urlOf(authenticated),
  uncachedUrl: urlOf(uncached),
  unauthenticatedUrl: urlOf(unauthenticated),
  token,
  tokenCacheSize: config.tokenCacheSize,
});

const stop = () => {
  for (const server of [authenticated, uncached, unauthenticated]) server.closeAllConnections();
  // process.exit (not a signal's default action) lets --cpu-prof write its profile.
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
