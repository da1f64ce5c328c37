import { refuseWithoutHost } from "@ciba-testbed/shared/http";
import express from "express";
import type { Express } from "express";

import { acceptAbsoluteForm } from "./absolute-form.js";
import type { ShopApiConfig } from "./config.js";
import type { AppDeps } from "./deps.js";
import { errorHandler } from "./error-handler.js";
import { errors } from "./errors.js";
import { httpLogger } from "./logging.js";
import { buildOpenApiDocument } from "./openapi.js";
import { listOrderPage } from "./order-listing.js";
import { cachedReadiness } from "./readiness.js";
import { answerAsteriskForm, defaultHostForHttp10 } from "./request-target.js";
import { adminRoutes } from "./routes/admin.js";
import { operationRoutes } from "./routes/operations.js";
import { productRoutes } from "./routes/products.js";
import { purchaseRoutes } from "./routes/purchases.js";

/** The shop API as an Express app. It never listens: `main.ts` (or a test) does. */
export function createApp(config: ShopApiConfig, deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");

  app.use(httpLogger(deps.logger));
  app.use((_req, res, next) => {
    // Orders and errors are per caller: no shared cache may keep them. First, so that every
    // answer has them, the refusals below included.
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");
    next();
  });
  // An HTTP/1.1 request without Host gets 400 here rather than from Node (see http-server.ts),
  // so the answer is the usual JSON error.
  app.use(refuseWithoutHost(errors));
  app.use(acceptAbsoluteForm);
  app.use(defaultHostForHttp10);
  app.use(answerAsteriskForm);

  const sayFilesGone = filesGoneOnce(deps.store, deps.logger);
  app.use(
    operationRoutes(
      cachedReadiness(
        async () => {
          // Ready when it can sell: the issuer's keys for the tokens, the database for the orders
          // (a purchase's writes tried, nothing written: `ShopStore.ready`).
          const [issuer] = await Promise.all([
            deps.checkIssuer(),
            deps.store.ready().catch((error: unknown) => {
              sayFilesGone();
              throw error;
            }),
          ]);
          return issuer;
        },
        deps.clock,
        deps.readinessTtlMs,
        deps.monotonicMs,
      ),
      buildOpenApiDocument(config),
    ),
  );
  app.use(productRoutes(deps.catalog, deps.store));
  app.use(
    purchaseRoutes({
      config,
      tokenVerification: deps.tokenVerification,
      withoutAuthentication: deps.benchmarkWithoutAuthentication,
      deps: {
        catalog: deps.catalog,
        store: deps.store,
        clock: deps.clock,
        newOrderId: deps.newOrderId,
      },
    }),
  );

  if (config.adminToken !== undefined) {
    app.use(
      adminRoutes({
        token: config.adminToken,
        listOrders: (sub, query) => listOrderPage(deps.store, sub, query, ["user"]),
      }),
    );
  }

  app.use((req, _res, next) => {
    next(errors.notFound(`No route for ${req.method} ${req.path.slice(0, 200)}`));
  });
  app.use(errorHandler(deps.logger, sayFilesGone));
  return app;
}

/**
 * Logs once, at error, what to do when the store's files are gone (`ShopStore.filesGone`: the
 * embedded database's folder deleted under the running shop), looked for each time the database
 * fails a request or the readiness check; every request then gets 503.
 */
function filesGoneOnce(store: AppDeps["store"], logger: AppDeps["logger"]): () => void {
  let said = false;
  return () => {
    if (said) return;
    const gone = store.filesGone?.();
    if (gone === undefined) return;
    said = true;
    logger.error(gone);
  };
}
