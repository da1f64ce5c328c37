import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DEFAULT_PRODUCTS } from "../catalog.js";
import { productListSchema, productSchema } from "../schemas.js";
import { createTestApp } from "../test-support/test-app.js";
import { startTestIssuer } from "../test-support/test-issuer.js";
import type { TestIssuer } from "../test-support/test-issuer.js";

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

describe("GET /api/products", () => {
  it("lists the seeded catalog without a token, prices in dollars", async () => {
    const shop = await createTestApp(issuer, { products: DEFAULT_PRODUCTS });
    const res = await request(shop.app).get("/api/products");

    expect(res.status).toBe(200);
    const { products } = productListSchema.parse(res.body);
    expect(products).toHaveLength(DEFAULT_PRODUCTS.length);
    expect(products[0]).toEqual({
      id: "xyz-phone",
      name: "XYZ phone",
      price: 499,
      currency: "USD",
      stock: 50,
    });
    expect(products.find((p) => p.id === "xyz-phone-case")?.price).toBe(19.99);
  });

  it("shows stock going down after a purchase", async () => {
    const shop = await createTestApp(issuer);
    await request(shop.app)
      .post("/api/purchases")
      .set("Authorization", `Bearer ${await issuer.mint()}`)
      .send({ product: "XYZ phone", qty: 3 });
    const res = await request(shop.app).get("/api/products/xyz-phone");
    expect(res.body.stock).toBe(47);
  });
});

describe("GET /api/products/:product", () => {
  it.each(["xyz-phone", "XYZ phone", "xyz%20PHONES", "XYZ%20Phone"])("finds %s", async (ref) => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app).get(`/api/products/${ref.replace(/ /g, "%20")}`);
    expect(res.status).toBe(200);
    expect(productSchema.parse(res.body).id).toBe("xyz-phone");
  });

  it("answers 404 JSON for an unknown product", async () => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app).get("/api/products/flux-capacitor");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: "not_found",
      error_description: "No product matches 'flux-capacitor'; GET /api/products lists them",
    });
  });
});
