import type { AddressInfo } from "node:net";

import { Auth0AI } from "@auth0/ai-vercel";
import { ConfigError, systemClock } from "@ciba-testbed/shared";
import { announceReady } from "@ciba-testbed/shared/node";

import { createMemoryStore } from "../agent-store.js";
import { auth0Store } from "../auth0-store.js";
import { createModel } from "../model.js";
import { terminalText } from "../terminal-text.js";
import { ThreadJournal } from "../thread-journal.js";
import { ChatThreads } from "./chat-threads.js";
import { chatClientScript } from "./client-bundle.js";
import { listenFailure } from "./listen-failure.js";
import { LoginSessions } from "./login-sessions.js";
import { describeUnconfirmedOrders } from "./unconfirmed-orders.js";
import { createWebApp } from "./web-app.js";
import { loadWebConfig, type WebConfig } from "./web-config.js";
import { createWebServer } from "./web-server.js";

/**
 * `pnpm agent serve`: the web app on AGENT_PORT. Threads, approvals and login sessions live in
 * this process's memory (tokens never touch the disk), bounded (see KeptChats and
 * LoginSessions); a restart forgets chats that wait for an answer, and the person logs in again.
 * Prints the ready record once it listens; stops on SIGINT, SIGTERM or SIGHUP: at once, but for the
 * requests it took (answered, or 503 once the stop has begun; a chat's event stream is cut, see
 * `createWebServer`) and an order already sent to the shop (see `ChatThreads.ordersSettled`).
 * The caller exits with the code: 0 after a clean stop, 1 when closing the server failed or an
 * order sent to the shop was still unanswered when the app stopped (each named on stderr).
 */
export async function serve(config: WebConfig): Promise<number> {
  const { agent } = config;
  const store = createMemoryStore();
  const threads = new ChatThreads({
    config: agent,
    store,
    journal: new ThreadJournal(store),
    authorizer: new Auth0AI({ auth0: { ...agent.auth0 }, store: auth0Store(store) }),
    fetch: globalThis.fetch,
    clock: systemClock,
    monotonicMs: () => performance.now(),
  });
  const app = createWebApp(config, {
    threads,
    model: await createModel(agent),
    sessions: new LoginSessions(systemClock),
    clientScript: chatClientScript(),
  });
  const { server, stop } = createWebServer(app);
  for (const warning of config.warnings) process.stderr.write(`${warning}\n`);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // A port or host that cannot be used is the operator's to change: the variable and the fix,
    // as mock-auth0 and shop-api say it, not an "Unexpected error" with Node's words alone.
    const failure = listenFailure(error, config);
    if (failure === undefined) throw error;
    process.stderr.write(`${failure.message}\nFix: ${failure.fix}\n`);
    return failure.exitCode;
  }
  const { port } = server.address() as AddressInfo;
  const url = config.baseUrl;
  // Taken before the ready record goes out: a supervisor that signals on reading it would
  // otherwise meet Node's default for a signal no listener takes yet, death by it (129, 143).
  const stopped = new Promise<boolean>((resolve) => {
    // Every signal is taken, not only the first: Node's --watch (`pnpm dev`) sends a SIGTERM to
    // the whole process group, so the app gets two, and a second one left to Node's default
    // would kill it while it answers the requests it took. SIGHUP is a closed terminal, a stop
    // as for the other servers (closeOnSignals), not Node's death by the signal.
    let stopping: Promise<void> | undefined;
    const onSignal = () => {
      stopping ??= stop().then(
        () => {
          resolve(true);
        },
        (error: unknown) => {
          process.stderr.write(
            `The web app did not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`,
          );
          resolve(false);
        },
      );
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  });
  process.stderr.write(
    `agent web app: ${url} (log in, then ask, e.g. "Buy 2 XYZ phones"; mode ${agent.mode})\n`,
  );
  announceReady({ service: "agent-web", url, port });
  const clean = await stopped;
  // The chats' requests ended with their connections, but a block-mode purchase still polls
  // Auth0 for the person's answer, for minutes: it goes with this process, which alone knew it.
  // An order already at the shop is let finish first.
  const unconfirmed = await threads.ordersSettled(ORDER_GRACE_MS);
  if (unconfirmed.length > 0) {
    process.stderr.write(
      `${terminalText(
        describeUnconfirmedOrders(unconfirmed, {
          purchasesUrl: agent.shopApiUrl,
          graceMs: ORDER_GRACE_MS,
        }),
      )}\n`,
    );
    return 1;
  }
  return clean ? 0 : 1;
}

/**
 * How long a stopping web app waits for orders already sent to the shop: the order step's
 * attempts and pauses, with room to spare.
 */
const ORDER_GRACE_MS = 15_000;

/** The `serve` command: a configuration problem exits 2 with every problem named. */
export async function runServe(env: Record<string, string | undefined>): Promise<number> {
  let config: WebConfig;
  try {
    config = loadWebConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  return serve(config);
}
