import { fileURLToPath } from "node:url";

import type { RequestHandler } from "express";

import { errors } from "../errors.js";

/** The pages' HTML, scripts and styles: `apps/mock-auth0/public`. */
export const PUBLIC_DIR = fileURLToPath(new URL("../../public/", import.meta.url));

/**
 * Every answer of the tenant, its JSON errors among them (some quote what the request sent: "No
 * backchannel request <script>..."): a browser reads each as the type it names, never as a
 * script or a page it guessed.
 */
export const noSniff: RequestHandler = (_req, res, next) => {
  res.set("X-Content-Type-Options", "nosniff");
  next();
};

/**
 * A page that can approve a purchase (the approver page, the email consent page) must not be
 * framed by another site (clickjacking) nor run anything but its own script. Neither page
 * submits forms: they send their decisions with `fetch`. A site that opened one in a window of
 * its own keeps no hold on it (`Cross-Origin-Opener-Policy`): it cannot send that tab, once the
 * person has turned to it, to a look-alike asking for the control token.
 */
export const pageSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    "Content-Security-Policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
  });
  next();
};

/**
 * Browsers send `Sec-Fetch-Site` and `Origin` with cross-site requests: refusing those keeps
 * a page on another origin from deciding consent requests (CSRF). curl and test clients
 * send neither and are let through. `what` names the refused routes in the error. Reads
 * (GET, HEAD) are let through unless `reads` says to refuse them too: a page's own address
 * must open from a link on another site, an API's need not (another site's page would hold
 * the control API's event streams open, or time its answers).
 */
export function sameOriginOnly(what: string, { reads = false } = {}): RequestHandler {
  return (req, _res, next) => {
    const site = req.get("sec-fetch-site");
    const origin = req.get("origin");
    const self = `${req.protocol}://${req.get("host") ?? ""}`;
    const crossSite =
      (site !== undefined && site !== "same-origin" && site !== "none") ||
      (origin !== undefined && origin !== self);
    const read = req.method === "GET" || req.method === "HEAD";
    if (crossSite && (reads || !read)) {
      next(errors.forbidden(`Cross-site requests to ${what} are refused`));
      return;
    }
    next();
  };
}
