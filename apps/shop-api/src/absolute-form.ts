import type { Handler } from "express";

import { errors } from "./errors.js";

/** `scheme://authority` then the rest of the target, taken as sent (no dot segments removed). */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/is;
/**
 * A host and an optional port up to 65535, as `Host` carries them (RFC 9110 section 7.2) and as
 * the token library checks `Host`: `http://shop.example:99999/` was served.
 */
const AUTHORITY =
  /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?$/;

/**
 * RFC 9112 section 3.2.2: an origin server MUST accept a request target in absolute form
 * (`POST http://shop.example/api/purchases`, what a client configured for a proxy sends) and
 * take the host from it, not from `Host`. Rewritten to origin form before any route runs, so a
 * route, the token library and the token cache all see `/api/purchases`: left as it was, the
 * library read the target as a path starting with `//` and refused the token saying so.
 */
export const acceptAbsoluteForm: Handler = (req, _res, next) => {
  const absolute = ABSOLUTE_FORM.exec(req.url);
  if (absolute === null) {
    next();
    return;
  }
  const [, authority = "", rest = ""] = absolute;
  if (!/^https?:/i.test(req.url) || !AUTHORITY.test(authority)) {
    next(
      errors.invalidRequest(
        "The request target must be a path such as /api/purchases, or an http URL with a host " +
          "and an optional port (RFC 9112 section 3.2)",
      ),
    );
    return;
  }
  const target = rest.startsWith("/") ? rest : `/${rest}`;
  req.url = target;
  req.originalUrl = target;
  req.headers.host = authority;
  next();
};
