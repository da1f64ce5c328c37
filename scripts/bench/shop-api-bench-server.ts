/**
 * Child process of the resource-server benchmark: one test issuer (a fresh RSA key and its JWKS
 * on 127.0.0.1) and the shop API twice, with token verification and with the bench-only fixed
 * identity, each on its own port, both on one store (`SHOP_BENCH_DATABASE_URL`: PostgreSQL;
 * unset: the embedded database in memory). Its ready record carries both URLs and a token; it then
 * serves until the parent closes stdin or sends SIGTERM.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { announceReady } from "@ciba-testbed/shared/node";
import {
  Catalog,
  IN_MEMORY,
  createApp,
  createDeps,
  createLogger,
  loadConfig,
  openShopStore,
} from "@ciba-testbed/shop-api";
import type { AppDeps } from "@ciba-testbed/shop-api";

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
  ...(databaseUrl === ""
    ? { SHOP_API_DATABASE: IN_MEMORY }
    : { SHOP_API_DATABASE_URL: databaseUrl }),
});
const catalog = new Catalog([{ ...BENCH_PRODUCT, stock: BENCH_STOCK }]);
// Both apps sell from one store, as two routes of one shop would.
const opened = await openShopStore(config.database, catalog);

function app(overrides: Partial<AppDeps>) {
  return createApp(
    config,
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

function listen(handler: ReturnType<typeof app>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = handler.listen(0, "127.0.0.1", () => {
      resolve(server);
    });
    server.once("error", reject);
  });
}

const urlOf = (server: Server) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/purchases`;

const authenticated = await listen(app({}));
const unauthenticated = await listen(app({ benchmarkWithoutAuthentication: { sub: TEST_USER } }));
// Scope only, no authorization_details: one token may buy any number of times.
const token = await issuer.mint({ exp: Math.floor(Date.now() / 1000) + 3_600 });

announceReady({
  service: "shop-api (bench)",
  url: urlOf(authenticated),
  port: (authenticated.address() as AddressInfo).port,
  authenticatedUrl: urlOf(authenticated),
  unauthenticatedUrl: urlOf(unauthenticated),
  token,
});

const stop = () => {
  authenticated.closeAllConnections();
  unauthenticated.closeAllConnections();
  // process.exit (not a signal's default action) lets --cpu-prof write its profile.
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
