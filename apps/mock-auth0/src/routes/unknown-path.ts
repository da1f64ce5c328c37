import type { RequestHandler } from "express";

import { errors } from "../errors.js";

/**
 * The testbed's own paths (the control API, the approver page): a path under them that no route
 * serves is the testbed's `not_found`, in the OAuth shape its clients (the testkit, the page)
 * read.
 */
const TESTBED_PATHS = ["/approver", "/admin"];

/**
 * Placed after every route: a path nobody serves. Under the testbed's own paths, its
 * `not_found`; anywhere else, the answer of an Auth0 tenant's host for a path it does not
 * serve, the shape of its APIs' errors (`{ statusCode, error, message }`, as the Management API's
 * `NotFoundErrorBody` in Auth0's Node SDK and the Auth0 CLI's generic 404 have it), not the
 * OAuth endpoints' `{ error, error_description }`: a client that reads Auth0's 404 reads this
 * one. The message names the request and where the tenant lists what it serves.
 */
export function unknownPath(): RequestHandler {
  return (req, res, next) => {
    const shown = `${req.method} ${req.path.slice(0, 200)}`;
    if (TESTBED_PATHS.some((own) => req.path === own || req.path.startsWith(`${own}/`))) {
      next(errors.notFound(`No route for ${shown}`));
      return;
    }
    res.status(404).json({
      statusCode: 404,
      error: "Not Found",
      message:
        `Not Found: this tenant serves no ${shown} (an Auth0 tenant answers 404 here too); ` +
        "/.well-known/openid-configuration lists its endpoints",
    });
  };
}
