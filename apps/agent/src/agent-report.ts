import { isDeepStrictEqual } from "node:util";

import type { PurchaseRequest } from "@ciba-testbed/shared";

import type { AgentWarning } from "./agent-event.js";
import { type AgentHalt, StoreEntryError } from "./halt.js";
import type { ModelFailure } from "./model-error.js";
import { listed } from "./listed.js";
import { exitCodeOf, type Outcome } from "./outcome.js";
import { pendingResult } from "./purchase-record.js";
import {
  describeAfterOrders,
  describePurchase,
  describeResult,
  type Order,
  type PurchaseResult,
  type PurchaseTimings,
} from "./purchase-result.js";
import { describeStoreEntryError } from "./store-entry-report.js";
import type { ThreadRecord, UntriedCall } from "./thread-journal.js";
import { REPEATED_PURCHASE } from "./turn-guard.js";

/** How a run or resume of the agent ended: what the CLI prints and exits with. */
export interface AgentReport {
  outcome: Outcome;
  exitCode: number;
  message: string;
  threadId: string;
  /** A stable code for what went wrong, when something did: the purchase's, else the run's. */
  error?: string;
  /** The purchase the outcome is about: the one that failed or is pending, else the last. */
  authReqId?: string;
  bindingMessage?: string;
  order?: Order;
  fix?: string;
  /** What the person was told before anything was sent (an expiry that means email). */
  warnings?: AgentWarning[];
  /**
   * When the thread had already finished (epoch ms), for a resume that found it so: this run
   * only told its outcome again, and ordered nothing.
   */
  finishedEarlier?: number;
  purchases: PurchaseResult[];
  /**
   * What the request asked for after the purchase that ended the turn (denied, expired,
   * refused, failed): never asked for and never ordered. Set when a failure ended the turn and
   * the model's reading of the request is known (the built-in model), empty when nothing was
   * left.
   */
  notTried?: PurchaseRequest[];
  timings: ReportTimings;
}

/**
 * Where the time went, in milliseconds: the purchase the report is about (its steps, see
 * `PurchaseTimings`), the model's calls, the agent's own clock, and the process's start.
 */
export interface ReportTimings extends PurchaseTimings {
  /** From the request (or resume) to the report, by the agent's monotonic clock. */
  totalMs: number;
  /** The model's calls in this turn, each to the end of its stream or to its failure. */
  modelMs?: number;
  /** The CLI only: from the process's start (Node's time origin) to the agent beginning. */
  startMs?: number;
}

/** The one object `--json` prints: every member present, `null` when it has no value. */
export interface AgentReportJson {
  outcome: Outcome;
  exitCode: number;
  message: string;
  threadId: string;
  error: string | null;
  authReqId: string | null;
  bindingMessage: string | null;
  order: Order | null;
  fix: string | null;
  warnings: AgentWarning[];
  /** ISO time the thread had finished before this run, which ordered nothing; else null. */
  finishedEarlier: string | null;
  purchases: PurchaseResult[];
  /** See AgentReport; null when no failure ended the turn, or what it left is not known. */
  notTried: PurchaseRequest[] | null;
  timings: AgentReport["timings"];
}

export function toAgentReportJson(report: AgentReport): AgentReportJson {
  return {
    outcome: report.outcome,
    exitCode: report.exitCode,
    message: report.message,
    threadId: report.threadId,
    error: report.error ?? null,
    authReqId: report.authReqId ?? null,
    bindingMessage: report.bindingMessage ?? null,
    order: report.order ?? null,
    fix: report.fix ?? null,
    warnings: report.warnings ?? [],
    finishedEarlier:
      report.finishedEarlier === undefined ? null : new Date(report.finishedEarlier).toISOString(),
    purchases: report.purchases,
    notTried: report.notTried ?? null,
    timings: report.timings,
  };
}

/** The report of a thread as its journal stands: finished, or waiting for a purchase. */
export function threadReport(thread: ThreadRecord, totalMs: number): AgentReport {
  const results = decidedResults(thread);
  const open = thread.purchases.find((purchase) => purchase.result === undefined);
  const outcome = thread.finished?.outcome ?? threadOutcome(thread);
  const focus = open === undefined ? (results.find(failed) ?? results.at(-1)) : pendingResult(open);
  // While a purchase waits, those ordered before it in the turn are said first: they are.
  const ordered = open === undefined ? [] : results.filter((r) => r.outcome === "ORDERED");
  const message =
    thread.finished?.message ??
    (focus
      ? [
          ...ordered.map(describeResult),
          ordered.length > 0 ? describeAfterOrders(focus) : describeResult(focus),
        ].join(" ")
      : "Nothing happened yet.");
  const fix = thread.finished?.fix ?? focus?.fix;
  const error = thread.finished?.error ?? focus?.error;
  const notTried = thread.finished?.notTried;
  return {
    outcome,
    exitCode: exitCodeOf(outcome),
    message,
    threadId: thread.threadId,
    ...(error === undefined || outcome === "ORDERED" ? {} : { error }),
    ...(focus?.authReqId === undefined ? {} : { authReqId: focus.authReqId }),
    ...(focus?.bindingMessage === undefined ? {} : { bindingMessage: focus.bindingMessage }),
    ...(focus?.order === undefined ? {} : { order: focus.order }),
    ...(fix === undefined ? {} : { fix }),
    purchases: open === undefined || focus === undefined ? results : [...results, focus],
    ...(notTried === undefined ? {} : { notTried }),
    timings: { totalMs, ...focus?.timings },
  };
}

/**
 * The report of a thread that had finished before this run: the same outcome and exit code (a
 * script reads them), but said to be an earlier run's, with when and which orders, so that
 * nobody counts its order a second time.
 */
export function earlierReport(thread: ThreadRecord, at: number, totalMs: number): AgentReport {
  const report = threadReport(thread, totalMs);
  const orders = decidedResults(thread).flatMap((result) =>
    result.order === undefined ? [] : [result.order.id],
  );
  const placed =
    orders.length === 0 ? "" : ` with order${orders.length === 1 ? "" : "s"} ${orders.join(", ")}`;
  return {
    ...report,
    message: `Thread ${thread.threadId} had already finished, at ${new Date(at).toISOString()}${placed}; this run ordered nothing and asked nobody. It reported then: ${report.message}`,
    finishedEarlier: at,
  };
}

/**
 * PENDING while a purchase waits; PARTIAL when some purchases were ordered and then one did
 * not go through; else that failure's outcome, else ORDERED or NO_PURCHASE.
 */
export function threadOutcome(thread: ThreadRecord): Outcome {
  if (thread.purchases.some((purchase) => purchase.result === undefined)) return "PENDING";
  const results = decidedResults(thread);
  const ordered = results.some((r) => r.outcome === "ORDERED");
  const failure = results.find(failed);
  if (failure !== undefined) return ordered ? "PARTIAL" : failure.outcome;
  return ordered ? "ORDERED" : "NO_PURCHASE";
}

/**
 * The model's last words in a turn, and whether they are the agent's own: the built-in model
 * writes its answers from the purchase results and its reading of the request; any other model
 * (OpenAI, a compatible server) writes what it likes, a claim the report never passes off as
 * what happened.
 */
export interface ModelAnswer {
  text: string;
  builtIn: boolean;
  /**
   * What says that the agent's limit of model steps ended the turn, when it did (the failure
   * `LastStep.stepCapped` gives, the web app's answer too): the model's last step called the
   * tool again, and it was not asked again after it.
   */
  stepLimit?: string;
}

/** What a NO_PURCHASE turn of another model than the built-in one says before its words. */
export const NOTHING_ORDERED = "Nothing was ordered, and nobody was asked to approve anything.";

/**
 * What a finished thread says. After a failure: what was ordered, then the failure (the turn
 * ended before the model could answer). ORDERED: the agent's own account of each purchase, from
 * the shop's answers ("Ordered 1 x XYZ phone: order ord_1, total 499.00 USD."), never the model's
 * ("Ordered 1 XYZ phone as asked." after it bought 7): a model that tells the truth says the
 * same, so its words are left out rather than doubled. NO_PURCHASE: the built-in model's answer
 * (what it could not read, and its question), or, for any other model, that nothing was ordered,
 * then the model's words quoted as its own ("I have ordered 2 XYZ phones for you." with no call
 * made). Otherwise what the results say, and what the failure left untried: `notTried` when the
 * model's reading of the request is known.
 */
export function closingMessage(
  thread: ThreadRecord,
  outcome: Outcome,
  answer: ModelAnswer,
  failure?: ModelFailure,
  notTried?: readonly PurchaseRequest[],
): string {
  const results = decidedResults(thread);
  if (failure !== undefined) {
    // What was ordered stays ordered, and the person must hear it.
    const ordered = results.filter((result) => result.outcome === "ORDERED");
    return [...ordered.map(describeResult), failure.message].join(" ");
  }
  const limit = answer.stepLimit ?? "";
  const account = results.map(describeResult);
  if (outcome === "ORDERED") return [...account, limit].filter((text) => text !== "").join(" ");
  if (outcome === "NO_PURCHASE") {
    if (answer.builtIn && limit === "") return answer.text || account.join(" ");
    const said = answer.text === "" ? "" : `The model wrote: ${JSON.stringify(answer.text)}`;
    return [NOTHING_ORDERED, ...account, said, limit].filter((text) => text !== "").join(" ");
  }
  return [endedTurnMessage(results, notTried, repeatedCalls(thread)), limit]
    .filter((text) => text !== "")
    .join(" ");
}

/**
 * A call not tried as a repeat: what it asked, and, where the journal has them, the consent the
 * turn's guard compared and the catalog's name for its product.
 */
export type RepeatedCall = Pick<UntriedCall, "purchase" | "consent" | "productName">;

/**
 * The calls of `thread` not tried as repeats (`repeated_purchase`): each asked what a purchase
 * of the turn asked already, however the model wrote it ("xyz-phone" for "XYZ phone").
 */
export function repeatedCalls(thread: ThreadRecord): RepeatedCall[] {
  return (thread.untried ?? [])
    .filter((call) => call.error === REPEATED_PURCHASE)
    .map(({ purchase, consent, productName }) => ({
      purchase,
      ...(consent === undefined ? {} : { consent }),
      ...(productName === undefined ? {} : { productName }),
    }));
}

/**
 * What a turn that a purchase ended says (one that did not go through: denied, expired,
 * refused, an error), the CLI's and the web app's alike: each purchase of the turn as its result
 * says it, then what the failure left untried, `notTried` when the model's reading of the
 * request is known. The model is not asked again after such a purchase, so it never writes this.
 */
export function endedTurnMessage(
  results: readonly PurchaseResult[],
  notTried?: readonly PurchaseRequest[],
  repeats: readonly RepeatedCall[] = [],
): string {
  const untried = notTried === undefined ? NOT_TRIED : describeNotTried(notTried, repeats);
  return [...results.map(describeResult), untried].filter((text) => text !== "").join(" ");
}

/**
 * The turn ends at the first purchase that does not go through (see the README's rule): what
 * is said of the rest when the model's reading of the request is not known.
 */
const NOT_TRIED = "Anything asked for after it was not tried.";

/**
 * The purchases a failure left untried, as a sentence; empty when there are none. One of
 * `repeats` (a call not tried as a repeat, `repeatedCalls`) is "another": after "Ordered 3 x
 * USB-C cable", "3 x USB-C cable was not tried ... nothing was ordered" reads as a
 * contradiction, where it was the same purchase asked for again, which nobody was asked for.
 * Repeats that asked the same consent are one, however the model spelt them ("xyz-phone",
 * "XYZ Phone"), named by the catalog's name where it resolved the product.
 */
export function describeNotTried(
  notTried: readonly PurchaseRequest[],
  repeats: readonly RepeatedCall[] = [],
): string {
  if (notTried.length === 0) return "";
  const repeatOf = (purchase: PurchaseRequest) =>
    repeats.find((repeat) => isDeepStrictEqual(repeat.purchase, purchase));
  const again = counted(
    notTried.flatMap((purchase) => {
      const repeat = repeatOf(purchase);
      if (repeat === undefined) return [];
      const product = repeat.productName ?? purchase.product;
      return [{ purchase: { ...purchase, product }, kind: repeat.consent }];
    }),
  );
  const others = counted(
    notTried
      .filter((purchase) => repeatOf(purchase) === undefined)
      .map((purchase) => ({ purchase })),
  );
  const sentences: string[] = [];
  if (others.length > 0) {
    const them = others.length === 1 ? "it" : "them";
    sentences.push(
      `${listed(others)} ${others.length === 1 ? "was" : "were"} not tried: nobody was asked to approve ${them}, and nothing was ordered.`,
    );
  }
  if (again.length > 0) {
    sentences.push(
      `Another ${listed(again)}, asked for again in this turn, ${again.length === 1 ? "was" : "were"} not tried: the same purchase is not asked for twice in one turn, so nobody was asked again and nothing more was ordered; ask again for another.`,
    );
  }
  return sentences.join(" ");
}

/**
 * Each purchase once, in order, with how often it came when more than once: a model that calls
 * the tool with the same purchase at every step is one "1 x XYZ phone (19 times)", not 19.
 * Purchases of one `kind` (a consent) are one, said as the first of them; without a kind, those
 * written the same.
 */
function counted(purchases: readonly { purchase: PurchaseRequest; kind?: string | undefined }[]) {
  const kinds: { purchase: PurchaseRequest; kind?: string | undefined; times: number }[] = [];
  for (const { purchase, kind } of purchases) {
    const seen = kinds.find((known) =>
      kind === undefined || known.kind === undefined
        ? known.kind === kind && isDeepStrictEqual(known.purchase, purchase)
        : known.kind === kind,
    );
    if (seen === undefined) kinds.push({ purchase, kind, times: 1 });
    else seen.times += 1;
  }
  return kinds.map(({ purchase, times }) =>
    times === 1
      ? describePurchase(purchase)
      : `${describePurchase(purchase)} (${String(times)} times)`,
  );
}

/**
 * What the request asked for after the purchases of the turn (`tried`, in order), by
 * `planned`, the model's reading of it: undefined when the purchases made are not the first
 * ones it read (the model read the request otherwise), so nothing can be said item by item.
 */
export function itemsNotTried(
  planned: readonly PurchaseRequest[],
  tried: readonly PurchaseRequest[],
): PurchaseRequest[] | undefined {
  // Member by member, so that a member set to undefined counts as one left out.
  const same = (a: PurchaseRequest, b: PurchaseRequest | undefined) =>
    a.product === b?.product && a.qty === b.qty && a.priceLimit === b.priceLimit;
  if (!tried.every((purchase, index) => same(purchase, planned[index]))) return undefined;
  return planned.slice(tried.length);
}

/** A run that ended before any purchase: a usage error, a busy thread, a failed start. */
export function reportWithoutPurchases(
  outcome: Outcome,
  threadId: string,
  message: string,
  totalMs: number,
  details: { error?: string | undefined; fix?: string | undefined } = {},
): AgentReport {
  return {
    outcome,
    exitCode: exitCodeOf(outcome),
    ...(details.error === undefined ? {} : { error: details.error }),
    message,
    threadId,
    ...(details.fix === undefined ? {} : { fix: details.fix }),
    purchases: [],
    timings: { totalMs },
  };
}

/** A run that stopped at once: a corrupt store entry, a lost lease, a vanished parent. */
export function haltReport(
  threadId: string,
  halt: AgentHalt,
  untouched: boolean,
  totalMs: number,
): AgentReport {
  if (halt instanceof StoreEntryError) {
    const { message, fix } = describeStoreEntryError(halt, threadId, untouched);
    return reportWithoutPurchases("CONFIG_ERROR", threadId, message, totalMs, {
      error: halt.code,
      fix,
    });
  }
  const report = reportWithoutPurchases("ERROR", threadId, halt.message, totalMs, {
    error: halt.code,
    fix: halt.fix,
  });
  const { result } = halt;
  if (result === undefined) return report;
  // What this run knows of the purchase it finished: the order it got, or why none.
  return {
    ...report,
    ...(result.authReqId === undefined ? {} : { authReqId: result.authReqId }),
    ...(result.bindingMessage === undefined ? {} : { bindingMessage: result.bindingMessage }),
    ...(result.order === undefined ? {} : { order: result.order }),
    purchases: [result],
  };
}

function decidedResults(thread: ThreadRecord): PurchaseResult[] {
  return thread.purchases.flatMap((purchase) => (purchase.result ? [purchase.result] : []));
}

/** A purchase that did not go through; NO_PURCHASE is a turn cut short, not a failure. */
function failed(result: PurchaseResult): boolean {
  return result.outcome !== "ORDERED" && result.outcome !== "NO_PURCHASE";
}
