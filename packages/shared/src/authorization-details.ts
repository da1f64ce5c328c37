import { z } from "zod";

import { PURCHASE_AUTHORIZATION_DETAILS_TYPE, SHOP_CURRENCY } from "./constants.js";
import { MAX_PRICE_LIMIT, MAX_PRODUCT_NAME_LENGTH, MAX_QUANTITY } from "./purchase.js";

/**
 * What a `purchase_id` may hold: the Idempotency-Key its order will carry, in characters that
 * read the same however a client sends the key. The draft (draft-ietf-httpapi-idempotency-key-
 * header) makes the header an RFC 8941 sf-string, `"k"`, in which `"` and `\` are escaped; most
 * clients send the key bare, `k`, and the shop takes both. A key holding `"` or `\` is spelled
 * one way bare and another quoted, and sent bare between quotes it reads as the quoted key
 * within (`"k"` is `k`): an approval naming it could miss its own order. So: visible ASCII but
 * those two.
 */
export const PURCHASE_ID = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;

/**
 * Characters a person cannot see for what they are (controls, format characters such as the
 * right-to-left override, line and paragraph separators, every space but the plain one, the
 * letters and marks that draw nothing: the combining grapheme joiner, the Hangul fillers, the
 * blank braille pattern, the Khmer and Mongolian invisibles, variation selectors), a run of three
 * or more combining marks (drawn over what is around it), and spacing that hides (leading,
 * trailing, doubled): a consent screen cannot show the person such a product name as it is. The
 * approver page marks the same (`HIDDEN` in apps/mock-auth0/public/details.js).
 */
const UNSEEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]|\u034F|\u17B4|\u17B5|[\u180B-\u180F]|[\uFE00-\uFE0F]|[\u{E0100}-\u{E01EF}]|[^\P{Zs} ]|\p{M}{3,}|^ | $| {2}/u;

/**
 * One RFC 9396 `authorization_details` entry describing a purchase the person is asked to
 * approve. Auth0 only checks `type`; the shop API checks the rest against the order.
 */
export const purchaseAuthorizationDetailSchema = z
  .object({
    type: z.literal(PURCHASE_AUTHORIZATION_DETAILS_TYPE),
    product: z
      .string()
      .min(1)
      .max(MAX_PRODUCT_NAME_LENGTH)
      .refine((product) => !UNSEEN.test(product), {
        message:
          "product holds characters a person cannot see on the consent screen (invisible or " +
          "unusual spacing, control or direction characters): name it as a person reads it",
      }),
    quantity: z.number().int().min(1).max(MAX_QUANTITY),
    maximum_amount: z.number().positive().max(MAX_PRICE_LIMIT).optional(),
    currency: z.literal(SHOP_CURRENCY),
    purchase_id: z
      .string()
      .regex(
        PURCHASE_ID,
        "purchase_id must be 1 to 255 visible ASCII characters other than '\"' and '\\' (no " +
          "spaces): an Idempotency-Key sent bare or quoted then reads the same",
      )
      .optional()
      .describe(
        "The Idempotency-Key the order will carry. It binds the approval to one purchase and " +
          "keeps two identical approvals apart: Auth0's access tokens carry no jti, so two " +
          "approvals of the same purchase issued in the same second are otherwise the same token.",
      ),
  })
  .strict();

export type PurchaseAuthorizationDetail = z.infer<typeof purchaseAuthorizationDetailSchema>;

/** Any RFC 9396 entry: an object with a string `type`; the other members depend on the type. */
export const authorizationDetailSchema = z.object({ type: z.string().min(1) }).passthrough();

export type AuthorizationDetail = z.infer<typeof authorizationDetailSchema>;

export const authorizationDetailsSchema = z.array(authorizationDetailSchema);

export function purchaseAuthorizationDetail(purchase: {
  product: string;
  quantity: number;
  maximumAmount?: number | undefined;
  purchaseId?: string | undefined;
}): PurchaseAuthorizationDetail {
  return {
    type: PURCHASE_AUTHORIZATION_DETAILS_TYPE,
    product: purchase.product,
    quantity: purchase.quantity,
    ...(purchase.maximumAmount === undefined ? {} : { maximum_amount: purchase.maximumAmount }),
    currency: SHOP_CURRENCY,
    ...(purchase.purchaseId === undefined ? {} : { purchase_id: purchase.purchaseId }),
  };
}
