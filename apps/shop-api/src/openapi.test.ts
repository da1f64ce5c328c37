import { PRODUCT_BUY_SCOPE } from "@ciba-testbed/shared";
import { Validator } from "@seriousme/openapi-schema-validator";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { errors } from "./errors.js";
import { buildOpenApiDocument } from "./openapi.js";
import { createTestApp } from "./test-support/test-app.js";
import { startTestIssuer } from "./test-support/test-issuer.js";
import type { TestIssuer } from "./test-support/test-issuer.js";

type Json = Record<string, unknown>;

const doc = buildOpenApiDocument({
  issuer: "https://localhost:4010/",
  audience: "sample-shop-api",
}) as Json;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const paths = doc.paths as Record<string, Record<string, Json>>;
const operations = Object.entries(paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({ path, method, operation })),
);

/** Every `$ref` anywhere in the document. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "$ref" && typeof inner === "string" ? [inner] : refs(inner),
  );
}

function resolve(pointer: string): unknown {
  expect(pointer.startsWith("#/")).toBe(true);
  return pointer
    .slice(2)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], doc);
}

/** Keywords of OpenAPI 3.0's schema dialect that 3.1 (JSON Schema 2020-12) dropped. */
function legacyKeywords(value: unknown, path = "#"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => legacyKeywords(v, `${path}/${i}`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(key === "nullable" || (key === "exclusiveMinimum" && typeof inner === "boolean")
      ? [`${path}/${key}`]
      : []),
    ...legacyKeywords(inner, `${path}/${key}`),
  ]);
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 by the specification's own JSON schema", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("would be caught if it were not (the validator is not a rubber stamp)", async () => {
    const broken = { ...doc, paths: { "/api/purchases": { post: { responses: "none" } } } };
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });
});

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1 with the required top-level members", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(
      Object.keys(doc).every(
        (k) =>
          [
            "openapi",
            "info",
            "jsonSchemaDialect",
            "servers",
            "paths",
            "webhooks",
            "components",
            "security",
            "tags",
            "externalDocs",
          ].includes(k) || k.startsWith("x-"),
      ),
    ).toBe(true);
  });

  it("documents every route the app serves", () => {
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual([
      "GET /api/products",
      "GET /api/products/{product}",
      "GET /api/purchases",
      "GET /api/purchases/{id}",
      "GET /health",
      "GET /openapi.json",
      "GET /ready",
      "POST /api/purchases",
    ]);
  });

  it("gives every operation a unique operationId and described responses", () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(operations.length);
    for (const { path, method, operation } of operations) {
      const responses = operation.responses as Record<string, Json>;
      expect(Object.keys(responses).length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(responses)) {
        expect(status).toMatch(/^[1-5]\d\d$/);
        expect(typeof response.description, `${method} ${path} ${status}`).toBe("string");
      }
    }
  });

  it("declares every path template parameter as a required path parameter", () => {
    for (const { path, operation } of operations) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = ((operation.parameters ?? []) as Json[])
        .filter((p) => p.in === "path")
        .map((p) => {
          expect(p.required).toBe(true);
          return p.name;
        });
      expect(declared.sort()).toEqual(templated.sort());
    }
  });

  it("resolves every $ref", () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(5);
    for (const ref of all) expect(resolve(ref), ref).toBeDefined();
  });

  it("uses the 3.1 schema dialect (no `nullable`, numeric exclusiveMinimum)", () => {
    expect(legacyKeywords(doc)).toEqual([]);
  });

  it("secures the purchase operations with product:buy through the issuer's discovery document", () => {
    const schemes = (doc.components as Json).securitySchemes as Record<string, Json>;
    expect(schemes.auth0).toMatchObject({
      type: "openIdConnect",
      openIdConnectUrl: "https://localhost:4010/.well-known/openid-configuration",
    });
    for (const { path, operation } of operations) {
      const security = operation.security as Record<string, string[]>[] | undefined;
      if (path.startsWith("/api/purchases")) {
        expect(security).toEqual([{ auth0: [PRODUCT_BUY_SCOPE] }]);
      } else {
        expect(security).toBeUndefined();
      }
      for (const requirement of security ?? []) {
        for (const name of Object.keys(requirement)) expect(schemes[name]).toBeDefined();
      }
    }
  });

  it("describes the purchase body from the shared zod schema", () => {
    const schema = resolve("#/components/schemas/PurchaseRequest") as Json;
    expect(schema).toMatchObject({
      type: "object",
      required: ["product", "qty"],
      additionalProperties: false,
      properties: {
        qty: { type: "integer", minimum: 1, maximum: 1000 },
        priceLimit: { type: "number", minimum: 0.01 },
      },
    });
  });

  it("lists every error code the API answers with, from the error table", () => {
    const description = (doc.info as Json).description as string;
    for (const code of [
      "invalid_request",
      "invalid_token",
      "insufficient_scope",
      "insufficient_authorization_details",
      "not_found",
      "method_not_allowed",
      "insufficient_stock",
      "unsupported_media_type",
      "unknown_product",
      "price_limit_exceeded",
      "idempotency_key_reused",
      "server_error",
      "temporarily_unavailable",
    ]) {
      expect(description).toContain(`\`${code}\``);
    }
    for (const { status, code, when } of Object.values(errors.table)) {
      expect(description).toContain(`| ${status} | \`${code}\` | ${when} |`);
    }
  });

  it("documents an oversized body as 413 invalid_request, like every app of the testbed", () => {
    const description = (doc.info as Json).description as string;
    expect(description).toContain("| 413 | `invalid_request` | the body is over 10kb |");
    expect(description).not.toContain("payload_too_large");
    const purchase = paths["/api/purchases"]?.post?.responses as Record<string, Json>;
    expect(purchase["413"]?.description).toBe("`invalid_request`: the body is over 10kb");
  });

  it("describes each operation's errors from the table, with a challenge where RFC 6750 puts one", () => {
    const purchase = paths["/api/purchases"]?.post?.responses as Record<string, Json>;
    expect(Object.keys(purchase).sort()).toEqual(
      ["201", "400", "401", "403", "409", "413", "415", "422", "503"].sort(),
    );
    expect(purchase["422"]?.description).toBe(
      [
        errors.table.unknownProduct,
        errors.table.priceLimitExceeded,
        errors.table.idempotencyKeyReused,
      ]
        .map(({ code, when }) => `\`${code}\`: ${when}`)
        .join("; "),
    );
    for (const status of ["400", "401", "403"]) {
      expect(purchase[status]?.headers, status).toHaveProperty("WWW-Authenticate");
    }
    expect(purchase["409"]?.headers).toBeUndefined();
  });
});

/** An Express router's layers, as far as these tests read them. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route the app itself serves, as "METHOD /path/{param}": read from its router, so a
 * route added without its description, or described without its route, is seen. The `_all`
 * routes answer 405 for the methods a path does not serve.
 */
function servedRoutes(app: unknown): string[] {
  const walk = (stack: readonly Layer[]): string[] =>
    stack.flatMap((layer) =>
      layer.route === undefined
        ? walk(layer.handle?.stack ?? [])
        : Object.keys(layer.route.methods)
            .filter((method) => method !== "_all")
            .map(
              (method) =>
                `${method.toUpperCase()} ${layer.route?.path.replace(/:(\w+)/g, "{$1}") ?? ""}`,
            ),
    );
  return walk((app as { router: { stack: Layer[] } }).router.stack).sort();
}

/** The operations a document describes, as "METHOD /path/{param}". */
function describedRoutes(document: Json): string[] {
  return Object.entries(document.paths as Record<string, Json>)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => METHODS.includes(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

describe("GET /openapi.json", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });

  it("describes exactly the routes the app serves, /admin/orders only with an admin token", async () => {
    const plain = await createTestApp(issuer);
    const plainDocument = (await request(plain.app).get("/openapi.json")).body as Json;
    expect(describedRoutes(plainDocument)).toEqual(servedRoutes(plain.app));
    expect(describedRoutes(plainDocument)).not.toContain("GET /admin/orders");

    const admin = await createTestApp(issuer, {
      config: { adminToken: "admin-token-for-the-tests-0123456789" },
    });
    const adminDocument = (await request(admin.app).get("/openapi.json")).body as Json;
    expect(describedRoutes(adminDocument)).toEqual(servedRoutes(admin.app));
    expect(describedRoutes(adminDocument)).toContain("GET /admin/orders");
    // Its own bearer secret, not the person's access token, and still valid OpenAPI 3.1.
    const orders = (adminDocument.paths as Record<string, Record<string, Json>>)["/admin/orders"];
    expect(orders?.get?.security).toEqual([{ admin: [] }]);
    expect(
      (adminDocument.components as { securitySchemes: Json }).securitySchemes.admin,
    ).toMatchObject({ type: "http", scheme: "bearer" });
    const validator = new Validator();
    const result = await validator.validate(adminDocument);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it("serves the document for the configured issuer and audience", async () => {
    const shop = await createTestApp(issuer);
    const res = await request(shop.app).get("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body).toEqual(buildOpenApiDocument(shop.config));
    expect(res.body.components.securitySchemes.auth0.openIdConnectUrl).toBe(
      `${issuer.issuer}.well-known/openid-configuration`,
    );
  });
});
