import express, { urlencoded, json } from "express";
import type { Express, RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import type { Logger } from "pino";

import { PolicyApprover } from "./approver/approver.js";
import { BackchannelStore } from "./backchannel/backchannel-store.js";
import { systemClock } from "./clock.js";
import type { Clock } from "./clock.js";
import { silentLogger } from "./logger.js";
import { notFound, oauthErrorHandler } from "./oauth-error.js";
import { approverPage } from "./routes/approver-page.js";
import { bcAuthorize } from "./routes/bc-authorize.js";
import { controlApi } from "./routes/control-api.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { token } from "./routes/token.js";
import type { SigningKeys } from "./signing-keys.js";
import { tenantDirectory } from "./tenant/tenant-directory.js";
import type { Tenant } from "./tenant/tenant-schema.js";

export interface MockAuth0Config {
  /** `https://localhost:<port>/`: Auth0 issuers end with a slash, and verifiers compare exactly. */
  issuer: string;
  tenant: Tenant;
}

export interface MockAuth0Deps {
  keys: SigningKeys;
  clock?: Clock;
  store?: BackchannelStore;
  approver?: PolicyApprover;
  logger?: Logger;
  newAuthReqId?: () => string;
}

/** RFC 6749 section 5.1: token responses must not be cached. */
const noStore: RequestHandler = (_req, res, next) => {
  res.set({ "Cache-Control": "no-store", Pragma: "no-cache" });
  next();
};

/** The local Auth0 tenant as an Express app; `main.ts` serves it over HTTPS. */
export function createApp(config: MockAuth0Config, deps: MockAuth0Deps): Express {
  if (!config.issuer.endsWith("/")) {
    throw new Error(`issuer must end with "/" as Auth0 issuers do (got ${config.issuer})`);
  }
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const directory = tenantDirectory(config.tenant);
  const store = deps.store ?? new BackchannelStore(config.tenant.ciba, clock);
  const approver = deps.approver ?? new PolicyApprover(config.tenant.approver);
  const { issuer } = config;
  const { keys } = deps;

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(
    pinoHttp({
      logger,
      customLogLevel: (_req, res, error) =>
        error !== undefined || res.statusCode >= 500 ? "error" : "info",
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  const form = [urlencoded({ extended: false, limit: "20kb" }), json({ limit: "20kb" })];
  app.use(discoveryRoutes(issuer, directory, keys));
  app.post(
    "/bc-authorize",
    noStore,
    ...form,
    bcAuthorize({
      issuer,
      directory,
      store,
      approver,
      clock,
      logger,
      ...(deps.newAuthReqId ? { newAuthReqId: deps.newAuthReqId } : {}),
    }),
  );
  app.post(
    "/oauth/token",
    noStore,
    ...form,
    token({ issuer, directory, store, keys, clock, logger }),
  );
  app.use(approverPage({ directory, store, clock }));
  app.use(controlApi({ directory, store, approver, keys, logger }));

  app.use((req, _res, next) => {
    next(notFound(`No route for ${req.method} ${req.path}`));
  });
  app.use(oauthErrorHandler(logger));
  return app;
}
