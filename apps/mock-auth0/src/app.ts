import { systemClock } from "@ciba-testbed/shared";
import type { Clock } from "@ciba-testbed/shared";
import { refuseWithoutHost } from "@ciba-testbed/shared/http";
import express from "express";
import type { Express, RequestHandler } from "express";
import type { Logger } from "pino";

import { PolicyApprover } from "./approver/approver.js";
import type { BackchannelStore } from "./backchannel/backchannel-store.js";
import { RefusalLog } from "./backchannel/refusal-log.js";
import { ClientAssertions } from "./client-assertion.js";
import { clientAssertionAuthentication } from "./client-authentication.js";
import { ControlAuth } from "./control-auth.js";
import { ConsentEmails } from "./email/consent-emails.js";
import { errorHandler, rejectMalformedPath } from "./error-handler.js";
import { errors } from "./errors.js";
import { OAUTH_BODY_LIMIT_BYTES } from "./limits.js";
import { BruteForceProtection } from "./login/brute-force.js";
import { LoginState } from "./login/login-state.js";
import { loginRoutes } from "./login/login-routes.js";
import { oauthBody } from "./oauth-body.js";
import { OpaqueAccessTokens } from "./opaque-tokens.js";
import { RefreshTokenStore } from "./refresh-tokens.js";
import {
  authenticationApiLimit,
  bcAuthorizePerIpLimit,
  rateLimitsFor,
} from "./rate-limit/rate-limits.js";
import { silentLogger } from "./logger.js";
import { requestLogging } from "./request-logging.js";
import { DEFAULT_EVENT_STREAM_LIMITS } from "./routes/approver-events.js";
import type { EventStreamLimits } from "./routes/approver-events.js";
import { approverPage } from "./routes/approver-page.js";
import { bcAuthorize } from "./routes/bc-authorize.js";
import { controlApi } from "./routes/control-api.js";
import { emailConsent } from "./routes/email-consent.js";
import { noSniff } from "./routes/page-security.js";
import { revoke } from "./routes/revoke.js";
import { refuseUnservedMethods } from "./routes/served-methods.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { token } from "./routes/token.js";
import { unknownPath } from "./routes/unknown-path.js";
import { userinfoRoutes } from "./routes/userinfo.js";
import type { SigningKeys } from "./signing-keys.js";
import { tenantDirectory } from "./tenant/tenant-directory.js";
import type { Tenant } from "./tenant/tenant-model.js";
import { systemTicker } from "./ticker.js";
import type { Ticker } from "./ticker.js";

export interface MockAuth0Config {
  /** `https://localhost:<port>/`: Auth0 issuers end with a slash, and verifiers compare exactly. */
  issuer: string;
  tenant: Tenant;
  /** `MOCK_AUTH0_CONTROL_TOKEN`: when set, the control API and the page's decisions need it. */
  controlToken?: string | undefined;
  eventStreamLimits?: EventStreamLimits | undefined;
}

export interface MockAuth0Deps {
  keys: SigningKeys;
  /**
   * The requests, whose owner makes time take effect in it (`keepStoreCurrent`): the server
   * with a timer, tests with a manual clock.
   */
  store: BackchannelStore;
  clock?: Clock;
  /** Runs the event stream's heartbeat; a real timer unless a test drives it. */
  ticker?: Ticker;
  approver?: PolicyApprover;
  /** The refused `/bc-authorize` requests the control API shows; a new, empty one unless given. */
  refusals?: RefusalLog;
  logger?: Logger;
  newAuthReqId?: () => string;
}

/** RFC 6749 section 5.1: token responses must not be cached. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Pragma", "no-cache");
  next();
};

/**
 * Auth0's `/oauth/token` answers, tokens and errors alike, as `application/json` with no
 * charset (go-auth0's recordings; `/bc-authorize` and the rest add `charset=utf-8`). Set
 * before anything can answer, so that `sendJson` keeps it for a refusal on the way too.
 */
const tokenEndpointJson: RequestHandler = (_req, res, next) => {
  res.setHeader("Content-Type", "application/json");
  next();
};

const isDiscoveryDocument = (method: string, url: string) =>
  (method === "GET" || method === "HEAD") && url === "/.well-known/openid-configuration";

/** The local Auth0 tenant as an Express app; `main.ts` serves it over HTTPS. */
export function createApp(config: MockAuth0Config, deps: MockAuth0Deps): Express {
  if (!config.issuer.endsWith("/")) {
    throw new Error(`issuer must end with "/" as Auth0 issuers do (got ${config.issuer})`);
  }
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const directory = tenantDirectory(config.tenant);
  const { store } = deps;
  const auth = new ControlAuth(config.controlToken);
  const approver = deps.approver ?? new PolicyApprover(config.tenant.approver);
  const refusals = deps.refusals ?? new RefusalLog();
  const emails = new ConsentEmails(config.issuer, directory, store);
  const { issuer } = config;
  const { keys } = deps;
  const login = new LoginState(clock, config.tenant.login.sessionLifetimeSeconds * 1000);
  const bruteForce = new BruteForceProtection(clock, config.tenant.bruteForce);

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(noSniff);
  const logging = requestLogging(logger);
  if (logging.first) app.use(logging.first);
  // An HTTP/1.1 request without Host gets 400 here rather than from Node (server.ts), whose
  // answer has no body.
  app.use(refuseWithoutHost(errors));
  if (!keys.isReady) {
    // Started with its keys still being made: discovery answers at once, the rest waits.
    app.use((req, _res, next) => {
      if (keys.isReady || isDiscoveryDocument(req.method, req.url)) {
        next();
        return;
      }
      keys.ready.then(() => {
        next();
      }, next);
    });
  }

  const form = oauthBody(OAUTH_BODY_LIMIT_BYTES);
  // Tokens: opaque ones for /userinfo, refresh tokens, and the client assertions already used.
  const opaqueTokens = new OpaqueAccessTokens(issuer);
  const refreshTokens = new RefreshTokenStore();
  const assertions = new ClientAssertions(clock);
  // Profiles were "imported" when the tenant was read: their updated_at.
  const profileUpdatedAt = new Date(clock.now()).toISOString();
  const assertionAuth = (endpoint: string) =>
    clientAssertionAuthentication({ assertions, clients: directory.clients, issuer, endpoint });
  // Auth0's rate limits: the Authentication API's for the whole tenant, then each endpoint's.
  const rateLimits = rateLimitsFor(config.tenant);
  const authenticationApi = authenticationApiLimit(rateLimits, clock);
  app.post(
    "/bc-authorize",
    noStore,
    authenticationApi,
    bcAuthorizePerIpLimit(rateLimits, clock),
    form,
    assertionAuth(`${issuer}bc-authorize`),
    bcAuthorize({
      issuer,
      directory,
      store,
      approver,
      clock,
      logger,
      rateLimits,
      ...(deps.newAuthReqId ? { newAuthReqId: deps.newAuthReqId } : {}),
    }),
  );
  app.post(
    "/oauth/token",
    tokenEndpointJson,
    noStore,
    authenticationApi,
    form,
    assertionAuth(`${issuer}oauth/token`),
    token({
      issuer,
      directory,
      store,
      keys,
      opaqueTokens,
      refreshTokens,
      profileUpdatedAt,
      login,
      clock,
      logger,
    }),
  );
  app.post(
    "/oauth/revoke",
    tokenEndpointJson,
    noStore,
    authenticationApi,
    form,
    assertionAuth(`${issuer}oauth/revoke`),
    revoke({ directory, refreshTokens, clock, logger }),
  );
  // Another method at those three: 405 method_not_allowed with Allow, one of the Authentication
  // API's Standard Error Responses, rather than the 404 of a path nobody serves. An OPTIONS
  // goes on to that 404: no preflight is answered (mock-auth0 serves no browser on another
  // origin).
  app.use(refuseUnservedMethods(app.router));
  // After the busiest routes, which it cannot concern: a path they match has no `%`.
  app.use(rejectMalformedPath);
  app.use(discoveryRoutes(issuer, keys));
  // The login endpoints and /userinfo are Authentication API endpoints too: the tenant's limit.
  app.use(["/authorize", "/u/login", "/v2/logout", "/oidc/logout", "/userinfo"], authenticationApi);
  app.use(
    loginRoutes({
      issuer,
      directory,
      state: login,
      bruteForce,
      keys,
      clock,
      logger,
      profileUpdatedAt,
    }),
  );
  app.use(
    userinfoRoutes({
      issuer,
      directory,
      keys,
      opaqueTokens,
      clock,
      profileUpdatedAt,
      rateLimits,
    }),
  );
  app.use(
    approverPage({
      directory,
      store,
      clock,
      ticker: deps.ticker ?? systemTicker,
      auth,
      limits: config.eventStreamLimits ?? DEFAULT_EVENT_STREAM_LIMITS,
      emails,
    }),
  );
  app.use(emailConsent({ issuer: config.issuer, directory, emails, clock, logger }));
  app.use(
    controlApi({
      directory,
      store,
      approver,
      refusals,
      bruteForce,
      keys,
      clock,
      logger,
      auth,
      emails,
    }),
  );

  app.use(unknownPath());
  if (logging.beforeErrorHandler) app.use(logging.beforeErrorHandler);
  app.use(
    errorHandler(logger, (req, error) => {
      if (req.method === "POST" && req.path === "/bc-authorize") {
        refusals.record(req, error, clock.now());
      }
    }),
  );
  return app;
}
