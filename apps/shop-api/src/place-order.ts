import { SHOP_CURRENCY } from "@ciba-testbed/shared";
import type { Clock, PurchaseRequest } from "@ciba-testbed/shared";

import { checkPurchaseAuthorizationDetails } from "./authorization-details.js";
import type { Catalog } from "./catalog.js";
import { errors, insufficientAuthorizationDetails } from "./errors.js";
import { formatCents, limitToCents } from "./money.js";
import type { Order } from "./order.js";
import type { ShopStore } from "./store/shop-store.js";

export interface Buyer {
  sub: string;
  azp: string | null;
  /** The token's raw `authorization_details` claim, checked here against the order. */
  authorizationDetails: unknown;
  /** Names the approval the token's authorization_details grant, whatever its spelling. */
  approvalKey: string;
  /** The name versions before this one stored the same approval under, when it differs. */
  earlierApprovalKey?: string | undefined;
  /**
   * Why more tokens for the same approval may come without the person being asked (a refresh
   * minted this one, or `offline_access` came with it: `renewableBecause`), or undefined.
   */
  renewable: string | undefined;
  /** The token's `iat` (seconds since the epoch), when it has one. */
  issuedAt: number | undefined;
}

export interface PlaceOrderInput {
  request: PurchaseRequest;
  buyer: Buyer;
  idempotencyKey?: string | undefined;
}

export interface PlaceOrderDeps {
  catalog: Catalog;
  store: ShopStore;
  clock: Clock;
  newOrderId: () => string;
}

export interface PlacedOrder {
  order: Order;
  /** True when an earlier request with the same Idempotency-Key and body created the order. */
  replayed: boolean;
}

/**
 * Places an order, as guard clauses in this order: product exists, the person approved it
 * (authorization_details), idempotent replay, the approval is unused (and was issued after the
 * shop's record of spent approvals began), price limit, stock.
 * Nothing is written unless every check passed. The checks that read the store answer the
 * usual case early; the store's transaction and unique keys decide the races (two requests
 * with one approval or one Idempotency-Key, the last units of stock), whichever process
 * serves them, with the same answers.
 */
export async function placeOrder(
  input: PlaceOrderInput,
  deps: PlaceOrderDeps,
): Promise<PlacedOrder> {
  const { request, buyer, idempotencyKey } = input;
  const { catalog, store } = deps;
  const earlier =
    idempotencyKey === undefined
      ? undefined
      : await store.findByIdempotencyKey(buyer.sub, idempotencyKey);

  const product = catalog.find(request.product);
  if (!product) {
    throw errors.unknownProduct(
      `No product matches '${request.product}'; GET /api/products lists what is on sale`,
    );
  }
  const totalCents = product.unitPriceCents * request.qty;
  // What a retry must repeat: the product (however it is named: "usb-c-cable", "USB-C cable"),
  // the quantity and the limit. Keys stored before products were compared by id hold the
  // product as it was typed, and still match a retry that types it the same way.
  const fingerprints = [
    JSON.stringify([product.id, request.qty, request.priceLimit ?? null]),
    JSON.stringify([request.product, request.qty, request.priceLimit ?? null]),
  ] as const;

  const approval = checkPurchaseAuthorizationDetails(
    buyer.authorizationDetails,
    { productId: product.id, quantity: request.qty, totalCents, idempotencyKey },
    catalog,
  );
  if (approval.outcome === "mismatch") {
    throw insufficientAuthorizationDetails(approval.reason);
  }
  // A refresh token mints new access tokens for the same grant, each with a new `iat`, so each
  // would be a new approval here and buy again.
  if (approval.outcome === "matched" && buyer.renewable !== undefined) {
    throw insufficientAuthorizationDetails(buyer.renewable);
  }
  const approvalId = approval.outcome === "matched" ? buyer.approvalKey : null;
  // Every name of the approval: an order placed before an upgrade stored its earlier one.
  const approvalIds =
    approvalId === null
      ? []
      : [approvalId, ...(buyer.earlierApprovalKey === undefined ? [] : [buyer.earlierApprovalKey])];
  // A retry is answered with the first order only once the token has passed every check a new
  // order would: a key names a request, and the approval it carried is part of it.
  if (earlier) return replay(earlier, fingerprints, approvalIds);
  // The person approved one purchase: a second, different order with the same approval (an
  // agent re-running an approved tool call) needs a new consent. Retries with the same
  // Idempotency-Key were answered above with the first order.
  const spent = await findSpent(store, approvalIds);
  if (spent) return spentOrRetried(spent, idempotencyKey, fingerprints, approvalIds);
  // The record of spent approvals holds only those spent since it began (a --reset, a database
  // deleted or made anew): an approval issued before may have bought already.
  if (approvalId !== null) await refuseIssuedBeforeRecord(buyer.issuedAt, deps);

  if (request.priceLimit !== undefined && totalCents > limitToCents(request.priceLimit)) {
    throw errors.priceLimitExceeded(
      `${request.qty} x ${product.name} costs ${formatCents(totalCents)}, ` +
        `above the priceLimit of ${formatCents(limitToCents(request.priceLimit))}`,
    );
  }

  const order: Order = {
    id: deps.newOrderId(),
    productId: product.id,
    productName: product.name,
    quantity: request.qty,
    unitPriceCents: product.unitPriceCents,
    totalCents,
    currency: SHOP_CURRENCY,
    status: "confirmed",
    createdAt: deps.clock.now(),
    authorization: {
      sub: buyer.sub,
      azp: buyer.azp,
      authorizationDetailsMatched: approval.outcome === "matched",
      approvalId,
    },
    ...(idempotencyKey === undefined
      ? {}
      : { idempotency: { key: idempotencyKey, fingerprint: fingerprints[0] } }),
  };
  const placed = await store.place(order);
  switch (placed.outcome) {
    case "placed":
      return { order, replayed: false };
    case "idempotency-key-taken":
      return replay(placed.earlier, fingerprints, approvalIds);
    case "approval-spent":
      return spentOrRetried(placed.earlier, idempotencyKey, fingerprints, approvalIds);
    case "out-of-stock":
      throw errors.insufficientStock(
        `Only ${placed.left} x ${product.name} left in stock; ${request.qty} requested`,
      );
  }
}

/** The order an approval placed, under any of its names. */
async function findSpent(
  store: ShopStore,
  approvalIds: readonly string[],
): Promise<Order | undefined> {
  for (const id of approvalIds) {
    const spent = await store.findByApprovalId(id);
    if (spent) return spent;
  }
  return undefined;
}

/**
 * The first order again, when the retry repeats its body exactly and carries the approval that
 * placed it (`approvalIds`: the matched approval's names, none for a token that approves no
 * particular purchase). A retry is the same token again: a key sent with another approval is
 * an agent using one key for two purchases, and answering it with the first order would report
 * a purchase done that the other approval never paid for, and leave that approval unspent.
 */
function replay(
  earlier: Order,
  fingerprints: readonly string[],
  approvalIds: readonly string[],
): PlacedOrder {
  if (!fingerprints.includes(earlier.idempotency?.fingerprint ?? "")) {
    throw errors.idempotencyKeyReused(
      "This Idempotency-Key was already used for a different purchase; " +
        "send a new key for a new purchase, or repeat the first body exactly to retry it",
    );
  }
  const placedWith = earlier.authorization.approvalId;
  if (placedWith === null ? approvalIds.length > 0 : !approvalIds.includes(placedWith)) {
    throw errors.idempotencyKeyReused(
      `This Idempotency-Key was already used for order ${earlier.id}, placed with another ` +
        "approval; a retry sends the same access token again, and a new purchase needs a new key",
    );
  }
  return { order: earlier, replayed: true };
}

/**
 * The approval placed `earlier`: a retry of that very order (its Idempotency-Key) gets it back,
 * as if its key had been found first: a request racing the first one (sent again before the
 * first's answer, to another replica) read no key, then the first committed. Anything else is
 * a second purchase with one approval.
 */
function spentOrRetried(
  earlier: Order,
  idempotencyKey: string | undefined,
  fingerprints: readonly string[],
  approvalIds: readonly string[],
): PlacedOrder {
  if (idempotencyKey !== undefined && earlier.idempotency?.key === idempotencyKey) {
    return replay(earlier, fingerprints, approvalIds);
  }
  throw approvalSpent(earlier);
}

/**
 * An approval issued before the shop's record of spent approvals began (`ShopStore.recordBegan`),
 * or in that second, since `iat` counts whole seconds, may have been spent in a database the
 * shop has forgotten: refused, as a spent one is. A database with no start counts from now.
 */
async function refuseIssuedBeforeRecord(
  issuedAt: number | undefined,
  { store, clock }: Pick<PlaceOrderDeps, "store" | "clock">,
): Promise<void> {
  const began = (await store.recordBegan()) ?? clock.now();
  // `iat` counts whole seconds: a token of the second the record began in may have been issued,
  // and spent, before it.
  if (issuedAt !== undefined && issuedAt * 1000 >= began) return;
  const since = new Date(began).toISOString().replace(".000Z", "Z");
  throw insufficientAuthorizationDetails(
    (issuedAt === undefined
      ? `This approval's token has no iat, so it may have been issued before this shop's record of spent approvals began (${since})`
      : issuedAt * 1000 > began - 1000
        ? `This approval was issued in the second this shop's record of spent approvals began (${since}), maybe before it (a token's iat counts whole seconds)`
        : `This approval was issued before this shop's record of spent approvals began (${since})`) +
      ": it may have been spent already; ask the person for a new approval",
  );
}

function approvalSpent(earlier: Order) {
  return insufficientAuthorizationDetails(
    `This approval was already used for order ${earlier.id}; a new purchase needs a new approval ` +
      "(approvals of the same purchase collected in the same second are one token: " +
      "a purchase_id in authorization_details keeps them apart)",
  );
}
