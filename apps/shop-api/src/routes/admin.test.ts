import express from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";

import { errorHandler } from "../error-handler.js";
import { createLogger } from "../logging.js";
import type { OrderJson } from "../schemas.js";
import { adminRoutes } from "./admin.js";

const TOKEN = "admin-token-for-the-tests-0123456789";

const order = (id: string, sub: string): OrderJson => ({
  id,
  status: "confirmed",
  product: { id: "xyz-phone", name: "XYZ phone" },
  qty: 1,
  unit_price: 499,
  total: 499,
  currency: "USD",
  created_at: "2026-01-15T10:00:00.000Z",
  authorization: { sub, azp: "agent", authorization_details_matched: false },
});

function app() {
  const orders = [order("o-1", "auth0|alice"), order("o-2", "auth0|bob")];
  const asked: string[] = [];
  const server = express();
  server.use(
    adminRoutes({
      token: TOKEN,
      listOrders: (sub) => {
        asked.push(sub);
        return Promise.resolve({
          orders: orders.filter((o) => o.authorization.sub === sub),
          next_cursor: null,
        });
      },
    }),
  );
  server.use(errorHandler(createLogger("silent")));
  return { server, asked };
}

describe("GET /admin/orders", () => {
  it("lists one person's orders for the admin token", async () => {
    const { server } = app();
    const res = await request(server)
      .get("/admin/orders?user=auth0%7Calice")
      .set("Authorization", `Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orders: [order("o-1", "auth0|alice")], next_cursor: null });
  });

  it.each([
    ["no Authorization header", undefined],
    ["another token", "Bearer not-the-admin-token"],
    ["the token in another scheme", `Basic ${TOKEN}`],
  ])("refuses %s with 401 and the admin realm, reading nothing", async (_name, header) => {
    const { server, asked } = app();
    const req = request(server).get("/admin/orders?user=auth0%7Calice");
    const res = await (header === undefined ? req : req.set("Authorization", header));
    expect(res.status).toBe(401);
    // RFC 6750 section 3.1: no credentials, no error code in the challenge.
    expect(res.headers["www-authenticate"]).toBe(
      header === undefined
        ? 'Bearer realm="shop-api-admin"'
        : 'Bearer realm="shop-api-admin", error="invalid_token"',
    );
    expect(res.body.error).toBe("invalid_token");
    expect(asked).toEqual([]);
  });

  it("refuses two Authorization headers, even both the admin token", async () => {
    const { server, asked } = app();
    const res = await request(server)
      .get("/admin/orders?user=auth0%7Calice")
      // Two headers, as superagent sends an array (its types allow arrays for Cookie only).
      .set("Authorization", [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] as unknown as string);
    expect([res.status, res.body.error_description]).toEqual([
      400,
      "Send one Authorization header; this request had 2",
    ]);
    expect(asked).toEqual([]);
  });

  it("refuses two admin tokens joined in one Authorization header, as a proxy joins two", async () => {
    const { server, asked } = app();
    const res = await request(server)
      .get("/admin/orders?user=auth0%7Calice")
      .set("Authorization", `Bearer ${TOKEN}, Bearer ${TOKEN}`);
    expect([res.status, res.body.error]).toEqual([400, "invalid_request"]);
    expect(res.body.error_description).toMatch(/^Send one Authorization header with one token;/);
    expect(asked).toEqual([]);
  });

  it("takes the scheme in any case (RFC 9110 section 11.1)", async () => {
    const { server } = app();
    const res = await request(server)
      .get("/admin/orders?user=auth0%7Calice")
      .set("Authorization", `bearer ${TOKEN}`);
    expect(res.status).toBe(200);
  });

  it.each([["/admin/orders"], ["/admin/orders?user="], ["/admin/orders?user=a&user=b"]])(
    "%s: 400 invalid_request naming the parameter",
    async (path) => {
      const { server } = app();
      const res = await request(server).get(path).set("Authorization", `Bearer ${TOKEN}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: "invalid_request",
        error_description: "Name the person: /admin/orders?user=<sub>, given once",
      });
    },
  );
});
