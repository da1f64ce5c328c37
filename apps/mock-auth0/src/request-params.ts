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
