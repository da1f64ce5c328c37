import type { Router } from "express";

import { errors } from "../errors.js";

/**
 * Refuses the methods `path` does not serve with 405 and `Allow` (RFC 9110 section 15.5.6),
 * rather than the 404 of a path that does not exist: the client's URL is right, its method is
 * not. Added after the path's routes, so it sees only the methods they left. GET serves HEAD
 * too, as Express answers it; OPTIONS is left to Express, which lists the same methods.
 */
export function refuseOtherMethods(
  router: Router,
  path: string,
  served: readonly ("GET" | "POST")[],
): void {
  const allowed = served.flatMap((method) => (method === "GET" ? ["GET", "HEAD"] : [method]));
  const allow = allowed.join(", ");
  router.all(path, (req, _res, next) => {
    if (req.method === "OPTIONS") {
      next();
      return;
    }
    next(
      errors.methodNotAllowed(
        `${req.method} is not served at ${req.path.slice(0, 200)}; it serves ${allow}`,
        { Allow: allow },
      ),
    );
  });
}
