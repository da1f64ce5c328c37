import type { RequestHandler, Router } from "express";

import { errors } from "../errors.js";

/**
 * What this file reads of a layer of an Express 5 router (the `router` package, whose own
 * OPTIONS answer reads the same): its route's methods, and whether it matches a path.
 * `@types/express` describes Express 4's layers, which matched with a `regexp`.
 */
interface RouteLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/**
 * The methods `router`'s routes serve at `path`, as Express's own OPTIONS answer lists them:
 * upper case, sorted, HEAD wherever GET is. Empty when no route of the router has the path.
 */
export function servedMethods(router: Router, path: string): string[] {
  const methods = new Set<string>();
  for (const layer of router.stack as unknown as RouteLayer[]) {
    if (layer.route === undefined || layer.match(path) === false) continue;
    for (const [method, served] of Object.entries(layer.route.methods)) {
      if (served !== true) continue;
      methods.add(method.toUpperCase());
      if (method === "get") methods.add("HEAD");
    }
  }
  return [...methods].sort();
}

/**
 * Placed after `router`'s routes: a request whose path one of them has, in a method none
 * serves, gets 405 `method_not_allowed` with `Allow` (RFC 9110 section 15.5.6), not the 404 of
 * a path that does not exist. OPTIONS goes on: in a mounted router to Express, which lists the
 * same methods; after the app's own routes (`/oauth/token` and its kin) to the 404 of no
 * preflight. A path the router lacks goes on to the next router.
 */
export function refuseUnservedMethods(router: Router): RequestHandler {
  return (req, _res, next) => {
    const allowed = req.method === "OPTIONS" ? [] : servedMethods(router, req.path);
    if (allowed.length === 0) {
      next();
      return;
    }
    const allow = allowed.join(", ");
    next(
      errors.methodNotServed(
        `${req.method} is not served at ${req.path.slice(0, 200)}; it serves ${allow}`,
        { Allow: allow },
      ),
    );
  };
}
