import { describe, expect, it } from "vitest";

import type { FunctionTool } from "./conversation.js";
import {
  fillPurchaseArguments,
  purchaseToolsAmong,
  readPurchaseArguments,
} from "./purchase-tool.js";

function tool(name: string, parameters: unknown): FunctionTool {
  return { name, description: undefined, parameters };
}

const quickstart = tool("shop_online", {
  type: "object",
  properties: {
    product: { type: "string" },
    qty: { type: "number" },
    priceLimit: { type: "number" },
  },
  required: ["product", "qty"],
  additionalProperties: false,
  $schema: "http://json-schema.org/draft-07/schema#",
});

function only(t: FunctionTool) {
  const [found] = purchaseToolsAmong([t]);
  if (found === undefined) throw new Error(`${t.name} is not a purchase tool`);
  return found;
}

describe("purchaseToolsAmong", () => {
  it("finds the tool that asks for a product and a quantity, whatever its name", () => {
    const weather = tool("weather", { type: "object", properties: { city: { type: "string" } } });
    expect(purchaseToolsAmong([weather, quickstart]).map((t) => t.name)).toEqual(["shop_online"]);
  });

  it.each([
    [{ product_name: { type: "string" }, Quantity: { type: "integer" } }],
    [{ item: { type: "string" }, count: { type: ["integer", "null"] } }],
    [{ product: {}, qty: { anyOf: [{ type: "number" }, { type: "null" }] } }],
  ])("recognises %j", (properties) => {
    expect(purchaseToolsAmong([tool("t", { type: "object", properties })])).toHaveLength(1);
  });

  it.each([
    ["no properties", { type: "object" }],
    ["no quantity", { type: "object", properties: { product: { type: "string" } } }],
    [
      "a numeric product",
      { type: "object", properties: { product: { type: "number" }, qty: { type: "number" } } },
    ],
    ["not a schema", "product qty"],
  ])("ignores a tool with %s", (_what, parameters) => {
    expect(purchaseToolsAmong([tool("t", parameters)])).toEqual([]);
  });

  it("lists required arguments it cannot fill", () => {
    const found = only(
      tool("order", {
        type: "object",
        properties: {
          productId: { type: "string" },
          product: { type: "string" },
          qty: { type: "number" },
        },
        required: ["productId", "qty"],
      }),
    );
    expect(found.unfillable).toEqual(["productId"]);
  });
});

describe("fillPurchaseArguments", () => {
  it("fills the quickstart's schema, leaving out an absent optional price limit", () => {
    expect(fillPurchaseArguments(only(quickstart), { product: "XYZ phone", qty: 2 })).toEqual({
      kind: "filled",
      arguments: '{"product":"XYZ phone","qty":2}',
    });
    expect(
      fillPurchaseArguments(only(quickstart), { product: "XYZ phone", qty: 2, priceLimit: 900 }),
    ).toEqual({ kind: "filled", arguments: '{"product":"XYZ phone","qty":2,"priceLimit":900}' });
  });

  it("sends null for a price limit a strict schema requires but allows to be null", () => {
    const strict = only(
      tool("buy", {
        type: "object",
        properties: {
          product: { type: "string" },
          quantity: { type: "integer" },
          max_price: { type: ["number", "null"] },
        },
        required: ["product", "quantity", "max_price"],
      }),
    );
    expect(fillPurchaseArguments(strict, { product: "cable", qty: 1 })).toEqual({
      kind: "filled",
      arguments: '{"product":"cable","quantity":1,"max_price":null}',
    });
  });

  it("asks for a price limit the schema requires, and types numbers as the schema says", () => {
    const needsLimit = only(
      tool("buy", {
        type: "object",
        properties: {
          product: { type: "string" },
          qty: { type: "string" },
          budget: { type: "string" },
        },
        required: ["product", "qty", "budget"],
      }),
    );
    expect(fillPurchaseArguments(needsLimit, { product: "cable", qty: 1 })).toEqual({
      kind: "needs",
      needed: "a price limit for 1 x cable",
    });
    expect(
      fillPurchaseArguments(needsLimit, { product: "cable", qty: 3, priceLimit: 9.5 }),
    ).toEqual({
      kind: "filled",
      arguments: '{"product":"cable","qty":"3","budget":"9.5"}',
    });
  });

  it("picks the enum value the shop's matching names, and never a nearest guess", () => {
    const listed = only(
      tool("buy", {
        type: "object",
        properties: {
          product: { type: "string", enum: ["XYZ Phone", "USB-C cable"] },
          qty: { type: "number" },
        },
      }),
    );
    expect(fillPurchaseArguments(listed, { product: "xyz  phones", qty: 1 })).toEqual({
      kind: "filled",
      arguments: '{"product":"XYZ Phone","qty":1}',
    });
    expect(fillPurchaseArguments(listed, { product: "XYZ tablet", qty: 1 })).toEqual({
      kind: "needs",
      needed: 'a product the shop tool knows (XYZ Phone, USB-C cable) instead of "XYZ tablet"',
    });
  });
});

describe("readPurchaseArguments", () => {
  it("reads a call's arguments back as a purchase", () => {
    expect(
      readPurchaseArguments(only(quickstart), '{"product":"A","qty":"2","priceLimit":null}'),
    ).toEqual({ product: "A", qty: 2 });
    expect(readPurchaseArguments(only(quickstart), "not json")).toBeUndefined();
    expect(readPurchaseArguments(only(quickstart), '{"qty":2}')).toBeUndefined();
  });
});
