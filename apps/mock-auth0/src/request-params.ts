import { isRecord } from "@ciba-testbed/shared";
import type { Request } from "express";

import { errors } from "./errors.js";

/**
 * Reads one parameter from a form or JSON body. RFC 6749 section 3.2: parameters must not
 * be repeated. Other JSON values are read as their JSON text.
 */
export function param(req: Request, name: string): string | undefined {
  const body: unknown = req.body;
  if (body === null || typeof body !== "object") return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  // A form gives an array only for a repeated key; JSON may carry structured values such as
  // authorization_details, read here as their JSON text.
  if (req.is("application/json") !== "application/json") {
    throw errors.invalidRequest(`${name} must not be repeated`);
  }
  return JSON.stringify(value);
}

export function requiredParam(req: Request, name: string): string {
  const value = param(req, name);
  if (value === undefined || value === "") throw errors.invalidRequest(`${name} is required`);
  return value;
}

/** Auth0's answer to a `scope` of another JSON type (its Standard Error Responses). */
const SCOPE_TYPE = "Scope must be an array or a string";

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * The `scope` asked for, as space-delimited text (RFC 6749 section 3.3). A JSON body may send
 * it as a string or as an array of strings, which Auth0 takes too; Auth0 answers any other JSON
 * value with 400 `invalid_scope` "Scope must be an array or a string" (its Authentication API's
 * Standard Error Responses). Read as `param` reads it, a number was taken for the scope "5" and
 * an array for its JSON text, and either was then refused for lacking `openid`, which one of
 * them held.
 */
export function scopeParam(req: Request): string | undefined {
  const sent: unknown = isRecord(req.body) ? req.body.scope : undefined;
  const isJson = req.is("application/json") === "application/json";
  if (!isJson || sent === undefined || sent === null || typeof sent === "string") {
    return param(req, "scope");
  }
  if (!Array.isArray(sent)) {
    throw errors.invalidScope(`${SCOPE_TYPE}; got ${jsonType(sent)}`);
  }
  const notText = sent.findIndex((value) => typeof value !== "string");
  if (notText !== -1) {
    throw errors.invalidScope(
      `Scope must be an array of strings or a string; scope[${String(notText)}] is ${jsonType(sent[notText])}`,
    );
  }
  return (sent as string[]).join(" ");
}

/** A run of percent-encoded bytes. */
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a form parameter is not text: its percent-encoded bytes are not UTF-8 (`Buy%FF%FE2`). A
 * form value that does not decode is kept as written (as body-parser keeps it), so without this
 * the parameter's own checks would speak of a "%" the client never sent, or of JSON that is not
 * an array. `undefined` for any other value, and for a JSON body, whose strings are text.
 */
export function notUtf8(req: Request, name: string, value: string | undefined): string | undefined {
  if (value === undefined || !value.includes("%") || req.is("urlencoded") !== "urlencoded") {
    return undefined;
  }
  for (const [run] of value.matchAll(PERCENT_RUN)) {
    if (!isUtf8(Buffer.from(run.replaceAll("%", ""), "hex"))) {
      const shown = run.length > 30 ? `${run.slice(0, 30)}...` : run;
      return `${name} is not valid UTF-8: it holds the bytes ${shown}, which are not UTF-8 text; percent-encode the parameter's text from UTF-8`;
    }
  }
  return undefined;
}
