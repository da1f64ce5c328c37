import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { isDeepStrictEqual } from "node:util";

import type { LanguageModelV2StreamPart } from "@ai-sdk/provider";
import { stepCountIs, streamText, wrapLanguageModel, type LanguageModel } from "ai";

import { quotedValue, systemClock, type Clock, type PurchaseRequest } from "@ciba-testbed/shared";

import type { AgentEvent, ApprovalRequestSending } from "./agent-event.js";
import {
  closingMessage,
  describeNotTried,
  repeatedCalls,
  earlierReport,
  haltReport,
  itemsNotTried,
  reportWithoutPurchases,
  threadOutcome,
  threadReport,
  type AgentReport,
} from "./agent-report.js";
import { createMemoryStore, type AgentStore } from "./agent-store.js";
import type { Authorizer, AuthorizerSource } from "./approval-poll.js";
import { auth0Store, readAuthRequest } from "./auth0-store.js";
import { lookUpCatalog, type CatalogAnswer } from "./catalog-check.js";
import { systemBootClock, type BootClock } from "./boot-clock.js";
import type { AgentConfig } from "./config.js";
import { conversation } from "./conversation.js";
import { AgentHalt, leaseLost, threadGone } from "./halt.js";
import { LastStep } from "./last-step.js";
import { leaseKey, type Lease } from "./lease.js";
import { withModelDeadline } from "./model-deadline.js";
import {
  classifyModelError,
  type ModelServer,
  invalidCallText,
  withUnrunCall,
  NO_ANSWER,
  type ModelFailure,
} from "./model-error.js";
import { modelWarnings } from "./model-warnings.js";
import { expiryWarnings } from "./notification-channel.js";
import type { OfflineModel } from "./offline-model.js";
import { isTerminalFailure, type Outcome } from "./outcome.js";
import { readProcess } from "./process-info.js";
import { consentOf } from "./purchase-consent.js";
import type { PurchaseResult } from "./purchase-result.js";
import { createPurchaseTool, PURCHASE_TOOL_NAME } from "./purchase-tool.js";
import { withFreshToolCallIds } from "./tool-call-ids.js";
import { THREAD_ID_PATTERN, ThreadJournal, type ThreadRecord } from "./thread-journal.js";
import { endsTurn, MAX_STEPS } from "./turn-end.js";
import { isStoreFailure, StoreFailure } from "./store-failure.js";
import type { TurnCall } from "./turn-guard.js";

export interface AgentDeps {
  model: LanguageModel;
  fetch?: typeof fetch;
  clock?: Clock;
  /**
   * Milliseconds that only move forward, for how long a wait has lasted: `performance.now()`,
   * or, when only a clock other than the system's is given (tests), that clock's time.
   */
  monotonicMs?: () => number;
  /**
   * The machine's monotonic clock named by its boot, journaled with each approval request so
   * that a resume on the same boot can tell an expiry from a denial: the machine's, or none
   * when only a clock other than the system's is given (tests).
   */
  bootClock?: BootClock;
  /** Threads and approval requests; a file store makes interrupt mode survive restarts. */
  store?: AgentStore;
  /** `@auth0/ai-vercel`'s Auth0AI, or a stand-in; built from the config by default. */
  authorizer?: Authorizer;
  output?: (event: AgentEvent) => void;
  newThreadId?: () => string;
  /** A new purchase's `purchase_id` and Idempotency-Key (`pur_<random UUID>` unless set). */
  newPurchaseId?: () => string;
  /**
   * Called synchronously right before each order request leaves; it throws (an AgentHalt) to
   * stop the order. The CLI checks that the processes that started it are still there.
   */
  beforeOrder?: () => void;
  /**
   * Called right before a purchase's approval request (`/bc-authorize`) leaves for the tenant.
   * Until the tenant's answer arrives (`approval-requested`), the person's device may show a
   * request that this process cannot name yet; the CLI says so when it is stopped then.
   */
  beforeApprovalRequest?: (request: ApprovalRequestSending) => void;
  /**
   * The purchases the model reads a request as, in order, when that can be known without
   * asking it: the report of a turn that a failure ended then names what it left untried. By
   * default the model's own `readItems` (the built-in model has one; OpenAI does not).
   */
  readItems?: OfflineModel["readItems"] | undefined;
}

export interface Agent {
  /** Starts a thread for one request and runs it until it is ordered, fails, or waits. */
  run(request: string, options?: { threadId?: string }): Promise<AgentReport>;
  /** Picks up a waiting thread: polls its approval request and finishes the turn. */
  resume(threadId: string): Promise<AgentReport>;
}

export const SYSTEM_PROMPT =
  `You are a shopping assistant acting for one person. Use the ${PURCHASE_TOOL_NAME} tool to buy what ` +
  "they ask for, one product per call, one call at a time. Pass the product name in the " +
  "singular, the quantity, and priceLimit only when the person set a maximum for the whole " +
  "order. If a purchase is denied, expires or is refused, stop and tell the person; never " +
  "retry it. If the request is unclear, ask instead of guessing.";

const LEASE_MARGIN_S = 300;

export function createAgent(config: AgentConfig, deps: AgentDeps): Agent {
  const clock = deps.clock ?? systemClock;
  const onThisMachine = deps.clock === undefined || deps.clock === systemClock;
  const monotonicMs =
    deps.monotonicMs ?? (onThisMachine ? () => performance.now() : () => clock.now());
  const bootClock = deps.bootClock ?? (onThisMachine ? systemBootClock : undefined);
  const store = deps.store ?? createMemoryStore();
  const journal = new ThreadJournal(store);
  const output = deps.output ?? (() => undefined);
  /** The orders placed in this process, by purchase (tool call id), for a thread lost mid-run. */
  const placedOrders = new Map<string, string>();
  const emit = (event: AgentEvent) => {
    if (event.type === "order-answered" && event.outcome === "ORDERED") {
      placedOrders.set(event.toolCallId, event.orderId ?? "?");
    }
    output(event);
  };
  const newThreadId = deps.newThreadId ?? (() => `thr_${randomUUID()}`);
  // The Auth0 SDK is loaded when the first purchase is asked about, not before.
  let made: Promise<Authorizer> | undefined;
  const authorizer: AuthorizerSource =
    deps.authorizer ??
    (() =>
      (made ??= import("@auth0/ai-vercel").then(
        ({ Auth0AI }) => new Auth0AI({ auth0: { ...config.auth0 }, store: auth0Store(store) }),
      )));

  const readItems = deps.readItems ?? itemsReaderOf(deps.model);
  /** The built-in model writes its answers from the results: its words are the agent's own. */
  const builtInModel = itemsReaderOf(deps.model) !== undefined;
  const beforeOrder = deps.beforeOrder ?? (() => undefined);
  const beforeApprovalRequest = deps.beforeApprovalRequest ?? (() => undefined);
  const warnings = modelWarnings(config.model);
  // A model failure's fix names OPENAI_BASE_URL only when the person set it.
  const modelServer: ModelServer =
    config.model.kind === "openai" && config.model.baseURL === undefined ? "openai" : "base-url";
  /** The lease of each thread this process works on, set while it holds it. */
  const leases = new Map<string, Lease>();

  const purchaseToolFor = (
    threadId: string,
    beforeSend: () => void,
    earlierCalls?: readonly TurnCall[],
  ) =>
    createPurchaseTool({
      config,
      fetch: deps.fetch ?? globalThis.fetch,
      clock,
      monotonicMs,
      bootClock,
      store,
      journal: writerOf(threadId),
      authorizer,
      emit,
      threadId,
      wait: config.mode === "block",
      fence: () => fence(threadId),
      beforeOrder,
      beforeApprovalRequest: (request) => {
        beforeSend();
        beforeApprovalRequest(request);
      },
      newPurchaseId: deps.newPurchaseId,
      journalsUntried: true,
      earlierCalls,
    });

  function leaseOf(threadId: string): Lease {
    const lease = leases.get(threadId);
    if (lease === undefined) throw new Error(`Thread ${threadId} is worked on without its lease`);
    return lease;
  }

  /** Throws once another process has claimed the thread since this one did. */
  async function fence(threadId: string): Promise<void> {
    if (!(await store.holds(leaseKey(threadId), leaseOf(threadId)))) throw leaseLost(threadId);
  }

  /** The journal as this process writes it: only while it holds the thread's lease. */
  function writerOf(threadId: string): ThreadJournal {
    return journal.heldBy(threadId, leaseOf(threadId));
  }

  /**
   * Runs `work` as the only process on this thread; a second one is told to come back. The
   * thread's entries are read before the claim, so a corrupt one is reported with nothing
   * changed, not even the lease; so is a thread that `refusal` turns away (one that does not
   * exist included: a lease taken for it would make concurrent resumes of a mistyped id wait
   * for each other, and leave its traces in the store).
   */
  async function exclusively(
    threadId: string,
    began: number,
    work: () => Promise<AgentReport>,
    refusal: (thread: ThreadRecord | undefined) => Promise<AgentReport | undefined> = () =>
      Promise.resolve(undefined),
  ): Promise<AgentReport> {
    const key = leaseKey(threadId);
    let claim;
    try {
      const thread = await readThread(threadId);
      const refused = await refusal(thread);
      if (refused !== undefined) return refused;
      claim = await store.claim(
        key,
        {
          owner: randomUUID(),
          host: hostname(),
          pid: process.pid,
          ...ownStartTime(),
          // Long enough for a block-mode wait on the request the thread waits for (the one it
          // was sent with, not this process's AGENT_REQUESTED_EXPIRY); a crashed holder on this
          // host is seen at once.
          expiresAt: clock.now() + (waitSeconds(thread) + LEASE_MARGIN_S) * 1000,
        },
        clock.now(),
      );
    } catch (error) {
      if (error instanceof AgentHalt) return haltReport(threadId, error, true, elapsed(began));
      throw error;
    }
    if (!claim.granted) {
      const { holder } = claim;
      return reportWithoutPurchases(
        "IN_PROGRESS",
        threadId,
        `Thread ${threadId} is already in progress in process ${holder.pid} on ${holder.host}; resume it when that ends.`,
        elapsed(began),
        { error: "thread_busy" },
      );
    }
    const { lease } = claim;
    leases.set(threadId, lease);
    const placedBefore = new Set(placedOrders.keys());
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof AgentHalt)) throw error;
      // A thread lost from the store: what the fix says to look for is what this run did.
      const placed = [...placedOrders].flatMap(([call, order]) =>
        placedBefore.has(call) ? [] : [order],
      );
      const halt = error.code === "thread_lost" ? threadGone(threadId, placed) : error;
      return haltReport(threadId, halt, false, elapsed(began));
    } finally {
      leases.delete(threadId);
      await store.release(key, lease);
    }
  }

  /**
   * How long a run of the thread may wait for an answer: the expiry of the request its open
   * purchase was sent with, else (a new request is to be sent) this process's own.
   */
  function waitSeconds(thread: ThreadRecord | undefined): number {
    const open = thread?.purchases.find((purchase) => purchase.result === undefined);
    return open?.request?.expiresIn ?? config.requestedExpiry;
  }

  /** Reads every entry of the thread the agent is about to use, checking each one. */
  async function readThread(threadId: string): Promise<ThreadRecord | undefined> {
    const thread = await journal.get(threadId);
    for (const purchase of thread?.purchases ?? []) {
      if (purchase.result === undefined) {
        await readAuthRequest(store, threadId, purchase.toolCallId);
      }
    }
    return thread;
  }

  /**
   * Says what the person should know, and puts it in the report: the model's and the store's
   * before anything is sent; the expiry's (`expiryWarnings`) right before the first approval
   * request that `work` sends with it (`beforeSend`), and never when it sends none, as a resume
   * that polls the request its thread waits for (sent earlier, with the expiry of then).
   */
  async function warned(work: (beforeSend: () => void) => Promise<AgentReport>) {
    const all = [...warnings, ...((await store.warnings?.()) ?? [])];
    for (const warning of all) emit({ type: "warning", warning });
    let sending = false;
    const beforeSend = () => {
      if (sending) return;
      sending = true;
      for (const warning of expiryWarnings(config.requestedExpiry)) {
        all.push(warning);
        emit({ type: "warning", warning });
      }
    };
    const report = await work(beforeSend);
    return all.length === 0 ? report : { ...report, warnings: all };
  }

  function run(request: string, options: { threadId?: string } = {}) {
    return warned((beforeSend) => runThread(request, options, beforeSend));
  }

  function resume(threadId: string) {
    return warned((beforeSend) => resumeThread(threadId, beforeSend));
  }

  async function runThread(
    request: string,
    options: { threadId?: string },
    beforeSend: () => void,
  ) {
    const began = monotonicMs();
    const threadId = options.threadId ?? newThreadId();
    if (!THREAD_ID_PATTERN.test(threadId)) {
      return usageError(
        threadId,
        began,
        "A thread id is 1-100 letters, digits, . _ or -.",
        "Give --thread such an id, or leave it out for a new one.",
      );
    }
    return exclusively(threadId, began, () => start(threadId, request, began, beforeSend));
  }

  async function start(threadId: string, request: string, began: number, beforeSend: () => void) {
    if ((await journal.get(threadId)) !== undefined) {
      return usageError(
        threadId,
        began,
        `Thread ${threadId} already exists: resume it, or choose another id.`,
        `Run pnpm agent resume ${threadId}, or give --thread another id.`,
      );
    }
    await writerOf(threadId).put({
      threadId,
      request,
      userId: config.userId,
      createdAt: clock.now(),
      purchases: [],
    });
    return turn(threadId, began, beforeSend);
  }

  async function resumeThread(threadId: string, beforeSend: () => void) {
    const began = monotonicMs();
    if (!THREAD_ID_PATTERN.test(threadId)) {
      return unknownThread(
        threadId,
        began,
        `No thread ${quotedValue(threadId)} in the agent's store: a thread id is 1-100 letters, digits, . _ or -.`,
      );
    }
    return exclusively(
      threadId,
      began,
      () => continueThread(threadId, began, beforeSend),
      (thread) =>
        thread === undefined
          ? missingThread(threadId, began)
          : Promise.resolve(othersThread(threadId, thread, began)),
    );
  }

  /**
   * A thread sent for another person is theirs: resuming it would poll their approval, order
   * with their token, ask them for the rest of their request, or show their order. With a
   * store that agents of several people share (Redis), its id is all another agent needs.
   */
  function othersThread(
    threadId: string,
    thread: ThreadRecord,
    began: number,
  ): AgentReport | undefined {
    if (thread.userId === config.userId) return undefined;
    return reportWithoutPurchases(
      "CONFIG_ERROR",
      threadId,
      `Thread ${threadId} was sent for another person than ${config.userId} (AGENT_USER_ID, --user), the person this agent acts for: it is not resumed, and nothing was changed.`,
      elapsed(began),
      {
        error: "thread_other_user",
        fix: "Check the thread id, or resume the thread as the person it was sent for (the same --user or AGENT_USER_ID as when it was sent).",
      },
    );
  }

  async function continueThread(threadId: string, began: number, beforeSend: () => void) {
    const thread = await journal.get(threadId);
    if (thread === undefined) return missingThread(threadId, began);
    if (thread.finished !== undefined) {
      return earlierReport(thread, thread.finished.at, elapsed(began));
    }

    const open = thread.purchases.find((purchase) => purchase.result === undefined);
    if (open !== undefined) {
      // Polls the request the thread waits for; never sends one.
      const tool = purchaseToolFor(threadId, beforeSend);
      const result = await tool
        .purchase(open.purchase, open.toolCallId)
        .catch(async (error: unknown) => {
          throw await withUntried(error, thread, []);
        });
      if (isTerminalFailure(result.outcome)) return settle(threadId, began, "");
      return turn(threadId, began, beforeSend);
    }
    // Every purchase decided by earlier runs, and the thread's end not recorded (the store
    // failed at that last write): a turn that adds no purchase reports their orders as an
    // earlier run's, or a script counting this run's orders would count them again.
    const decidedAt = Math.max(...thread.purchases.map((purchase) => purchase.finishedAt ?? 0));
    const report = await turn(threadId, began, beforeSend);
    const after = await journal.get(threadId);
    if (thread.purchases.length === 0 || after?.purchases.length !== thread.purchases.length) {
      return report;
    }
    return { ...earlierReport(after, decidedAt, elapsed(began)), timings: report.timings };
  }

  async function turn(
    threadId: string,
    began: number,
    beforeSend: () => void,
  ): Promise<AgentReport> {
    const thread = await journal.get(threadId);
    if (thread === undefined) throw threadGone(threadId);

    // A thread is one turn: a resumed one's purchases are this turn's too.
    const purchaseTool = purchaseToolFor(threadId, beforeSend, thread.purchases);
    let modelMs = 0;
    const result = streamText({
      model: timed(
        withModelDeadline(withFreshToolCallIds(deps.model)),
        monotonicMs,
        (ms) => (modelMs += ms),
      ),
      system: SYSTEM_PROMPT,
      messages: conversation(thread),
      tools: { [PURCHASE_TOOL_NAME]: purchaseTool.tool },
      stopWhen: [stepCountIs(MAX_STEPS), endsTurn],
      providerOptions: { openai: { parallelToolCalls: false } },
      // The provider's chunks as they came: a Responses API end event it passed over is there.
      includeRawChunks: true,
      // Errors arrive as stream parts below; the default handler would also print them.
      onError: () => undefined,
    });

    /** How the model's turn ended: its last step's words, and what it did not finish. */
    const step = new LastStep();
    /** What the model called in this turn, for a store failure's report of what is left. */
    const called: PurchaseRequest[] = [];
    let failure: ModelFailure | undefined;
    try {
      for await (const part of result.fullStream) {
        if (part.type === "text-delta") {
          step.wrote(part.text);
          emit({ type: "text", text: part.text });
        } else if (part.type === "start-step") {
          step.began();
        } else if (part.type === "tool-input-start") {
          step.callBegun(part.id, part.toolName);
        } else if (part.type === "tool-input-delta") {
          step.callInput(part.id, part.delta);
        } else if (part.type === "tool-call") {
          called.push(part.input as PurchaseRequest);
          step.callCame(
            part.toolCallId,
            part.toolName,
            part.invalid === true ? invalidCallText(part, "last call") : undefined,
          );
        } else if (part.type === "finish-step") {
          step.ended(part.finishReason, part.response.headers?.["content-type"]);
        } else if (part.type === "raw") {
          step.streamEnded(endEventOf(part.rawValue));
        } else if (part.type === "error") {
          failure = classifyModelError(part.error, clock.now(), modelServer);
          break;
        }
      }
    } catch (error) {
      // A model stream that breaks once it has started (a connection cut mid-answer) is thrown
      // here rather than sent as an error part: it is the same failure, and the turn's orders
      // must be reported all the same. A halt or a store failure of the tool wins below.
      failure = classifyModelError(error, clock.now(), modelServer);
    }
    const thrown = purchaseTool.failure();
    if (thrown !== undefined) throw await withUntried(thrown.error, thread, called);
    failure ??= refusedCallFailure(purchaseTool.unrecorded());
    // A model failure that cut a call says so (nothing of it ran); a call whose input never came
    // whole, an answer not complete, or a last call that could not run: the report says which,
    // whatever the model wrote after it ("I have ordered 2 XYZ phones for you." with nothing
    // ordered).
    if (failure !== undefined) failure = withUnrunCall(failure, step.cutCall);
    failure ??= step.failure();
    const text = step.said;
    const capped = failure === undefined ? step.stepCapped() : undefined;
    const report = await settle(
      threadId,
      began,
      failure === undefined ? text : "",
      failure,
      capped,
    ).catch(async (error: unknown) => {
      // The thread's end was not recorded: a turn that ended as asked may still have ordered all.
      throw failure === undefined && capped === undefined
        ? await withUntried(error, thread, called)
        : error;
    });
    return { ...report, timings: { ...report.timings, modelMs } };
  }

  /** Writes the thread's outcome (unless it is still waiting) and builds the report. */
  async function settle(
    threadId: string,
    began: number,
    modelText: string,
    failure?: ModelFailure,
    capped?: ModelFailure,
  ): Promise<AgentReport> {
    const thread = await journal.get(threadId);
    if (thread === undefined) throw threadGone(threadId);
    // No words and no purchase: the report says so, and what to do, rather than nothing.
    if (failure === undefined && modelText === "" && thread.purchases.length === 0) {
      failure = NO_ANSWER;
    }
    // A failure after an order (the model's, or a call it got wrong) is PARTIAL, as a purchase
    // that did not go through after one that did: the order stands, and the turn did not end
    // as asked, so neither ORDERED (all done) nor ERROR (a script would ask, and buy, again).
    const ordered = thread.purchases.some((purchase) => purchase.result?.outcome === "ORDERED");
    // Calls the turn did not try (one beside a purchase that waits): what it ordered is not all.
    const skipped = await skippedCalls(thread, catalogOf());
    const whole = threadOutcome(thread);
    const outcome =
      failure !== undefined
        ? ordered
          ? "PARTIAL"
          : failure.outcome
        : whole === "ORDERED" && skipped.length > 0
          ? "PARTIAL"
          : whole;
    if (outcome === "PENDING" && skipped.length > 0) {
      const report = threadReport(thread, elapsed(began));
      return {
        ...report,
        message: `${report.message} ${describeNotTried(skipped, repeatedCalls(thread))}`,
        notTried: skipped,
      };
    }
    if (outcome !== "PENDING") {
      const notTried =
        failure === undefined ? withSkipped(skipped, await untried(thread, outcome)) : undefined;
      // A turn the step cap ended (a model that called the tool at every step) did not end as
      // asked: its code says so, and what it ordered is not all it was asked for, or it may be.
      const reported = capped ?? failure;
      thread.finished = {
        outcome:
          capped === undefined
            ? outcome
            : ordered
              ? "PARTIAL"
              : outcome === "NO_PURCHASE"
                ? capped.outcome
                : outcome,
        message: closingMessage(
          thread,
          outcome,
          {
            text: modelText,
            builtIn: builtInModel,
            ...(capped === undefined ? {} : { stepLimit: capped.message }),
          },
          failure,
          notTried,
        ),
        at: clock.now(),
        ...(reported?.fix === undefined ? {} : { fix: reported.fix }),
        ...(reported?.error === undefined ? {} : { error: reported.error }),
        ...(notTried === undefined ? {} : { notTried }),
      };
      await writerOf(threadId).put(thread);
    }
    return threadReport(thread, elapsed(began));
  }

  /**
   * What the request asked for after the purchase that ended the turn, when a failure ended it
   * and the model's reading of the request is known; undefined otherwise.
   */
  async function untried(
    thread: ThreadRecord,
    outcome: Outcome,
  ): Promise<PurchaseRequest[] | undefined> {
    if (outcome === "ORDERED" || outcome === "NO_PURCHASE" || readItems === undefined) {
      return undefined;
    }
    const planned = await readItems(thread.request);
    if (planned === undefined) return undefined;
    return itemsNotTried(
      planned,
      thread.purchases.map((purchase) => purchase.purchase),
    );
  }

  /**
   * A store failure, with what the request asked for that the turn had not tried when it came
   * (`StoreFailure.untried`), so that its report can tell a request ordered in full from one
   * cut short: known only from the model's own reading of the request.
   */
  async function withUntried(
    error: unknown,
    thread: ThreadRecord,
    called: readonly PurchaseRequest[],
  ): Promise<unknown> {
    if (!isStoreFailure(error) || error instanceof AgentHalt) return error;
    const failure = error instanceof StoreFailure ? error : new StoreFailure(error);
    if (readItems === undefined) return failure;
    const planned = await readItems(thread.request).catch(() => undefined);
    if (planned === undefined) return failure;
    const tried = [...thread.purchases.map((purchase) => purchase.purchase), ...called];
    failure.untried = itemsNotTried(planned, tried);
    return failure;
  }

  /** The shop's catalog's answer for each purchase, looked up once. */
  function catalogOf(): (purchase: PurchaseRequest) => Promise<CatalogAnswer> {
    const answers = new Map<string, Promise<CatalogAnswer>>();
    return ({ product, qty }) => {
      const key = JSON.stringify([product, qty]);
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = lookUpCatalog({
          fetch: deps.fetch ?? globalThis.fetch,
          url: config.catalogUrl,
          product,
          qty,
        });
        answers.set(key, answer);
      }
      return answer;
    };
  }

  /**
   * An unknown thread is a usage error, unless the store holds no threads at all (a Redis that
   * lost its data, or was never written with this AGENT_STORE): then any id misses, a right one
   * as well as a mistyped one, and the person must hear that a thread sent there is lost.
   */
  async function missingThread(threadId: string, began: number): Promise<AgentReport> {
    const message = `No thread ${threadId} in the agent's store.`;
    const absence = await store.explainMissing?.();
    if (absence?.lost === true) {
      return reportWithoutPurchases(
        "ERROR",
        threadId,
        `${message} ${absence.message}`,
        elapsed(began),
        {
          error: "thread_lost",
          fix: "Check the thread id and that AGENT_STORE names the store it was sent with; if both are right, the thread is lost: check the shop's orders, then ask again. This run ordered nothing and sent no approval request, and no agent can use an approval the person gives for a lost thread.",
        },
      );
    }
    return unknownThread(
      threadId,
      began,
      absence === undefined ? message : `${message} ${absence.message}`,
    );
  }

  /** A thread id that names no thread: mistyped, or looked for in another store. */
  function unknownThread(threadId: string, began: number, message: string): AgentReport {
    return reportWithoutPurchases("CONFIG_ERROR", threadId, message, elapsed(began), {
      error: "thread_unknown",
      fix: "Check the thread id (the one printed when the request was sent), and that AGENT_STORE names the store it was sent with: a relative folder is resolved from the directory the command runs in.",
    });
  }

  /** The command line is wrong (`--thread`'s id): error `usage`, as the CLI's own. */
  function usageError(threadId: string, began: number, message: string, fix: string): AgentReport {
    return reportWithoutPurchases("CONFIG_ERROR", threadId, message, elapsed(began), {
      error: "usage",
      fix,
    });
  }

  /** Milliseconds since `began` (a reading of the monotonic clock), which a wall clock's step does not change. */
  function elapsed(began: number): number {
    return Math.round(monotonicMs() - began);
  }

  return { run, resume };
}

/**
 * The purchases of the calls the turn did not try, less those a later purchase of the thread
 * asked the person for after all, however the model wrote it (the model asked again once the
 * one it waited for was decided): one that asks the same consent (`consentOf`), by the catalog's
 * answer that `catalog` gives, looked up only for a call written otherwise than a later one.
 */
async function skippedCalls(
  thread: ThreadRecord,
  catalog: (purchase: PurchaseRequest) => Promise<CatalogAnswer>,
): Promise<PurchaseRequest[]> {
  const skipped: PurchaseRequest[] = [];
  for (const { purchase, afterPurchases } of thread.untried ?? []) {
    const later = thread.purchases.slice(afterPurchases);
    if (later.some((record) => isDeepStrictEqual(record.purchase, purchase))) continue;
    if (later.length > 0) {
      const asked = consentOf(purchase, await catalog(purchase));
      let askedLater = false;
      for (const record of later) {
        const answer = await catalog(record.purchase);
        askedLater ||= consentOf(record.purchase, answer, record.maximumAmount) === asked;
      }
      if (askedLater) continue;
    }
    skipped.push(purchase);
  }
  return skipped;
}

/** The calls not tried, then what the model's reading of the request left (not twice). */
function withSkipped(
  skipped: PurchaseRequest[],
  left: PurchaseRequest[] | undefined,
): PurchaseRequest[] | undefined {
  if (skipped.length === 0) return left;
  const rest = (left ?? []).filter(
    (purchase) => !skipped.some((call) => isDeepStrictEqual(call, purchase)),
  );
  return [...skipped, ...rest];
}

/**
 * The model, timed: `add` gets the time from each call to the end of the model's stream, or to
 * its failure (its tool calls run beside it and are not counted).
 */
function timed(
  model: LanguageModel,
  monotonicMs: () => number,
  add: (ms: number) => void,
): LanguageModel {
  if (typeof model === "string") return model;
  return wrapLanguageModel({
    model,
    middleware: {
      wrapStream: async ({ doStream }) => {
        const started = monotonicMs();
        let counted = false;
        // Once a call: at the end of its stream, or at its failure (a refused request, a stream
        // that breaks or times out, a reader that lets it go), which is the model's time too.
        const count = () => {
          if (counted) return;
          counted = true;
          add(Math.round(monotonicMs() - started));
        };
        let result: Awaited<ReturnType<typeof doStream>>;
        try {
          result = await doStream();
        } catch (error) {
          count();
          throw error;
        }
        const reader = result.stream.getReader();
        const stream = new ReadableStream<LanguageModelV2StreamPart>({
          async pull(controller) {
            try {
              const { done, value } = await reader.read();
              if (done) {
                count();
                controller.close();
              } else {
                controller.enqueue(value);
              }
            } catch (error) {
              count();
              controller.error(error);
            }
          },
          async cancel(reason) {
            count();
            await reader.cancel(reason);
          },
        });
        return { ...result, stream };
      },
    },
  });
}

/** The event a Responses API stream ends with, when `raw` is one: "response.completed". */
function endEventOf(raw: unknown): string | undefined {
  const type =
    typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return type === "response.completed" || type === "response.incomplete" ? type : undefined;
}

/** The model's own reading of requests, when it has one (the built-in model). */
function itemsReaderOf(model: LanguageModel): OfflineModel["readItems"] | undefined {
  if (typeof model !== "object") return undefined;
  const { readItems } = model as Partial<OfflineModel>;
  return typeof readItems === "function" ? readItems : undefined;
}

function ownStartTime(): { startTime?: string } {
  const startTime = readProcess(process.pid)?.startTime;
  return startTime === undefined ? {} : { startTime };
}

/** A tool call the purchase tool refused before it had a record: the turn's failure. */
function refusedCallFailure(refused: PurchaseResult | undefined): ModelFailure | undefined {
  return refused === undefined
    ? undefined
    : {
        outcome: refused.outcome,
        message: refused.description,
        ...(refused.error === undefined ? {} : { error: refused.error }),
      };
}
