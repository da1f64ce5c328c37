import { createServer } from "node:https";
import type { Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { systemClock } from "@ciba-testbed/shared";
import {
  ExpressMessageClasses,
  REQUEST_ARRIVAL_OPTIONS,
  answerNodeRefusals,
  answerWith,
  warnOfUnseenLate,
} from "@ciba-testbed/shared/http";
import { serveUntilStopped, serverUrl, urlHostOf } from "@ciba-testbed/shared/node";
import type { Clock } from "@ciba-testbed/shared";
import type { Express } from "express";
import type { Logger } from "pino";

import { createApp } from "./app.js";
import type { MockAuth0Deps } from "./app.js";
import { PolicyApprover } from "./approver/approver.js";
import type { ApproverOutcome } from "./approver/outcome.js";
import { BackchannelStore, monotonicPacingClock } from "./backchannel/backchannel-store.js";
import { keepStoreCurrent } from "./backchannel/keep-current.js";
import { ensureLocalCertificates } from "./certificates.js";
import { errors } from "./errors.js";
import { silentLogger } from "./logger.js";
import type { EventStreamLimits } from "./routes/approver-events.js";
import { SigningKeys } from "./signing-keys.js";
import type { Tenant } from "./tenant/tenant-model.js";
import { systemTicker } from "./ticker.js";
import type { Ticker } from "./ticker.js";

export interface StartOptions {
  tenant: Tenant;
  port: number;
  host: string;
  certDir: string;
  approverDefault?: ApproverOutcome | undefined;
  /** `MOCK_AUTH0_CONTROL_TOKEN`, when the control API needs a token. */
  controlToken?: string | undefined;
  eventStreamLimits?: EventStreamLimits | undefined;
  clock?: Clock;
  /** What makes time take effect in the store; a real timer unless a test drives it. */
  ticker?: Ticker;
  logger?: Logger;
  /**
   * The token-signing keys, made here when not given. Given still being made
   * (`SigningKeys.start()`, or `SigningKeys.persisted()` on a first start), the tenant listens
   * meanwhile and answers discovery; other requests wait for them.
   */
  keys?: SigningKeys | undefined;
  /** Resolves after `ms`: a test's own, for the stop's grace (`STOP_GRACE_MS`). */
  sleep?: (ms: number) => Promise<void>;
}

function answerStopping(_req: IncomingMessage, res: ServerResponse): void {
  // Auth0's error body, as every other refusal of the tenant. Nothing was done: a client may send
  // the same request again (a poll, a /bc-authorize) to the tenant that replaces this one.
  answerWith(
    res,
    errors.temporarilyUnavailable(
      "This tenant is stopping and took no new request: nothing was done. Send the same " +
        "request again in a moment",
    ),
  );
}

/**
 * The approver page's event streams stay open until the page goes: ended at the stop, or they
 * would hold it for the whole grace. The page's EventSource reconnects by itself, to the tenant
 * that replaces this one.
 */
function endEventStream(_req: IncomingMessage, res: ServerResponse): void {
  const type = res.getHeader("Content-Type");
  if (!res.headersSent || typeof type !== "string" || !type.startsWith("text/event-stream")) {
    return;
  }
  // A page that stopped reading would never take the end: it gets nothing more either way.
  if (res.writableNeedDrain) res.destroy();
  else res.end();
}

export interface RunningMockAuth0 {
  issuer: string;
  /** What `NODE_EXTRA_CA_CERTS` must point at for a Node process to trust this tenant. */
  caCertPath: string;
  /**
   * What a person must know of that CA, said once (a new one that replaced the CA there before,
   * which whatever trusted the old one must now trust; one an older version made): also logged.
   */
  caNote?: string;
  port: number;
  store: BackchannelStore;
  approver: PolicyApprover;
  keys: SigningKeys;
  server: Server;
  /** The app that serves `server`'s requests (through `serveUntilStopped`). */
  app: Express;
  /**
   * Stops without cutting off a request the tenant took (`serveUntilStopped`): requests under
   * way are answered, later ones get `503 temporarily_unavailable` with `Retry-After`, all with
   * `Connection: close`; the approver page's event streams are ended. Resolves once every
   * connection has closed, `STOP_GRACE_MS` at most.
   */
  close(): Promise<void>;
}

/**
 * Starts the tenant over HTTPS. Port 0 picks a free port. The issuer names `localhost` on the
 * default 127.0.0.1 and on every address (0.0.0.0, ::), and the address or name listened on
 * otherwise (`urlHostOf`: https://127.0.0.2:4010/), which the server certificate then covers too.
 */
export async function startMockAuth0(options: StartOptions): Promise<RunningMockAuth0> {
  const host = urlHostOf(options.host);
  // Two RSA key pairs and (on a first start) the certificates: made at once, in the thread pool.
  const [certificates, keys] = await Promise.all([
    ensureLocalCertificates(options.certDir, undefined, host),
    options.keys ?? SigningKeys.create(),
  ]);
  const tenant: Tenant = options.approverDefault
    ? {
        ...options.tenant,
        approver: { ...options.tenant.approver, default: options.approverDefault },
      }
    : options.tenant;
  const clock = options.clock ?? systemClock;
  // On the system clock, polls are paced on the monotonic one; a test's clock paces them itself.
  const store = new BackchannelStore(
    tenant.ciba,
    clock,
    options.clock === undefined ? monotonicPacingClock : undefined,
  );
  const approver = new PolicyApprover(tenant.approver);
  // Requests made with the app's prototypes already: Express need not swap them (less garbage).
  const messages = new ExpressMessageClasses();
  const server = createServer({
    key: certificates.key,
    cert: certificates.cert,
    // The CAs a server trusts only verify client certificates, and it asks for none. Without a
    // list of its own, Node loads its bundled root store for this server at start: a tenant
    // was ready in 391 ms for 423 ms of CPU with it, in 355 ms for 387 ms without (median of 12
    // alternating starts, 2-core AMD EPYC).
    ca: [],
    // Answered by the app, as a JSON error: Node's own 400 has an empty body.
    requireHostHeader: false,
    // 30 s for a request to arrive whole, not Node's 300 s; answered 408.
    ...REQUEST_ARRIVAL_OPTIONS,
    ...messages.serverOptions,
  });
  server.keepAliveTimeout = 5_000;
  const logger = options.logger ?? silentLogger;
  // What Node answers itself with an empty body, or drops, gets the tenant's JSON error.
  answerNodeRefusals(server, errors, {
    onLate: warnOfUnseenLate(logger),
    server: "tenant",
    connectHint:
      "this is an Auth0 tenant, not a proxy. Send POST /oauth/token, POST /bc-authorize or " +
      "GET /.well-known/openid-configuration",
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `${serverUrl("https", options.host, port)}/`;
  const ticker = options.ticker ?? systemTicker;
  const deps: MockAuth0Deps = {
    keys,
    clock,
    ticker,
    store,
    approver,
    logger,
  };
  if (certificates.note !== undefined) (options.logger ?? silentLogger).warn(certificates.note);
  const app = createApp(
    {
      issuer,
      tenant,
      controlToken: options.controlToken,
      eventStreamLimits: options.eventStreamLimits,
    },
    deps,
  );
  messages.adopt(app);
  const stop = serveUntilStopped(server, app, {
    refuse: answerStopping,
    endAtStop: endEventStream,
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
  });
  const stopTime = keepStoreCurrent(store, clock, ticker);

  return {
    issuer,
    caCertPath: certificates.caCertPath,
    ...(certificates.note === undefined ? {} : { caNote: certificates.note }),
    port,
    store,
    approver,
    keys,
    server,
    app,
    close: async () => {
      stopTime();
      await stop();
    },
  };
}
