import {
  describePurchase,
  describeResult,
  isPurchaseResult,
  orderSummary,
  type Order,
  type PurchaseResult,
} from "@ciba-testbed/agent";
import type { PurchaseRequest } from "@ciba-testbed/shared";

/** How a purchase ended, as far as the tool's result tells. */
export type ResultKind = "ordered" | "denied" | "expired" | "pending" | "refused" | "unclear";

export interface ReadResult {
  kind: ResultKind;
  /** One sentence for the person, built only from the result. */
  sentence: string;
}

const OUTCOME_KINDS: Partial<Record<PurchaseResult["outcome"], ResultKind>> = {
  ORDERED: "ordered",
  DENIED: "denied",
  EXPIRED: "expired",
  PENDING: "pending",
};

/**
 * Text rules, first match wins. Denial comes before expiry because Auth0 words a denial as
 * "denied ... or it has been expired"; failures come before success because "Failed to
 * order" names an order. HTTP reason phrases cover tools that return `response.statusText`
 * (the Auth0 quickstart's `shopOnlineTool` does).
 */
const TEXT_RULES: readonly (readonly [ResultKind, RegExp])[] = [
  ["denied", /denied|declined|rejected/i],
  ["expired", /expired|timed?[\s_-]?out/i],
  ["pending", /pending|waiting for (?:approval|authori[sz]ation|the user)/i],
  [
    "refused",
    /error|fail|refused|forbidden|unauthori[sz]ed|not found|unprocessable|insufficient|invalid|conflict|too many|unavailable|cannot|can't|could not|unable|bad request|payment required/i,
  ],
  [
    "ordered",
    /^\s*(?:ok|created|accepted)\s*$|\bordered\b|\bpurchased\b|\bbought\b|success|confirmed|\border (?:placed|created)\b/i,
  ],
];

const ORDER_ID_IN_TEXT =
  /\border[\s_-]?(?:id|number|no\.?)\s*[:=#]?\s*["']?([A-Za-z0-9][\w.-]*)|\border\s*#\s*([A-Za-z0-9][\w.-]*)/i;

const MAX_QUOTED = 200;

/**
 * Reads what a purchase tool returned: this repository's agent result (its own sentence), an
 * order as JSON (the shop's, or a quickstart's mock), an error object, or free text.
 * `purchase` is what was asked for, read from the call's arguments.
 */
export function readToolResult(output: string, purchase: PurchaseRequest | undefined): ReadResult {
  const value = parseJson(output);
  if (isPurchaseResult(value)) {
    return { kind: OUTCOME_KINDS[value.outcome] ?? "refused", sentence: describeResult(value) };
  }
  const what = purchase === undefined ? "the purchase" : describePurchase(purchase);
  if (typeof value === "string") return fromText(value, what);
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return fromObject(value as Record<string, unknown>, what, output);
  }
  return fromText(output, what);
}

function fromObject(value: Record<string, unknown>, what: string, raw: string): ReadResult {
  const error = value.error;
  if (error !== undefined && error !== null && error !== false) {
    const reason =
      text(value.error_description) ??
      text(value.message) ??
      text(error) ??
      text((error as { message?: unknown }).message) ??
      raw;
    return fromText(reason, what, "refused");
  }
  const status = text(value.status);
  if (status !== undefined) {
    const byStatus = fromText(status, what);
    if (byStatus.kind !== "unclear" && byStatus.kind !== "ordered") return byStatus;
  }
  const order = orderIn(value);
  if (order !== undefined) return ordered(what, order);
  return fromText(raw, what);
}

function fromText(raw: string, what: string, fallback: ResultKind = "unclear"): ReadResult {
  const kind = TEXT_RULES.find(([, pattern]) => pattern.test(raw))?.[0] ?? fallback;
  const quoted = quote(raw);
  switch (kind) {
    case "ordered": {
      const match = ORDER_ID_IN_TEXT.exec(raw);
      const id = match?.[1] ?? match?.[2];
      return ordered(what, id === undefined ? undefined : { id });
    }
    case "denied":
      return { kind, sentence: `The purchase of ${what} was denied; nothing was ordered.` };
    case "expired":
      return {
        kind,
        sentence: `The approval request for ${what} expired before the agent collected an answer; nothing was ordered.`,
      };
    case "pending":
      return { kind, sentence: `Waiting for approval of ${what}; nothing is ordered yet.` };
    case "refused":
      return { kind, sentence: `Could not buy ${what}: ${quoted}` };
    case "unclear":
      return {
        kind,
        sentence: `The shop tool answered "${quoted}" for ${what}; I cannot tell whether it was ordered.`,
      };
  }
}

function ordered(what: string, order: Partial<Order> | undefined): ReadResult {
  const summary = order?.id === undefined ? "order placed" : orderSummary(order as Order);
  return { kind: "ordered", sentence: `Ordered ${what}: ${summary}.` };
}

/** The order in a JSON result: the object itself or its `order`, named by id, orderId or order_id. */
function orderIn(value: Record<string, unknown>): Partial<Order> | undefined {
  for (const candidate of [value.order, value]) {
    if (typeof candidate !== "object" || candidate === null) continue;
    const record = candidate as Record<string, unknown>;
    const id = [record.id, record.orderId, record.order_id].find(
      (v) => typeof v === "string" || typeof v === "number",
    );
    if (id === undefined) continue;
    return {
      id: String(id),
      ...(typeof record.total === "number" ? { total: record.total } : {}),
      ...(record.currency === "USD" ? { currency: record.currency } : {}),
    };
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function quote(raw: string): string {
  const flat = raw.replace(/\s+/g, " ").trim();
  return flat.length > MAX_QUOTED ? `${flat.slice(0, MAX_QUOTED - 1)}…` : flat;
}

function parseJson(output: string): unknown {
  try {
    return JSON.parse(output);
  } catch {
    return output;
  }
}
