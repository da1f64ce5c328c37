import type { Store } from "@auth0/ai/stores";
import { z } from "zod";

import type { AgentStore } from "./agent-store.js";
import type { ApprovalRequest } from "./approval-request.js";
import { authRequestKeepUntil } from "./retention.js";
import { rethrowAsStoreFailure } from "./store-failure.js";

/** The request `@auth0/ai` stores after `/bc-authorize` (its `AuthorizationRequest`). */
export const authRequestSchema = z
  .object({
    id: z.string().min(1),
    /** Epoch seconds. */
    requestedAt: z.number(),
    expiresIn: z.number().positive(),
    interval: z.number().optional(),
  })
  .passthrough();

export type StoredAuthRequest = z.infer<typeof authRequestSchema>;

/**
 * Adapts an AgentStore to the Store of `@auth0/ai`, fixing its resume traps:
 *
 * - The SDK's namespace holds an instance id hashed with `stable-hash`, whose counter is
 *   process-global, so a new process would miss the stored request and push again. The key
 *   here is built from the thread and tool call ids only.
 * - The SDK asks for entries to expire with the request; an evicted request makes it silently
 *   send a new one (a second push). Entries are kept until the agent deletes them, or (in a
 *   store with TTLs) an hour past the request's expiry: the agent detects expiry itself and
 *   reports it, and rebuilds a missing request from its journal.
 * - The SDK deletes the request as soon as it has an answer, before anyone recorded the
 *   answer. Here the agent deletes it, after its journal says what became of the request; a
 *   process killed in between leaves the request, and the tenant tells the next one.
 * - Credentials are never stored. The SDK hands them to the tool in memory; a stored token
 *   would stay on disk after a crash, and would let a later run buy again without consent.
 */
export function auth0Store(store: AgentStore): Store {
  const sdkStore: Store = {
    get: (namespace, key) => {
      const entry = entryOf(namespace, key);
      if (entry.kind === "Credentials") return Promise.resolve(undefined);
      if (entry.kind === "AuthResponses") {
        // The SDK ends a request by its own wall clock before polling it, against the sender's:
        // a clock ahead would expire it unasked. The agent and the tenant decide expiry instead.
        return store
          .get(entry.key, authRequestSchema)
          .then((request) => request && { ...request, requestedAt: Date.now() / 1000 });
      }
      return store.get(entry.key, z.unknown());
    },
    put: (namespace, key, value, options) => {
      const entry = entryOf(namespace, key);
      if (entry.kind === "Credentials") return Promise.resolve();
      if (entry.kind === "AuthResponses") {
        const request = authRequestSchema.safeParse(value);
        return store.put(
          entry.key,
          value,
          request.success ? { keepUntil: authRequestKeepUntil(request.data) } : {},
        );
      }
      const expiresIn = options?.expiresIn;
      return store.put(
        entry.key,
        value,
        expiresIn === undefined ? {} : { keepUntil: Date.now() + expiresIn },
      );
    },
    delete: (namespace, key) => {
      const entry = entryOf(namespace, key);
      if (entry.kind === "Credentials" || entry.kind === "AuthResponses") return Promise.resolve();
      return store.delete(entry.key);
    },
  };
  // The SDK reports what its store throws as a failed authorization: mark it as the store's.
  return {
    get: (namespace, key) => sdkStore.get(namespace, key).catch(rethrowAsStoreFailure),
    put: (namespace, key, value, options) =>
      sdkStore.put(namespace, key, value, options).catch(rethrowAsStoreFailure),
    delete: (namespace, key) => sdkStore.delete(namespace, key).catch(rethrowAsStoreFailure),
  };
}

export function authRequestKey(threadId: string, toolCallId: string): string {
  return `ciba/AuthResponses/${threadId}/${toolCallId}/authResponse`;
}

export function isAuthRequestKey(key: string): boolean {
  return key.startsWith("ciba/AuthResponses/");
}

/** Where earlier versions kept the token between approval and order; deleted where found. */
export function credentialsKey(threadId: string, toolCallId: string): string {
  return `ciba/Credentials/${threadId}/${toolCallId}/credential`;
}

export function readAuthRequest(
  store: AgentStore,
  threadId: string,
  toolCallId: string,
): Promise<StoredAuthRequest | undefined> {
  return store.get(authRequestKey(threadId, toolCallId), authRequestSchema);
}

/**
 * Puts back the SDK's record of a request the journal knows, so the SDK polls it instead of
 * sending a new one. The SDK ages the request by `Date.now()`: it is given the age `ageMs`
 * the agent's clock measured.
 */
export async function restoreAuthRequest(
  store: AgentStore,
  threadId: string,
  toolCallId: string,
  request: ApprovalRequest,
  ageMs: number,
): Promise<void> {
  const stored: StoredAuthRequest = {
    id: request.id,
    requestedAt: (Date.now() - ageMs) / 1000,
    expiresIn: request.expiresIn,
    interval: request.interval,
  };
  await store.put(authRequestKey(threadId, toolCallId), stored, {
    keepUntil: authRequestKeepUntil(stored),
  });
}

/** Drops what the SDK knew about one tool call's approval, once the journal holds its fate. */
export async function discardAuthorization(
  store: AgentStore,
  threadId: string,
  toolCallId: string,
): Promise<void> {
  await store.delete(authRequestKey(threadId, toolCallId));
  await store.delete(credentialsKey(threadId, toolCallId));
}

function entryOf(namespace: string[], key: string): { kind: string; key: string } {
  // [AUTH0_AI_CIBA, <instance id>, AuthResponses|Credentials, Threads, t, Tools, n, ToolCalls, c]
  const [, , kind, threads, threadId, , , toolCalls, toolCallId] = namespace;
  if (threads === "Threads" && toolCalls === "ToolCalls" && threadId && toolCallId && kind) {
    return { kind, key: `ciba/${kind}/${threadId}/${toolCallId}/${key}` };
  }
  return { kind: "other", key: ["sdk", namespace[0], ...namespace.slice(2), key].join("/") };
}
