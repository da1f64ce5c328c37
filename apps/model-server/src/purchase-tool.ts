import { productReferenceCandidates, type PurchaseRequest } from "@ciba-testbed/shared";

import type { FunctionTool } from "./conversation.js";

/**
 * The argument names a purchase tool may use for each thing the offline parser reads, compared
 * without case, `_` or `-`: `qty`, `Quantity` and `item_name` all match.
 */
const NAMES = {
  product: ["product", "productname", "item", "itemname"],
  quantity: ["qty", "quantity", "count"],
  priceLimit: [
    "pricelimit",
    "maxprice",
    "maximumprice",
    "maxtotal",
    "maxamount",
    "budget",
    "pricecap",
  ],
} as const;

type Role = keyof typeof NAMES;

/** JSON Schema type names a property accepts; empty when the schema does not say. */
type TypeSet = ReadonlySet<string>;

interface Field {
  name: string;
  types: TypeSet;
  required: boolean;
  /** The values an `enum` allows, when it lists strings. */
  allowed: readonly string[] | undefined;
}

/** A function tool whose schema asks for a product and a quantity, with how to fill it. */
export interface PurchaseTool {
  name: string;
  fields: { product: Field; quantity: Field; priceLimit: Field | undefined };
  /** Required arguments that are none of the above: the offline model cannot fill them. */
  unfillable: string[];
}

export type FilledArguments =
  { kind: "filled"; arguments: string } | { kind: "needs"; needed: string };

/** The offered tools that look like purchase tools. */
export function purchaseToolsAmong(tools: readonly FunctionTool[]): PurchaseTool[] {
  return tools.flatMap((tool) => {
    const found = readPurchaseTool(tool);
    return found === undefined ? [] : [found];
  });
}

/** The names the offline model recognises, for error messages. */
export function recognisedArgumentNames(): string {
  return `product (${NAMES.product.join(", ")}), quantity (${NAMES.quantity.join(", ")}) and an optional price limit (${NAMES.priceLimit.join(", ")})`;
}

function readPurchaseTool(tool: FunctionTool): PurchaseTool | undefined {
  const schema = asRecord(tool.parameters);
  const properties = asRecord(schema?.properties);
  if (schema === undefined || properties === undefined) return undefined;
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((n) => typeof n === "string") : [],
  );
  const fields = Object.entries(properties).map(([name, property]): Field => {
    const definition = asRecord(property) ?? {};
    return {
      name,
      types: typesOf(definition),
      required: required.has(name),
      allowed: enumOf(definition),
    };
  });
  const withRole = (role: Role, accepts: (types: TypeSet) => boolean) =>
    fields.find(
      (field) =>
        (NAMES[role] as readonly string[]).includes(normalizeName(field.name)) &&
        accepts(field.types),
    );
  const product = withRole("product", (types) => allows(types, "string"));
  const quantity = withRole(
    "quantity",
    (types) => allows(types, "integer") || allows(types, "number") || allows(types, "string"),
  );
  if (product === undefined || quantity === undefined) return undefined;
  const priceLimit = withRole(
    "priceLimit",
    (types) => allows(types, "number") || allows(types, "integer") || allows(types, "string"),
  );
  const known = new Set([product.name, quantity.name, priceLimit?.name]);
  return {
    name: tool.name,
    fields: { product, quantity, priceLimit },
    unfillable: fields.filter((f) => f.required && !known.has(f.name)).map((f) => f.name),
  };
}

/** The arguments for one purchase, as JSON text, typed as the tool's schema asks. */
export function fillPurchaseArguments(tool: PurchaseTool, item: PurchaseRequest): FilledArguments {
  const { product, quantity, priceLimit } = tool.fields;
  const productValue = allowedProduct(product, item.product);
  if (productValue === undefined) {
    return {
      kind: "needs",
      needed: `a product the shop tool knows (${(product.allowed ?? []).join(", ")}) instead of "${item.product}"`,
    };
  }
  const args: Record<string, unknown> = {
    [product.name]: productValue,
    [quantity.name]: numberAs(quantity, item.qty),
  };
  if (priceLimit !== undefined) {
    if (item.priceLimit !== undefined) {
      args[priceLimit.name] = numberAs(priceLimit, item.priceLimit);
    } else if (priceLimit.required) {
      // Strict schemas list every property as required and mark the optional ones nullable.
      if (!allows(priceLimit.types, "null")) {
        return { kind: "needs", needed: `a price limit for ${item.qty} x ${item.product}` };
      }
      args[priceLimit.name] = null;
    }
  }
  return { kind: "filled", arguments: JSON.stringify(args) };
}

/** Reads a call's arguments back as a purchase, to describe its result; undefined if it cannot. */
export function readPurchaseArguments(
  tool: PurchaseTool,
  json: string,
): PurchaseRequest | undefined {
  let args: Record<string, unknown> | undefined;
  try {
    args = asRecord(JSON.parse(json));
  } catch {
    return undefined;
  }
  const product = args?.[tool.fields.product.name];
  const qty = Number(args?.[tool.fields.quantity.name]);
  if (typeof product !== "string" || !Number.isFinite(qty)) return undefined;
  const limitField = tool.fields.priceLimit?.name;
  const limit = limitField === undefined ? undefined : args?.[limitField];
  const priceLimit = limit === undefined || limit === null ? undefined : Number(limit);
  return {
    product,
    qty,
    ...(priceLimit !== undefined && Number.isFinite(priceLimit) ? { priceLimit } : {}),
  };
}

function allowedProduct(field: Field, product: string): string | undefined {
  if (field.allowed === undefined) return product;
  // The shop's own matching (case, spacing, plurals), never a nearest guess.
  const wanted = new Set(productReferenceCandidates(product));
  return field.allowed.find((value) =>
    productReferenceCandidates(value).some((candidate) => wanted.has(candidate)),
  );
}

function numberAs(field: Field, value: number): number | string {
  if (allows(field.types, "number") || allows(field.types, "integer")) return value;
  return String(value);
}

function allows(types: TypeSet, type: string): boolean {
  return types.size === 0 || types.has(type) || (type === "integer" && types.has("number"));
}

function typesOf(definition: Record<string, unknown>): TypeSet {
  const types = new Set<string>();
  const { type } = definition;
  if (typeof type === "string") types.add(type);
  if (Array.isArray(type)) for (const t of type) if (typeof t === "string") types.add(t);
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = definition[key];
    if (!Array.isArray(options)) continue;
    for (const option of options) {
      const inner = asRecord(option);
      if (inner !== undefined) for (const t of typesOf(inner)) types.add(t);
    }
  }
  return types;
}

function enumOf(definition: Record<string, unknown>): readonly string[] | undefined {
  const values = definition.enum;
  if (!Array.isArray(values)) return undefined;
  const strings = values.filter((value): value is string => typeof value === "string");
  return strings.length > 0 ? strings : undefined;
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
