import type { Handler } from "express";

import { errors } from "./errors.js";

/** The methods some route of the shop serves, as a path's OPTIONS answer lists them. */
const SERVER_METHODS = "GET, HEAD, POST";

/**
 * RFC 9112 section 3.2.4: the asterisk form (`OPTIONS * HTTP/1.1`) asks about the server as a
 * whole, and is for OPTIONS only. `OPTIONS *` is answered as a path's OPTIONS is, 200 with the
 * methods the shop serves in `Allow`; any other method with `*` is 400. It was 404 "No route for
 * OPTIONS *", which read as a server that does not know OPTIONS.
 */
export const answerAsteriskForm: Handler = (req, res, next) => {
  if (req.url !== "*") {
    next();
    return;
  }
  if (req.method !== "OPTIONS") {
    next(
      errors.invalidRequest(
        `The request target * is for OPTIONS only (RFC 9112 section 3.2.4); send ${req.method} ` +
          "to a path such as /api/purchases",
      ),
    );
    return;
  }
  res.setHeader("Allow", SERVER_METHODS);
  res.status(200).type("text/plain").send(SERVER_METHODS);
};

/**
 * RFC 9112 section 3.3: an HTTP/1.0 request may come without `Host` (an HTTP/1.1 one is refused
 * before, `refuseWithoutHost`); the target URI's authority is then the server's own. Taken from
 * the address the request reached, so that a route behind the token library, which needs a host
 * to build the request's URL, serves it as any other: it answered 400 "Invalid Host header" to
 * a request that had sent none.
 */
export const defaultHostForHttp10: Handler = (req, _res, next) => {
  if (req.headers.host === undefined) {
    const { localAddress, localPort } = req.socket;
    const address = localAddress ?? "localhost";
    const host = address.includes(":") ? `[${address}]` : address;
    req.headers.host = localPort === undefined ? host : `${host}:${String(localPort)}`;
  }
  next();
};
