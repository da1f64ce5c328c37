import type { Store } from "@auth0/ai/stores";

import type { AgentStore } from "./agent-store.js";

/**
 * Adapts an AgentStore to the Store of `@auth0/ai`, fixing two of its resume traps:
 *
 * - The SDK's namespace holds an instance id hashed with `stable-hash`, whose counter is
 *   process-global, so a new process would miss the stored request and push again. The key
 *   here is built from the thread and tool call ids only.
 * - The SDK asks for entries to expire with the request; an evicted request makes it silently
 *   send a new one (a second push). Entries are kept until deleted: the agent detects expiry
 *   itself and reports it.
 */
export function auth0Store(store: AgentStore): Store {
  return {
    get: (namespace, key) => store.get(keyOf(namespace, key)),
    put: (namespace, key, value) => store.put(keyOf(namespace, key), value),
    delete: (namespace, key) => store.delete(keyOf(namespace, key)),
  };
}

export function authRequestKey(threadId: string, toolCallId: string): string {
  return `ciba/AuthResponses/${threadId}/${toolCallId}/authResponse`;
}

export function credentialsKey(threadId: string, toolCallId: string): string {
  return `ciba/Credentials/${threadId}/${toolCallId}/credential`;
}

function keyOf(namespace: string[], key: string): string {
  // [AUTH0_AI_CIBA, <instance id>, AuthResponses|Credentials, Threads, t, Tools, n, ToolCalls, c]
  const [, , kind, threads, threadId, , , toolCalls, toolCallId] = namespace;
  if (threads === "Threads" && toolCalls === "ToolCalls" && threadId && toolCallId && kind) {
    return `ciba/${kind}/${threadId}/${toolCallId}/${key}`;
  }
  return ["sdk", namespace[0], ...namespace.slice(2), key].join("/");
}
