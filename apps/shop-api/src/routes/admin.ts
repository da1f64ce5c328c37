import { createHash, timingSafeEqual } from "node:crypto";

import { OAuthError } from "@ciba-testbed/shared";
import { Router } from "express";
import type { Handler } from "express";

import { refuseRepeatedAuthorization } from "../auth.js";
import { errors } from "../errors.js";
import type { OrderListJson } from "../schemas.js";
import { refuseOtherMethods } from "./method-not-allowed.js";

export interface AdminRouteOptions {
  /** `SHOP_API_ADMIN_TOKEN`: the bearer secret an operator or a test harness sends. */
  token: string;
  /**
   * A page of a person's orders, oldest first, as the purchase API shows them (`listOrderPage`),
   * for the request's query (its `limit` and `after`; `user` is read already).
   */
  listOrders: (sub: string, query: Record<string, unknown>) => Promise<OrderListJson>;
}

const ADMIN_REALM = 'Bearer realm="shop-api-admin"';

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * The admin token, compared in constant time. A request without it, or with another token, is
 * refused with 401 and an RFC 6750 challenge naming the admin realm: no access token of a
 * person opens this route, and the admin token opens no other.
 */
function requireAdminToken(token: string): Handler {
  const expected = digest(token);
  return (req, _res, next) => {
    const header = req.get("authorization");
    // RFC 9110 section 11.1: the scheme is case-insensitive.
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(header ?? "");
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
      // RFC 6750 section 3.1: a request with no credentials gets a challenge without an error.
      const challenge =
        header === undefined ? ADMIN_REALM : `${ADMIN_REALM}, error="invalid_token"`;
      next(
        new OAuthError(
          401,
          "invalid_token",
          "This route needs 'Authorization: Bearer <SHOP_API_ADMIN_TOKEN>'",
          { "WWW-Authenticate": challenge },
        ),
      );
      return;
    }
    next();
  };
}

/**
 * Read-only routes for whoever runs the shop (a test harness checking what an agent bought):
 * mounted only when `SHOP_API_ADMIN_TOKEN` is set, so a shop started without one has none.
 */
export function adminRoutes({ token, listOrders }: AdminRouteOptions): Router {
  const router = Router();
  router.get(
    "/admin/orders",
    refuseRepeatedAuthorization,
    requireAdminToken(token),
    async (req, res) => {
      const user = req.query.user;
      if (typeof user !== "string" || user === "") {
        throw errors.invalidRequest("Name the person: /admin/orders?user=<sub>, given once");
      }
      res.json(await listOrders(user, req.query));
    },
  );
  refuseOtherMethods(router, "/admin/orders", ["GET"]);
  return router;
}
