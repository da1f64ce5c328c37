import type { PurchaseRequest } from "@ciba-testbed/shared";

import { expiresAt, type ApprovalRequest } from "./approval-request.js";
import type { BootReading } from "./boot-clock.js";
import type { PurchaseResult, PurchaseTimings, Verdict } from "./purchase-result.js";

/** One purchase of a thread, written before the approval request is sent. */
export interface PurchaseRecord {
  toolCallId: string;
  /**
   * The approval's `purchase_id` and the order's Idempotency-Key, made by the agent for this
   * purchase: a tool call id is the model's, unique only where the model makes it so (a server
   * that numbers calls per answer gives every thread `call_0`), and the shop keeps a person's
   * keys across threads. Records written before it had none: their tool call id was the key.
   */
  purchaseId?: string;
  purchase: PurchaseRequest;
  /**
   * The product's name in the shop's catalog, once the catalog resolved the model's words to it
   * ("XYZ phone" for "xyz-phone"); null when the shop resolved nothing (its catalog could not be
   * read, or has no such product). Absent in journals written before.
   */
  productName?: string | null;
  bindingMessage: string;
  /** The cap the person approves: their price limit, else the catalog total when known. */
  maximumAmount?: number;
  startedAt: number;
  /** How long the shop's catalog took to answer before the purchase was priced. */
  catalogMs?: number;
  /** How long `/bc-authorize` took (the first poll of the request, by this agent's monotonic clock). */
  bcAuthorizeMs?: number;
  /**
   * When Auth0's answer to `/bc-authorize` arrived (epoch ms, the agent's clock, for display):
   * the person's wait starts about then.
   */
  acceptedAt?: number;
  /**
   * The boot clock's reading then: a process that resumes the request on the same boot measures
   * `decisionMs` from it. Absent where the boot has no name, and in journals written before.
   */
  acceptedOn?: BootReading;
  /** The approval request Auth0 accepted. */
  request?: ApprovalRequest;
  /**
   * The token was taken for the order: Auth0 issues it once, so from here on the approval is
   * spent, whether or not the order follows.
   */
  approvedAt?: number;
  /** The order request is about to leave: the shop may have the order from here on. */
  orderSentAt?: number;
  finishedAt?: number;
  /** Set once, when the purchase is decided; a later run returns it instead of acting again. */
  result?: PurchaseResult;
}

/** What a purchase reports while it waits for the person. */
export function pendingResult(record: PurchaseRecord): PurchaseResult {
  const { request } = record;
  return {
    outcome: "PENDING",
    purchase: record.purchase,
    ...(record.productName === undefined ? {} : { productName: record.productName }),
    bindingMessage: record.bindingMessage,
    description: "Waiting for the person to approve.",
    ...(request
      ? { authReqId: request.id, expiresAt: new Date(expiresAt(request)).toISOString() }
      : {}),
  };
}

/**
 * The durations of a purchase's steps from its pricing on, measured on a monotonic clock by the
 * process that finishes it (`PurchaseTimings`); one it could not measure (a step another process
 * saw, on another boot) is absent.
 */
export type MeasuredSteps = Pick<PurchaseTimings, "approvalMs" | "decisionMs" | "orderMs">;

/**
 * The result a purchase ends with: the verdict tied to the purchase and its request, with the
 * times of its steps (the journal's, and those the finishing process measured), and the binding
 * message of its approval request unless it was refused before one was sent (`asked` false).
 */
export function finishedResult(
  record: PurchaseRecord,
  verdict: Verdict & Pick<PurchaseResult, "order">,
  measured: MeasuredSteps,
  { asked = true }: { asked?: boolean } = {},
): PurchaseResult {
  return {
    ...verdict,
    purchase: record.purchase,
    ...(record.productName === undefined ? {} : { productName: record.productName }),
    // Only a consent that was sent: a reader takes the binding message for what was asked.
    ...(asked ? { bindingMessage: record.bindingMessage } : {}),
    ...(record.request ? { authReqId: record.request.id } : {}),
    timings: {
      ...(record.catalogMs === undefined ? {} : { catalogMs: record.catalogMs }),
      ...(record.bcAuthorizeMs === undefined ? {} : { bcAuthorizeMs: record.bcAuthorizeMs }),
      ...measured,
    },
  };
}

/** The purchase's `purchase_id` and Idempotency-Key (see `PurchaseRecord.purchaseId`). */
export function purchaseIdOf(record: Pick<PurchaseRecord, "purchaseId" | "toolCallId">): string {
  return record.purchaseId ?? record.toolCallId;
}
