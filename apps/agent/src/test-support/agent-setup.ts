import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import type { LanguageModelV2 } from "@ai-sdk/provider";
import { ManualClock, type Clock } from "@ciba-testbed/shared";

import { createAgent, type AgentDeps } from "../agent.js";
import type { BootClock } from "../boot-clock.js";
import type { AgentStore } from "../agent-store.js";
import type { AgentConfig } from "../config.js";
import { createOfflineModel } from "../offline-model.js";
import { recordEvents, testConfig } from "./stubs.js";

// Tool call ids continue across restarts, as a real model's do; so do purchase ids.
let toolCalls = 0;
let purchaseIds = 0;

export function resetToolCalls(): void {
  toolCalls = 0;
  purchaseIds = 0;
}

/** An agent on thread `thread-1` with the offline model, a fake clock and recorded events. */
export function setup<C extends Clock = ManualClock>(
  options: {
    config?: AgentConfig;
    store?: AgentStore;
    clock?: C;
    /** The monotonic clock, when a test moves it apart from `clock`. */
    monotonicMs?: () => number;
    /** The machine's boot clock; none unless given, as on a machine that names no boot. */
    bootClock?: BootClock;
    model?: LanguageModelV2;
    beforeOrder?: AgentDeps["beforeOrder"];
    beforeApprovalRequest?: AgentDeps["beforeApprovalRequest"];
    fetch?: typeof fetch;
  } = {},
) {
  const clock = options.clock ?? (new ManualClock() as Clock as C);
  const recorder = recordEvents();
  const agent = createAgent(options.config ?? testConfig(), {
    model: options.model ?? createOfflineModel({ generateId: () => `call_${++toolCalls}` }),
    clock,
    output: recorder.output,
    newThreadId: () => "thread-1",
    newPurchaseId: () => `pur_${++purchaseIds}`,
    ...(options.store ? { store: options.store } : {}),
    ...(options.monotonicMs ? { monotonicMs: options.monotonicMs } : {}),
    ...(options.bootClock ? { bootClock: options.bootClock } : {}),
    ...(options.beforeOrder ? { beforeOrder: options.beforeOrder } : {}),
    ...(options.beforeApprovalRequest
      ? { beforeApprovalRequest: options.beforeApprovalRequest }
      : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { agent, clock, events: recorder.events };
}

/** Every file under `dir` with its content, by path relative to `dir`. */
export async function filesIn(dir: string): Promise<Record<string, string>> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = names.filter((entry) => entry.isFile());
  const entries = await Promise.all(
    files.map(async (entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return [path.relative(dir, file), await readFile(file, "utf8")] as const;
    }),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}
