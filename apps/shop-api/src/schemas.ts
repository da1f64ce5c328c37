import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { SHOP_CURRENCY } from "@ciba-testbed/shared";
import { z } from "zod";

import type { Product } from "./catalog.js";
import { fromCents } from "./money.js";
import type { Order } from "./order.js";

// Adds `.openapi()` to zod's prototypes, so it also reaches the shared package's schemas.
extendZodWithOpenApi(z);

/** The response schemas. Handlers build their JSON through the functions below. */
export const productSchema = z
  .object({
    id: z.string().openapi({ example: "xyz-phone" }),
    name: z.string().openapi({ example: "XYZ phone" }),
    price: z.number().describe("Unit price in `currency`").openapi({ example: 499 }),
    currency: z.literal(SHOP_CURRENCY),
    stock: z.number().int().min(0).describe("Units available"),
  })
  .openapi("Product");

export const productListSchema = z
  .object({ products: z.array(productSchema) })
  .openapi("ProductList");

export const orderSchema = z
  .object({
    id: z.string().openapi({ example: "3f6c2f4e-2c1b-4a8e-9a55-0d8f7f5d1c2a" }),
    status: z.literal("confirmed"),
    product: z.object({ id: z.string(), name: z.string() }),
    qty: z.number().int().min(1),
    unit_price: z.number().describe("Price of one unit, in `currency`"),
    total: z.number().describe("unit_price x qty, in `currency`"),
    currency: z.literal(SHOP_CURRENCY),
    created_at: z.string().datetime(),
    authorization: z
      .object({
        sub: z.string().describe("The person the order belongs to (the token's `sub`)"),
        azp: z
          .string()
          .nullable()
          .describe(
            "The client that placed it: the token's `azp`, or `client_id` in Auth0's RFC 9068 profile",
          ),
        authorization_details_matched: z
          .boolean()
          .describe(
            "True when the token carried `product_purchase` authorization_details and the order matched one",
          ),
      })
      .describe("Who authorized the order, from the access token"),
  })
  .openapi("Order");

export const orderListSchema = z
  .object({
    orders: z.array(orderSchema).describe("A page of orders, oldest first"),
    next_cursor: z
      .string()
      .nullable()
      .describe("Pass it as `after` for the next page, as it is (URL-safe); null on the last page"),
  })
  .openapi("OrderList");

export const errorSchema = z
  .object({
    error: z.string().describe("A stable code; see the list in the API description"),
    error_description: z.string().describe("What went wrong and what to do about it"),
  })
  .openapi("Error");

export const healthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

export const readySchema = z
  .object({
    status: z.literal("ready"),
    issuer: z.string().url(),
    jwks_keys: z.number().int().min(1).describe("Signing keys published by the issuer"),
    checked_at: z.string().datetime(),
  })
  .openapi("Ready");

/** The JSON this API answers with, for its clients to import rather than retype. */
export type ProductJson = z.infer<typeof productSchema>;
export type ProductListJson = z.infer<typeof productListSchema>;
export type OrderJson = z.infer<typeof orderSchema>;
export type OrderListJson = z.infer<typeof orderListSchema>;
export type HealthJson = z.infer<typeof healthSchema>;
export type ReadyJson = z.infer<typeof readySchema>;

export function toProductJson(product: Product): ProductJson {
  return {
    id: product.id,
    name: product.name,
    price: fromCents(product.unitPriceCents),
    currency: product.currency,
    stock: product.stock,
  };
}

export function toOrderJson(order: Order): OrderJson {
  return {
    id: order.id,
    status: order.status,
    product: { id: order.productId, name: order.productName },
    qty: order.quantity,
    unit_price: fromCents(order.unitPriceCents),
    total: fromCents(order.totalCents),
    currency: order.currency,
    created_at: new Date(order.createdAt).toISOString(),
    authorization: {
      sub: order.authorization.sub,
      azp: order.authorization.azp,
      authorization_details_matched: order.authorization.authorizationDetailsMatched,
    },
  };
}
