import { systemClock, type Clock } from "@ciba-testbed/shared";
import type { Express } from "express";

import { createMemoryStore } from "../agent-store.js";
import { createOfflineModel } from "../offline-model.js";
import { ThreadJournal } from "../thread-journal.js";
import { ChatThreads } from "./chat-threads.js";
import { LoginSessions } from "./login-sessions.js";
import { createWebApp, type WebDeps } from "./web-app.js";
import type { WebConfig } from "./web-config.js";

/**
 * For tests: the web app with the offline model (or `deps.model`) and a memory store, and nothing
 * reached past it (no Auth0 for purchases, no shop). `clock` is the chats' (a clock at 0 that
 * never waits unless set); the rest of `deps` as `createWebApp` takes it.
 */
export function offlineWebApp(
  config: WebConfig,
  {
    clock = { now: () => 0, sleep: () => Promise.resolve() },
    ...deps
  }: Partial<Omit<WebDeps, "threads">> & { clock?: Clock } = {},
): Express {
  const store = createMemoryStore();
  const threads = new ChatThreads({
    config: config.agent,
    store,
    journal: new ThreadJournal(store),
    authorizer: { withAsyncAuthorization: () => ({}) } as never,
    fetch: () => Promise.reject(new Error("no network in this test")),
    clock,
  });
  return createWebApp(config, {
    model: createOfflineModel(),
    sessions: new LoginSessions(systemClock),
    clientScript: () => Promise.resolve("export {};"),
    ...deps,
    threads,
  });
}
