import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

import {
  purchaseAuthorizationDetail,
  purchaseAuthorizationDetailSchema,
  purchaseBindingMessage,
  purchaseRequestSchema,
  quotedValue,
  sanitizeBindingText,
  unwritableInBindingText,
  type Clock,
  type PurchaseRequest,
} from "@ciba-testbed/shared";
import { tool } from "ai";

import type { AgentEvent, ApprovalRequestSending } from "./agent-event.js";
import type { AgentStore } from "./agent-store.js";
import { createApprovalPoll, type AuthorizerSource } from "./approval-poll.js";
import {
  answerTiming,
  EXPIRY_MARGIN_MS,
  expiresAt,
  firstPollAt,
  isExpired,
  mayHaveBeenIssued,
  nextPollAt,
  requestFromInterrupt,
  withPollSent,
  type ApprovalRequest,
} from "./approval-request.js";
import { discardAuthorization, readAuthRequest, restoreAuthRequest } from "./auth0-store.js";
import { elapsedSince, type BootClock, type BootReading } from "./boot-clock.js";
import {
  approvalLost,
  classifyAuthorizationError,
  expired,
  EXPIRED_DESCRIPTION,
  neverReachedTenant,
  pollFailure,
  requestForgotten,
  unansweredUntilExpiry,
  type PollFailure,
} from "./authorization-error.js";
import {
  CATALOG_CHECK_TIMEOUT_MS,
  lookUpCatalog,
  purchaseUrlRefusal,
  refusalBeforeAsking,
  type CatalogAnswer,
} from "./catalog-check.js";
import type { AgentConfig } from "./config.js";
import { AgentHalt, leaseLostAfterOrder } from "./halt.js";
import { INTERRUPTED, stoppedAfterApproval } from "./interrupted-purchase.js";
import { orderPurchase, type OrderVerdict } from "./order-step.js";
import { consentOf, maximumAmountOf } from "./purchase-consent.js";
import {
  finishedResult,
  pendingResult,
  purchaseIdOf,
  type MeasuredSteps,
  type PurchaseRecord,
} from "./purchase-record.js";
import {
  describePurchase,
  describeResult,
  type PurchaseResult,
  type Verdict,
} from "./purchase-result.js";
import { asRequestInterrupt, INTERRUPT, type RequestInterrupt } from "./sdk-interrupt.js";
import type { SentRequests } from "./sent-requests.js";
import { probePurchaseEndpoint } from "./shop-client.js";
import { stopPoint } from "./stop-point.js";
import type { ThreadJournal } from "./thread-journal.js";
import { guardTurn, REPEATED_PURCHASE, type TurnCall } from "./turn-guard.js";

/** The name the model calls the purchase tool by. */
export const PURCHASE_TOOL_NAME = "shop_online";

const PURCHASE_TOOL_DESCRIPTION =
  "Buy a product in the online shop for the person. The person approves each purchase on " +
  "their phone. Call it once per product, one call at a time. Never call it again after a " +
  "purchase was denied, expired or refused: report that to the person instead.";

/**
 * What the model is told about the purchase tool and the input every call must pass. The web
 * app checks a tool call a client hands back against this same schema before it runs it.
 */
export const purchaseToolDeclaration = {
  description: PURCHASE_TOOL_DESCRIPTION,
  inputSchema: purchaseRequestSchema,
};

/** The poll was this call's first, which sent the request: the boot clock's reading then. */
interface SentNow {
  sentOn: BootReading | undefined;
}

const NO_TOKEN: Verdict = {
  outcome: "ERROR",
  description: "Approved, but Auth0 returned no access token.",
};

export interface PurchaseToolContext {
  config: AgentConfig;
  fetch: typeof fetch;
  clock: Clock;
  /**
   * Milliseconds that only move forward (`performance.now()`): how long this process has
   * waited, which a step of the wall clock must not change. The clock's own time when absent.
   */
  monotonicMs?: (() => number) | undefined;
  /**
   * The approval requests this process sent, shared by its purchase tools: a resume in the
   * process that sent the request measures its expiry from the send. None when absent.
   */
  sentRequests?: SentRequests | undefined;
  /**
   * The machine's monotonic clock, named by its boot, journaled with each request sent: a
   * process that resumes the request on the same boot measures from the send too. None when
   * absent: a resume then knows only its own wait.
   */
  bootClock?: BootClock | undefined;
  store: AgentStore;
  /** The thread's journal under this process's lease (`ThreadJournal.heldBy`). */
  journal: ThreadJournal;
  authorizer: AuthorizerSource;
  emit: (event: AgentEvent) => void;
  threadId: string;
  /** Block: poll until decided. Otherwise poll once and report PENDING. */
  wait: boolean;
  /** Throws (an AgentHalt) once another process has claimed the thread since this one did. */
  fence: () => Promise<void>;
  /** Called synchronously right before an order leaves; throws (an AgentHalt) to stop it. */
  beforeOrder: () => void;
  /** Called right before the purchase's approval request (`/bc-authorize`) leaves. */
  beforeApprovalRequest: (request: ApprovalRequestSending) => void;
  /** A new purchase's `purchase_id` and Idempotency-Key (`pur_<random UUID>` unless set). */
  newPurchaseId?: (() => string) | undefined;
  /**
   * Journals each call the turn does not try (`ThreadRecord.untried`), for a thread that is one
   * turn, whose report must name them (the CLI's). Not by default.
   */
  journalsUntried?: boolean | undefined;
  /** The calls the turn made before this tool was made (a resumed thread's purchases). */
  earlierCalls?: readonly TurnCall[] | undefined;
}

/**
 * The purchase tool of one thread. A purchase is: journal it and price it, ask the person
 * (`@auth0/ai`'s CIBA wrapper, polled by a loop of our own that owns time, expiry and
 * `slow_down`), spend the approval, order, and record the result once. The journal is written
 * at each step, which is how a resume avoids a second push and a repeated purchase.
 */
export function createPurchaseTool(context: PurchaseToolContext) {
  const { config, clock, store, journal, threadId } = context;
  const newPurchaseId = context.newPurchaseId ?? (() => `pur_${randomUUID()}`);
  const findRecord = (toolCallId: string) => journal.findPurchase(threadId, toolCallId);
  const poll = createApprovalPoll({
    authorizer: context.authorizer,
    config,
    threadId,
    findRecord,
    onApproved: orderApproved,
    description: PURCHASE_TOOL_DESCRIPTION,
  });
  /** Tool calls refused before any record was written: only the turn's report can say them. */
  const unrecorded: PurchaseResult[] = [];
  const refuseCall = (result: PurchaseResult) => {
    unrecorded.push(result);
    return result;
  };
  const announced = new Set<string>();
  /** The purchases whose order request this process sent. */
  const orderedHere = new Set<string>();
  /** This process's monotonic clock (`waitTimes` reads the same one). */
  const mono = context.monotonicMs ?? (() => clock.now());
  /**
   * When (monotonic) this process priced each purchase it asked for, saw Auth0 accept the
   * request, and took the approval: its purchases' durations are measured from these.
   */
  const steps = new Map<string, { priced?: number; accepted?: number; approved?: number }>();
  const markStep = (toolCallId: string, step: "priced" | "accepted" | "approved") => {
    steps.set(toolCallId, { ...steps.get(toolCallId), [step]: mono() });
  };
  /**
   * The poll of each purchase that is on its way: when it left (the wall clock and the monotonic
   * one), and the boot clock's reading when it is the one that sends the request.
   */
  const pollsOut = new Map<string, { polledAt: number; polledOn: number; sentNow?: SentNow }>();

  /** Runs one purchase to its outcome; a decided purchase is returned, never repeated. */
  async function purchase(input: PurchaseRequest, toolCallId: string): Promise<PurchaseResult> {
    // The journal keeps a purchase under its call's id: a call without one cannot be kept.
    if (toolCallId === "") return refuseCall(toolCallWithoutId(input));
    const known = await findRecord(toolCallId);
    if (known === undefined) {
      const { record, refusal } = await begin(input, toolCallId);
      // Refused before anyone was asked: no approval request went out with its binding message.
      return refusal === undefined
        ? untilDecided(record, true)
        : finish(record, refusal, { asked: false });
    }
    if (!isDeepStrictEqual(known.purchase, input)) {
      return refuseCall(toolCallIdReused(input, toolCallId));
    }
    if (known.result !== undefined) return known.result;
    if (known.approvedAt !== undefined) return finish(known, stoppedAfterApproval(known));
    return untilDecided(known, false);
  }

  /**
   * Whether SHOP_API_URL takes orders, asked once a turn (the URL does not change). Without it a
   * wrong path was found only by the order, after the person had approved a purchase that could
   * never be placed.
   */
  let purchaseUrlChecked: Promise<Verdict | undefined> | undefined;
  const checkPurchaseUrl = () =>
    (purchaseUrlChecked ??= probePurchaseEndpoint({
      fetch: context.fetch,
      url: config.shopApiUrl,
      timeoutMs: CATALOG_CHECK_TIMEOUT_MS,
    }).then((probe) => purchaseUrlRefusal(probe, config.shopApiUrl)));

  /**
   * The catalog's answer for a call, looked up once: the turn's guard looks it up to tell a
   * repeat (`consentOf`), and the purchase it lets through prices itself with the same answer.
   * `ms`: how long the lookup took.
   */
  const lookups = new Map<string, Promise<{ catalog: CatalogAnswer; ms: number }>>();
  function catalogFor(input: PurchaseRequest, toolCallId: string) {
    const key = JSON.stringify([toolCallId, input.product, input.qty]);
    let looked = lookups.get(key);
    if (looked === undefined) {
      const started = mono();
      looked = lookUpCatalog({
        fetch: context.fetch,
        url: config.catalogUrl,
        product: input.product,
        qty: input.qty,
      }).then((catalog) => ({ catalog, ms: mono() - started }));
      lookups.set(key, looked);
    }
    return looked;
  }

  /**
   * What the person is, or would be, asked for a call: a call already journaled with this
   * purchase, for the maximum amount it was asked with.
   */
  async function consentOfCall({ toolCallId, purchase: input }: TurnCall): Promise<string> {
    const known = await findRecord(toolCallId);
    const { catalog } = await catalogFor(input, toolCallId);
    return known !== undefined && isDeepStrictEqual(known.purchase, input)
      ? consentOf(input, catalog, known.maximumAmount)
      : consentOf(input, catalog);
  }

  /**
   * What a call not tried as a repeat asked, as the turn's guard compared it (its consent, from
   * the catalog's answer the guard looked up), and the catalog's name for its product: the
   * report counts the model's spellings of one purchase as one.
   */
  async function repeatOf(call: TurnCall) {
    const { catalog } = await catalogFor(call.purchase, call.toolCallId);
    return {
      consent: await consentOfCall(call),
      productName: catalog.kind === "found" ? catalog.name : null,
    };
  }

  /** Prices the purchase and journals it before anything is sent. */
  async function begin(input: PurchaseRequest, toolCallId: string) {
    await context.fence();
    const { catalog, ms } = await catalogFor(input, toolCallId);
    const checksStarted = mono();
    const maximumAmount = maximumAmountOf(input, catalog);
    const productName = catalog.kind === "found" ? catalog.name : null;
    // The person is asked for the product by the name the shop sells it under, in the binding
    // message and in the approval's details alike (`approvedProductOf`): "XYZ phone", not the
    // model's "xyz-phone". Nobody is asked for a product the catalog did not resolve.
    const asked = { ...input, product: productName ?? input.product };
    // The shop would refuse these after the person approved: do not ask them at all. After
    // the catalog's answer, one at a time: both requests share one connection to the shop.
    const refusal =
      refusalBeforeAsking(input, catalog) ??
      unwritableName(asked) ??
      unshowableApproval(input, asked, maximumAmount) ??
      (await checkPurchaseUrl());
    const record: PurchaseRecord = {
      toolCallId,
      purchaseId: newPurchaseId(),
      purchase: input,
      productName,
      bindingMessage: purchaseBindingMessage({ ...asked, priceLimit: maximumAmount }),
      ...(maximumAmount === undefined ? {} : { maximumAmount }),
      startedAt: clock.now(),
      catalogMs: Math.round(ms + mono() - checksStarted),
    };
    await journal.putPurchase(threadId, record);
    return { record, refusal };
  }

  /**
   * Polls until the person decides (block mode) or once (interrupt mode). `sends`: this run's
   * first poll sends the approval request; otherwise an earlier run sent it.
   */
  async function untilDecided(start: PurchaseRecord, sends: boolean): Promise<PurchaseResult> {
    let record = start;
    // Read before the request is sent, as `began` is: a resume on this boot measures from here.
    const sentOn = sends ? context.bootClock?.() : undefined;
    if (sends) markStep(start.toolCallId, "priced");
    const wait = waitTimes(sends, start.request);
    for (let first = true; ; first = false) {
      // The tenant decides expiry: every process polls at least once, and stops on its own only
      // once the request cannot be open any more by its own monotonic clock.
      if (!first && record.request !== undefined && wait.over(record.request)) {
        // The journal says whether every poll since the last answer failed, and how the last
        // one did.
        const { request } = record;
        const { failedSince, lastFailure } = request;
        return finish(
          record,
          failedSince === undefined || lastFailure === undefined
            ? expired({ config, expiresIn: request.expiresIn }, undefined, EXPIRED_DESCRIPTION)
            : unansweredUntilExpiry(lastFailure, failedSince, expiresAt(request), config),
        );
      }
      // Without a stored request the SDK would send a new one: a second push for a purchase
      // the person may already have answered. Report instead.
      if (!(sends && first) && !(await restoreRequest(record))) {
        return finish(record, INTERRUPTED.requestLost);
      }
      // The SDK is loaded first, so the first poll's time is /bc-authorize's own.
      await poll.ready();
      if (!(sends && first) && record.request !== undefined) {
        // A process resuming the thread waits an interval after the last poll any process
        // made, as that process would have (polling sooner earns a slow_down), but never more
        // than an interval from now: the last poll's time is another clock's, maybe ahead.
        if (first) {
          announce(record, record.request, true);
          const intervalMs = record.request.interval * 1000;
          const due = firstPollAt(record.request) - clock.now();
          await clock.sleep(Math.max(0, Math.min(due, intervalMs)));
        }
        record = await notePoll(record, record.request);
      }
      if (sends && first) {
        context.beforeApprovalRequest({
          threadId,
          toolCallId: record.toolCallId,
          bindingMessage: record.bindingMessage,
        });
      }
      const polledAt = clock.now();
      const polledOn = mono();
      wait.polled();
      pollsOut.set(record.toolCallId, {
        polledAt,
        polledOn,
        ...(sends && first ? { sentNow: { sentOn } } : {}),
      });
      const answer = await poll(record.purchase, record.toolCallId).finally(() =>
        pollsOut.delete(record.toolCallId),
      );
      if (answer.kind === "ordered") return finish(record, answer.verdict);
      if (answer.kind === "refused") {
        // A poll that failed on its way, or at a tenant that could not answer it then, says
        // nothing about the request: it is still out, and the person may still answer.
        const failure = pollFailure(answer.error, clock.now());
        const sentNow = sends && first ? { sentOn } : undefined;
        const polled = failure && (await noteFailedPoll(record, sentNow, polledAt, failure));
        if (failure === undefined || polled === undefined) {
          return finish(record, await refusal(record, answer.error, !sends && first, wait));
        }
        if (!context.wait) {
          // No answer from the tenant, and the request past its expiry by this clock: the
          // journal's failed polls are all there is to go on.
          const { failedSince, lastFailure } = polled.request;
          if (isExpired(polled.request, clock.now()) && lastFailure !== undefined) {
            const since = failedSince ?? polledAt;
            const ended = expiresAt(polled.request);
            return finish(polled, unansweredUntilExpiry(lastFailure, since, ended, config));
          }
          return pendingResult(polled);
        }
        await waitToPoll(polled.request, wait, {
          retryAt: failure.retryAt,
          problem: failure.description,
        });
        record = polled;
        continue;
      }
      wait.pending();
      const now = clock.now();
      // The request's first poll follows /bc-authorize in the same call: answered now.
      if (sends && first) markStep(record.toolCallId, "accepted");
      const waiting = await noteRequest(
        record,
        answer.interrupt,
        sends && first ? acceptedNow(now, Math.round(mono() - polledOn)) : {},
        sends && first ? { polledAt: now, answeredAt: now, sentOn } : { answeredAt: now },
      );
      if (sends && first) wait.sent(waiting.request);
      if (!context.wait) return pendingResult(waiting);
      await waitToPoll(waiting.request, wait, {
        slowDown: answer.interrupt.code === INTERRUPT.slowDown,
      });
      record = waiting;
    }
  }

  /**
   * One process's wait for a request, on its monotonic clock. A request this process sent
   * (in this call, or in an earlier one that `sentRequests` remembers), or another process sent
   * on this boot (`sentOn`), expires `expiresIn` after it was sent; one sent elsewhere, at the
   * latest `expiresIn` after this process began to wait for it, whatever the wall clocks say.
   */
  function waitTimes(sends: boolean, known: ApprovalRequest | undefined) {
    const mono = context.monotonicMs ?? (() => clock.now());
    const now = mono();
    const sentHere = known === undefined ? undefined : context.sentRequests?.sentAt(known.id);
    const sinceSend =
      sentHere === undefined && known?.sentOn !== undefined
        ? elapsedSince(known.sentOn, context.bootClock?.())
        : undefined;
    // Sent on this boot, by whichever process: its send is on this process's clock too, unless
    // the machine slept since (more time passed than the clock says).
    const began = sentHere ?? (sinceSend?.exact === true ? now - sinceSend.ms : now);
    const sender = sends || sentHere !== undefined || sinceSend?.exact === true;
    /** The latest the request can have been sent (monotonic): a sleep since only moves it back. */
    const sentBy = sinceSend === undefined ? began : now - sinceSend.ms;
    let lastPoll: number | undefined;
    let lastPending: number | undefined;
    /** No poll the interval allows can reach the request open any more. */
    let noMorePolls = false;
    const latestExpiry = (request: ApprovalRequest) => began + request.expiresIn * 1000;
    return {
      now: mono,
      /** This call sent `request`: later calls of this process measure from the send. */
      sent: (request: ApprovalRequest) => {
        context.sentRequests?.note(request.id, began, request.expiresIn);
      },
      polled: () => {
        lastPoll = mono();
      },
      /** The last poll was answered "no decision yet": the request was open when it was sent. */
      pending: () => {
        lastPending = lastPoll;
      },
      /** This wait polls no more: it ends at the expiry. */
      lastPolled: () => {
        noMorePolls = true;
      },
      over: (request: ApprovalRequest) => noMorePolls || mono() >= latestExpiry(request),
      /** When (monotonic) the request can be open no longer. */
      latestExpiry,
      /**
       * Whether an answer to the last poll, arriving now, came at the request's expiry: true
       * when its poll was sent at or after it; false when it arrived more than the margin
       * before it; "near" in between, where Auth0 may have ended the request or not (a denial
       * and the expiry are both possible); undefined when this process cannot tell (the
       * request was sent by a process on another machine or boot, or before the machine slept,
       * and the wall clocks of the two cannot be compared).
       */
      atExpiry: (request: ApprovalRequest): boolean | "near" | undefined => {
        const at = mono();
        const timing = answerTiming(lastPoll ?? at, at, sentBy + request.expiresIn * 1000);
        if (timing === "after") return true;
        if (sender) return timing === "near" ? "near" : false;
        // The wall clock's reckoning of the expiry, trusted only when it falls after this
        // process's last "no decision yet" and by now: a skewed clock rarely lands there.
        const reckoned = at + expiresAt(request) - clock.now();
        const bracketed =
          lastPending !== undefined &&
          reckoned >= lastPending - EXPIRY_MARGIN_MS &&
          reckoned <= at + EXPIRY_MARGIN_MS;
        return bracketed ? true : undefined;
      },
    };
  }

  /**
   * Journals that the poll sent at `polledAt` failed without an answer (`failure`, now the last
   * such), on the request it was about: the journal's; else, when that poll was the first of a
   * request (right after /bc-authorize, or a resume's first of a request the journal never
   * learnt), the SDK's record of what Auth0 accepted. Undefined when Auth0 accepted no request: /bc-authorize itself
   * failed, and sending it again could push the person twice.
   */
  async function noteFailedPoll(
    record: PurchaseRecord,
    sentNow: SentNow | undefined,
    polledAt: number,
    failure: PollFailure,
  ): Promise<(PurchaseRecord & { request: ApprovalRequest }) | undefined> {
    const known =
      record.request === undefined ? await storedRequest(record, sentNow, polledAt) : record;
    const request = known?.request;
    if (known === undefined || request === undefined) return undefined;
    const updated = {
      ...known,
      request: {
        ...request,
        failedSince: request.failedSince ?? polledAt,
        lastFailure: { code: failure.code, description: failure.description },
        // A poll that never reached the tenant took no token: as good as answered.
        ...(neverReachedTenant(failure) ? { answeredAt: polledAt } : {}),
      },
    };
    await journal.putPurchase(threadId, updated);
    return updated;
  }

  /**
   * The SDK's record of a request Auth0 accepted, journaled and announced. `answeredFrom`: the
   * poll was answered (with a token), having left at this reading of the monotonic clock.
   */
  async function storedRequest(
    record: PurchaseRecord,
    sentNow: SentNow | undefined,
    polledAt: number,
    answeredFrom?: number,
  ) {
    const stored = await readAuthRequest(store, threadId, record.toolCallId);
    if (stored === undefined) return undefined;
    const accepted: RequestInterrupt = {
      code: INTERRUPT.pending,
      request: {
        id: stored.id,
        expiresIn: stored.expiresIn,
        ...(stored.interval === undefined ? {} : { interval: stored.interval }),
      },
    };
    if (sentNow) markStep(record.toolCallId, "accepted");
    const now = clock.now();
    const took = answeredFrom === undefined ? undefined : Math.round(mono() - answeredFrom);
    return noteRequest(record, accepted, sentNow ? acceptedNow(now, took) : {}, {
      polledAt,
      ...(answeredFrom === undefined ? {} : { answeredAt: now }),
      sentOn: sentNow?.sentOn,
    });
  }

  /**
   * Journals the request an approval answered when the journal does not know it yet: approved at
   * the poll that sent it (or at a resume's first poll of a request whose acceptance the journal
   * never learnt), before any "no decision yet". The purchase then names its request, and times
   * `/bc-authorize` and the decision, as one approved later does.
   */
  async function noteApprovedRequest(toolCallId: string): Promise<void> {
    const out = pollsOut.get(toolCallId);
    const record = await findRecord(toolCallId);
    if (out === undefined || record === undefined || record.request !== undefined) return;
    await storedRequest(record, out.sentNow, out.polledAt, out.polledOn);
  }

  /**
   * What the journal keeps of Auth0 accepting the request now: when (the wall clock, and the
   * boot clock, which a resume on this boot measures from), and how long `/bc-authorize` took.
   */
  function acceptedNow(
    at: number,
    bcAuthorizeMs?: number,
  ): Pick<PurchaseRecord, "bcAuthorizeMs" | "acceptedAt" | "acceptedOn"> {
    const acceptedOn = context.bootClock?.();
    return {
      ...(bcAuthorizeMs === undefined ? {} : { bcAuthorizeMs }),
      acceptedAt: at,
      ...(acceptedOn === undefined ? {} : { acceptedOn }),
    };
  }

  /**
   * Makes sure the SDK finds the request the journal knows, so it polls it instead of sending a
   * new one. False when there is no request to poll: the journal never learnt its id.
   */
  async function restoreRequest(record: PurchaseRecord): Promise<boolean> {
    if ((await readAuthRequest(store, threadId, record.toolCallId)) !== undefined) return true;
    const known = record.request;
    if (known === undefined) return false;
    // The tenant says what became of it: pending, denied, or invalid_grant for a spent token.
    await restoreAuthRequest(store, threadId, record.toolCallId, known, clock.now() - known.sentAt);
    return true;
  }

  /**
   * Journals that a poll of `request` is about to be sent, before it is: a process killed
   * while the poll is on its way still tells the next one when to poll (`firstPollAt`).
   */
  async function notePoll(
    record: PurchaseRecord,
    request: ApprovalRequest,
  ): Promise<PurchaseRecord> {
    const updated = { ...record, request: withPollSent(request, clock.now()) };
    await journal.putPurchase(threadId, updated);
    return updated;
  }

  /**
   * Journals the request a poll named and that its "no decision yet" arrived (its interval may
   * have grown; `polledAt` when the poll was not journaled before it was sent), and announces it
   * once. That every poll sent has its answer is what later tells a tenant that forgot the
   * request from a token some process took (`mayHaveBeenIssued`).
   */
  async function noteRequest(
    record: PurchaseRecord,
    interrupt: RequestInterrupt,
    sent: Pick<PurchaseRecord, "bcAuthorizeMs" | "acceptedAt" | "acceptedOn">,
    poll: { polledAt?: number; answeredAt?: number; sentOn?: BootReading | undefined },
  ): Promise<PurchaseRecord & { request: ApprovalRequest }> {
    const latest = (await findRecord(record.toolCallId)) ?? record;
    const known = latest.request?.id === interrupt.request.id ? latest.request : undefined;
    const request = requestFromInterrupt(interrupt, known, latest.startedAt, poll);
    const updated = { ...latest, ...sent, request };
    await journal.putPurchase(threadId, updated);
    announce(latest, request, known !== undefined);
    return updated;
  }

  /**
   * Says once per process that the person was asked, so a resumed wait shows its countdown too,
   * and a run stopped while it waits says which request is out.
   */
  function announce(record: PurchaseRecord, request: ApprovalRequest, resumed: boolean): void {
    if (announced.has(request.id)) return;
    announced.add(request.id);
    context.emit({
      type: "approval-requested",
      resumed,
      threadId,
      toolCallId: record.toolCallId,
      authReqId: request.id,
      userId: config.userId,
      bindingMessage: record.bindingMessage,
      purchase: record.purchase,
      expiresAt: expiresAt(request),
    });
  }

  /**
   * Waits an interval, or until the tenant's Retry-After after a failed poll when that is later,
   * on the monotonic clock (`nextPollAt`): never two polls closer than the interval, the last
   * one whose denial can be told from the expiry just before the margin, and one more after it
   * when the interval allows one before the expiry. When it allows none, waits until the expiry
   * and polls no more.
   */
  async function waitToPoll(
    request: ApprovalRequest,
    wait: ReturnType<typeof waitTimes>,
    reason: { slowDown?: boolean; retryAt?: number | undefined; problem?: string },
  ): Promise<void> {
    const now = wait.now();
    const wall = clock.now();
    const intervalMs = request.interval * 1000;
    const expiry = wait.latestExpiry(request);
    const retry = reason.retryAt === undefined ? 0 : reason.retryAt - wall;
    const next = nextPollAt(now + Math.max(intervalMs, retry), intervalMs, expiry);
    if (next === undefined) wait.lastPolled();
    const at = next ?? expiry;
    context.emit({
      type: "approval-waiting",
      authReqId: request.id,
      nextPollAt: wall + (at - now),
      slowDown: reason.slowDown ?? false,
      ...(reason.problem === undefined ? {} : { problem: reason.problem }),
    });
    await clock.sleep(Math.max(0, at - now));
  }

  /** Why there is no token; a request decided at its first poll is journaled first. */
  async function refusal(
    record: PurchaseRecord,
    error: unknown,
    resumedFirstPoll: boolean,
    wait: ReturnType<typeof waitTimes>,
  ): Promise<Verdict> {
    const journaled = record.request;
    // Auth0 issues a token once and then answers invalid_grant; a tenant that lost the request
    // (restarted with its requests in memory, or dropped it) answers the same. The journal
    // tells them apart: only a poll whose answer it never recorded can have taken the token.
    if (codeOf(error) === INTERRUPT.invalidGrant) {
      const unanswered = journaled === undefined || mayHaveBeenIssued(journaled);
      // A poll that failed without an answer, after it may have reached the tenant: the token
      // may have gone to it. Polls refused before they reached it took nothing.
      if (journaled?.failedSince !== undefined && unanswered) {
        return approvalLost(journaled.unansweredSince ?? journaled.failedSince, error);
      }
      // Else, at the first poll of a request an earlier process sent, that process stopped
      // while a poll was out, and may have had the token.
      if (resumedFirstPoll && unanswered) return INTERRUPTED.beforeOrder;
      if (!unanswered && !mayBeExpiry(wait.atExpiry(journaled))) {
        return requestForgotten(journaled.id, error);
      }
    }
    const decided = asRequestInterrupt(error);
    let request = journaled;
    if (request === undefined && decided !== undefined) {
      request = requestFromInterrupt(decided, undefined, record.startedAt);
      await journal.putPurchase(threadId, { ...record, request });
    }
    const now = clock.now();
    // The SDK stores the request once /bc-authorize accepted it, and only the agent deletes it.
    const requestSent =
      request !== undefined ||
      (await readAuthRequest(store, threadId, record.toolCallId)) !== undefined;
    return classifyAuthorizationError(error, {
      config,
      expired: request === undefined ? false : wait.atExpiry(request),
      requestSent,
      now,
      expiresIn: request?.expiresIn,
    });
  }

  /** The person approved: spend the approval, then order. */
  async function orderApproved(
    input: PurchaseRequest,
    toolCallId: string,
    accessToken: string | undefined,
  ): Promise<OrderVerdict> {
    // The key the approval names (its purchase_id), from the record the request was sent with.
    const record = await takeApproval(toolCallId);
    stopPoint("approval-taken");
    if (accessToken === undefined) return NO_TOKEN;
    await clearToOrder(toolCallId);
    context.emit({ type: "order-sending", toolCallId });
    const verdict = await orderPurchase({
      fetch: context.fetch,
      clock,
      shopApiUrl: config.shopApiUrl,
      accessToken,
      idempotencyKey: purchaseIdOf(record ?? { toolCallId }),
      purchase: input,
      authorizationDetails: config.authorizationDetails,
    });
    context.emit({
      type: "order-answered",
      toolCallId,
      outcome: verdict.outcome,
      ...(typeof verdict.order?.id === "string" ? { orderId: verdict.order.id } : {}),
    });
    stopPoint("order-answered");
    return verdict;
  }

  /**
   * The approval is spent: say so in the journal, then drop the SDK's record of it. Returns the
   * purchase's record.
   */
  async function takeApproval(toolCallId: string): Promise<PurchaseRecord | undefined> {
    await context.fence();
    await noteApprovedRequest(toolCallId);
    markStep(toolCallId, "approved");
    const record = await journal.markApproved(threadId, toolCallId, clock.now());
    await discardAuthorization(store, threadId, toolCallId);
    return record;
  }

  /** The last checks; between the final one and the request leaving, nothing is awaited. */
  async function clearToOrder(toolCallId: string): Promise<void> {
    await context.fence();
    context.beforeOrder();
    await journal.markOrderSent(threadId, toolCallId, clock.now());
    context.beforeOrder();
    orderedHere.add(toolCallId);
  }

  /**
   * How long the purchase's steps took, on the monotonic clock: this process's own (the steps
   * it saw), else the boot clock's readings the journal kept (a resume on the boot that sent the
   * request). A step another process saw on another boot, or before the machine slept, is not
   * measured.
   */
  function measuredSteps(record: PurchaseRecord): MeasuredSteps {
    const now = mono();
    const bootNow = context.bootClock?.();
    const seen = steps.get(record.toolCallId) ?? {};
    const ago = (mark: number | undefined, reading?: BootReading) => {
      if (mark !== undefined) return Math.round(now - mark);
      const since = reading === undefined ? undefined : elapsedSince(reading, bootNow);
      return since?.exact === true ? Math.round(since.ms) : undefined;
    };
    const { request } = record;
    const priced = ago(
      seen.priced ?? (request && context.sentRequests?.sentAt(request.id)),
      request?.sentOn,
    );
    const acceptedAgo = ago(seen.accepted, record.acceptedOn);
    // The decision: the approval taken, else now (a denial, an expiry, a failure).
    const decided = record.approvedAt === undefined ? 0 : ago(seen.approved);
    if (decided === undefined) return {};
    return {
      ...(priced === undefined ? {} : { approvalMs: priced - decided }),
      ...(acceptedAgo === undefined ? {} : { decisionMs: acceptedAgo - decided }),
      ...(record.approvedAt === undefined ? {} : { orderMs: decided }),
    };
  }

  /** Records the result once, drops the SDK's record of the request, and says so. */
  async function finish(
    record: PurchaseRecord,
    verdict: OrderVerdict,
    { asked = true }: { asked?: boolean } = {},
  ): Promise<PurchaseResult> {
    const latest = (await findRecord(record.toolCallId)) ?? record;
    const sentHere = orderedHere.has(record.toolCallId);
    if (latest.result !== undefined && !sentHere) return latest.result;
    let result: PurchaseResult;
    const measured = measuredSteps(latest);
    try {
      if (latest.result !== undefined) {
        // Recorded by another process while this one's order was out, unless this one still
        // holds the thread: then the record is its own.
        await context.fence();
        return latest.result;
      }
      // Written only while this process holds the thread (the journal's writes are fenced).
      result = await journal.finishPurchase(threadId, latest, verdict, clock.now(), measured, {
        asked,
      });
    } catch (error) {
      // This process's order went out: what the shop answered is not lost with the lease, and
      // the run's report says it.
      if (error instanceof AgentHalt && error.code === "lease_lost" && sentHere) {
        const answer =
          verdict.outcome === "ORDERED"
            ? describeResult({ ...verdict, purchase: latest.purchase })
            : verdict.description;
        const known = finishedResult(latest, verdict, measured, { asked });
        throw leaseLostAfterOrder(threadId, answer, known);
      }
      throw error;
    }
    await discardAuthorization(store, threadId, record.toolCallId);
    context.emit({ type: "purchase-finished", toolCallId: record.toolCallId, result });
    return result;
  }

  const turn = guardTurn(purchase, {
    earlier: context.earlierCalls ?? [],
    consentOf: consentOfCall,
    notTried: async (call, result) => {
      if (context.journalsUntried !== true) return;
      await context.fence();
      await journal.noteUntried(threadId, {
        toolCallId: call.toolCallId,
        purchase: call.purchase,
        error: result.error ?? "",
        description: result.description,
        ...(result.error === REPEATED_PURCHASE ? await repeatOf(call) : {}),
      });
    },
  });
  const purchaseTool = tool({
    ...purchaseToolDeclaration,
    execute: (input, { toolCallId }) => turn.run(input, toolCallId),
  });

  return {
    purchase,
    tool: purchaseTool,
    failure: turn.failure,
    /** The first tool call of the turn refused before it had a record, if any. */
    unrecorded: (): PurchaseResult | undefined => unrecorded[0],
  };
}

/**
 * The journal keeps each purchase under its tool call id: a second purchase under one id would
 * be taken for the first by every resume.
 */
function toolCallIdReused(input: PurchaseRequest, toolCallId: string): PurchaseResult {
  return {
    outcome: "ERROR",
    purchase: input,
    error: "tool_call_id_reused",
    description: `The model reused the tool call id ${JSON.stringify(toolCallId)} for a different purchase (${describePurchase(input)}): nobody was asked to approve it, and nothing was ordered for it.`,
  };
}

function toolCallWithoutId(input: PurchaseRequest): PurchaseResult {
  return {
    outcome: "ERROR",
    purchase: input,
    error: "invalid_tool_call",
    description: `The model asked for ${describePurchase(input)} in a tool call without an id, which the agent cannot keep track of: nobody was asked to approve it, and nothing was ordered.`,
  };
}

/** An answer at the request's expiry, or within the margin before it (`waitTimes`' `atExpiry`). */
const mayBeExpiry = (atExpiry: boolean | "near" | undefined) =>
  atExpiry === true || atExpiry === "near";

function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

/**
 * The approval the shop would refuse as malformed, whatever the person decided: `asked`, the
 * purchase as the person is asked for it (by the catalog's name), with a product name holding
 * characters a consent screen cannot show as they are (the binding message leaves them out, so
 * the person would approve a purchase that reads right and can never be placed).
 */
function unshowableApproval(
  input: PurchaseRequest,
  asked: PurchaseRequest,
  maximumAmount: number | undefined,
): Verdict | undefined {
  const detail = purchaseAuthorizationDetail({
    product: asked.product,
    quantity: asked.qty,
    maximumAmount,
  });
  const checked = purchaseAuthorizationDetailSchema.safeParse(detail);
  if (checked.success) return undefined;
  const why = checked.error.issues.map((issue) => issue.message).join("; ");
  const named =
    asked.product === input.product
      ? ""
      : `, which the shop's catalog names ${quotedValue(asked.product)}`;
  return {
    outcome: "ERROR",
    error: "invalid_tool_call",
    description: `The model asked for ${input.qty} x ${quotedValue(input.product)}${named}, which the shop would refuse to sell on any approval (${why}); the person was not asked.`,
  };
}

/**
 * Why not to ask for a product whose name a binding message cannot carry. The person approves
 * the message, written in Auth0's characters only, and it would name something else:
 * "Телефон XYZ" as "XYZ", "½ dozen eggs" as "1 2 dozen eggs", "Phone ٢٤" as "Phone".
 */
function unwritableName(input: PurchaseRequest): Verdict | undefined {
  const lost = unwritableInBindingText(input.product);
  if (lost.length === 0) return undefined;
  const written = sanitizeBindingText(input.product);
  return {
    outcome: "CONFIG_ERROR",
    error: "unwritable_product_name",
    description: `A binding message cannot name ${readable(input.product)}: Auth0 allows only A-Z, a-z, 0-9, spaces and +-_.,:# in it, and without ${lost.map(readable).join(", ")} it would read ${written === "" ? "no name at all" : `"${written}"`}, which names another product; the person was not asked.`,
    fix: "Name the product in the shop's catalog in Latin letters (accents are fine) and the digits 0-9, which a consent on the person's phone can show.",
  };
}

/** `text` quoted as a person reads it, or written out where it holds a character none can see. */
function readable(text: string): string {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(text) ? JSON.stringify(text) : quotedValue(text);
}
