import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";

import { systemClock } from "@ciba-testbed/shared";
import { announceReady, closeOnSignals, listenFailureLine } from "@ciba-testbed/shared/node";
import { dropLogWhenUnwritable } from "@ciba-testbed/shared/node/unwritable-log";

import { createApp } from "./app.js";
import { Catalog } from "./catalog.js";
import type { ShopApiConfig } from "./config.js";
import { createDeps, issuerCheck } from "./deps.js";
import { createHttpServer } from "./http-server.js";
import { IssuerCheckError } from "./issuer-check.js";
import type { IssuerCheckResult } from "./issuer-check.js";
import { LocalCaError } from "./issuer-trust.js";
import type { IssuerTrust } from "./issuer-trust.js";
import { checkIssuerWaiting } from "./issuer-wait.js";
import { createLogger } from "./logging.js";
import { DataDirInUseError } from "./store/data-dir-lock.js";
import { MigrationError } from "./store/migrations.js";
import { DatabaseOpenError } from "./store/open-database.js";
import { modeText } from "./store/private-folder.js";
import { openShopStore } from "./store/open-shop-store.js";

/**
 * The V8 flags the shop sets for itself once Node's own modules are loaded, if any. A shop that
 * lives for one test or demo (`SHOP_API_SHORT_LIVED`) never runs long enough for V8's optimising
 * WebAssembly tier to pay off: with the baseline compiler alone (Liftoff) its embedded database
 * opens for about half the CPU. Set late rather than as `--liftoff-only` on Node's command line,
 * where any V8 flag makes V8 refuse the code cache Node ships for its own modules: a stack's shop
 * started for 1.18 s of CPU instead of 1.23 s with the flag on the command line, ready in
 * 1.03 s instead of 1.05 s (median of 18 alternating starts; 2.04 s of CPU with neither, median
 * of 8; 2-core AMD EPYC).
 */
export function lateV8Flags(
  config: Pick<ShopApiConfig, "shortLived" | "database">,
): string | undefined {
  return config.shortLived && config.database.kind === "embedded" ? "--liftoff-only" : undefined;
}

/**
 * The server part of `main.ts`, loaded by it only once the process is to serve: checks the
 * issuer, opens the database, listens, prints the ready record, and closes in order on a
 * signal. Exits 1 with one line when the issuer or the database stops it (an issuer that refuses
 * connections once `issuerWaitMs` is over), 2 when a local tenant's CA that appeared meanwhile
 * cannot be read. `trust`: what the issuer's certificate is trusted with (`IssuerTrust`).
 */
export async function serve(
  config: ShopApiConfig,
  options: { reset: boolean; trust: IssuerTrust },
): Promise<void> {
  const logger = createLogger(config.logLevel);
  dropLogWhenUnwritable(logger);
  const { trust } = options;
  try {
    const waitMs = config.issuerWaitMs ?? 0;
    const issuer = await checkIssuerWaiting(() => checkIssuerTrusting(config, trust), {
      waitMs,
      onWait: (error) => {
        logger.warn(
          { problem: error.problem, waitMs },
          `the issuer refuses connections: trying again for up to ${waitMs} ms (SHOP_API_ISSUER_WAIT_MS)`,
        );
      },
    });
    logger.info(
      { issuer: issuer.issuer, jwksKeys: issuer.keyCount },
      "issuer reachable and trusted",
    );
  } catch (error) {
    if (error instanceof IssuerCheckError || error instanceof LocalCaError) {
      logger.fatal(
        error instanceof IssuerCheckError ? { problem: error.problem } : {},
        error.message,
      );
      console.error(`shop-api cannot start: ${error.message}`);
      process.exit(error instanceof LocalCaError ? 2 : 1);
    }
    throw error;
  }
  const { tokenVerification } = trust;

  // Node's modules are all loaded by now, HTTPS and TLS with the issuer check.
  const flags = lateV8Flags(config);
  if (flags !== undefined) setFlagsFromString(flags);

  const catalog = new Catalog();
  let opened;
  try {
    opened = await openShopStore(config.database, catalog, {
      reset: options.reset,
      // The app's clock (createDeps' default).
      clock: systemClock,
      onConnectionError: (error) => {
        logger.warn({ err: error }, "a database connection broke; the pool replaces it");
      },
    });
  } catch (error) {
    if (
      error instanceof DatabaseOpenError ||
      error instanceof DataDirInUseError ||
      error instanceof MigrationError
    ) {
      logger.fatal(error.message);
      console.error(`shop-api cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const { closedToOthers } = opened.database;
  if (closedToOthers !== undefined) {
    logger.warn(
      { database: opened.database.where, mode: modeText(closedToOthers) },
      `the database's folder was open to other users (mode ${modeText(closedToOthers)}, as earlier versions made it): it is now this user's alone (0700), and its files lost their group and other permissions`,
    );
  }
  const { foreignLockSocket } = opened.database;
  if (foreignLockSocket !== undefined) {
    logger.warn(
      {
        database: opened.database.where,
        socket: foreignLockSocket.path,
        uid: foreignLockSocket.uid,
      },
      `a socket of user ${String(foreignLockSocket.uid)}, not this user's, is where shop-api versions before 9e0f5c1 put this folder's lock (${foreignLockSocket.path}): any user may make a socket there, so it was not taken for a shop holding the folder (a shop-api of such a version is refused the folder while it is there; that user or root may remove it)`,
    );
  }
  if (opened.database.remadeUnfinished === true) {
    logger.warn(
      { database: opened.database.where },
      "the database's folder held a new database that a start or --reset was stopped while it made it, before it was ready to take orders: it was emptied and made anew",
    );
  }
  if (opened.database.remadeBecause !== undefined) {
    logger.warn(
      { database: opened.database.where, problem: opened.database.remadeBecause },
      "--reset: PostgreSQL did not start on the database's folder, so it was emptied and made anew",
    );
  }
  const { record } = opened;
  const recordBegan = new Date(record.beganAt).toISOString();
  // A copy of an empty database (the testkit's of its cached one) is no news.
  if (record.movedFrom !== undefined && record.heldOrders === true) {
    logger.warn(
      { database: opened.database.where, movedFrom: record.movedFrom, recordBegan },
      `the database's record of spent approvals began in another folder (${String(record.movedFrom)}): a copy of a database, or one moved, may not hold every approval spent, so it begins anew now, and an approval issued before is refused (ask the person for a new one)`,
    );
  }
  logger.info(
    {
      database: opened.database.where,
      kind: config.database.kind,
      // An approval issued before it buys nothing: it may have been spent in a database the
      // shop no longer has.
      recordBegan,
      // A new embedded database loaded from the package's empty cluster instead of initdb.
      createdFrom: opened.database.createdFrom,
      migrated: opened.migrated,
      reset: options.reset,
    },
    options.reset ? "database reset and ready" : "database ready",
  );
  const deps = createDeps(config, {
    catalog,
    store: opened.store,
    logger,
    tokenVerification,
    checkIssuer: issuerCheck(config, tokenVerification, trust.untrustedHint()),
  });

  const { server, stop } = createHttpServer(createApp(config, deps), { logger });
  server.listen(config.port, config.host, () => {
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(":") ? `[${address}]` : address;
    const url = `http://${host}:${port}`;
    logger.info({ url, audience: config.audience, issuer: config.issuer }, "shop-api listening");
    if (!config.requireAuthorizationDetails) {
      logger.warn(
        "SHOP_API_REQUIRE_AUTHORIZATION_DETAILS=false: a token with product:buy and no authorization_details buys anything, as often as asked, until it expires",
      );
    }
    // For supervisors (`pnpm dev`, the tests): printed whatever LOG_LEVEL says.
    announceReady({ service: "shop-api", url, port });
  });
  server.on("error", (error) => {
    // A taken port or a wrong address is the operator's to fix, not a fault: one line a person
    // reads, as mock-auth0 and the model server print it, and no log record with a stack.
    const line = listenFailureLine(error, { port: "SHOP_API_PORT", host: "SHOP_API_HOST" });
    if (line === undefined) logger.fatal({ err: error }, "shop-api could not listen");
    process.stderr.write(line ?? `shop-api could not listen: ${error.message}\n`);
    process.exit(1);
  });

  // Every request the server took is answered (orders under way finish, each one transaction
  // either way; later ones get 503), then the database closes: the embedded one flushes and
  // frees its folder for the next start. A request still running when the grace ran out has
  // lost its connection by then: nobody reads what it answers.
  closeOnSignals(
    async () => {
      await stop();
      // Waits for the transactions under way.
      await opened.close();
    },
    (signal) => {
      logger.info({ signal }, "shop-api stopping");
    },
  );
}

/**
 * One try of the start-up issuer check. A local tenant started at the same time as the shop may
 * make its CA after the shop looked for it: it is looked for again before each try, and once
 * more when the certificate was untrusted (the tenant made it and listened in between).
 */
async function checkIssuerTrusting(
  config: ShopApiConfig,
  trust: IssuerTrust,
): Promise<IssuerCheckResult> {
  trust.refresh();
  const check = () => issuerCheck(config, trust.tokenVerification, trust.untrustedHint())();
  try {
    return await check();
  } catch (error) {
    if (error instanceof IssuerCheckError && error.problem === "tls_untrusted" && trust.refresh()) {
      return check();
    }
    throw error;
  }
}
