import { createHash } from "node:crypto";

import { hiddenWrittenOut } from "@ciba-testbed/shared";
import { escapeHtml } from "@ciba-testbed/shared/http";
import type { Response } from "express";

import type { TenantClient, TenantUser } from "../tenant/tenant-model.js";

/** The login pages' stylesheet, inline and allowed by its hash: the pages load nothing else. */
const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; background: #f3f4f6; color: #111827; margin: 0; }
main { max-width: 26rem; margin: 3rem auto; background: #fff; border-radius: 0.75rem;
  box-shadow: 0 1px 4px rgb(0 0 0 / 0.12); padding: 2rem; }
h1 { font-size: 1.4rem; margin: 0 0 0.25rem; }
p.lead { color: #4b5563; margin: 0 0 1.5rem; }
ul { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.75rem; }
form.user { border: 1px solid #d1d5db; border-radius: 0.5rem; padding: 0.75rem; display: grid; gap: 0.5rem; }
button { font: inherit; cursor: pointer; border: 0; border-radius: 0.4rem; padding: 0.6rem 0.9rem;
  background: #635dff; color: #fff; text-align: left; }
button:focus-visible { outline: 3px solid #111827; outline-offset: 2px; }
.name { font-weight: 600; display: block; }
.email { font-size: 0.85rem; }
.name, .email, .lead { overflow-wrap: anywhere; }
p.who { margin: 0; }
.hidden-text { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; }
label { font-size: 0.85rem; display: grid; gap: 0.25rem; }
input[type=password] { font: inherit; padding: 0.4rem; border: 1px solid #6b7280; border-radius: 0.3rem; }
.error { background: #fef2f2; color: #991b1b; border-radius: 0.4rem; padding: 0.6rem; margin: 0 0 1rem; }
code { font-size: 0.85rem; word-break: break-all; }
.actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; }
button.decline { background: #e5e7eb; color: #111827; }
ul.scopes { display: block; list-style: disc; padding-left: 1.25rem; margin: 0 0 1rem; }
`;

/** Submits the form_post response as Auth0's does, allowed by its hash. */
const SUBMIT_SCRIPT = "document.forms[0].submit();";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
const STYLE_HASH = sha256(STYLE);
const SCRIPT_HASH = sha256(SUBMIT_SCRIPT);

/**
 * The approver page's bar for every login page: nothing but its own inline style (and, for
 * form_post, its one script), no framing by another site, forms only to this tenant and to
 * the client's checked callback (CSP form-action also governs the redirect after a submit).
 */
export function secure(res: Response, options: { formTargets?: string[]; script?: boolean } = {}) {
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(" ");
  res.set({
    "Content-Security-Policy": [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      `script-src ${options.script === true ? SCRIPT_HASH : "'none'"}`,
      "img-src 'self' data:",
      "base-uri 'none'",
      `form-action ${formAction}`,
      "frame-ancestors 'none'",
    ].join("; "),
    "X-Frame-Options": "DENY",
    // Not no-referrer: then the browser sends `Origin: null` with the page's own form.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    Pragma: "no-cache",
  });
}

/**
 * A text from the tenant's configuration or the request, for a page: escaped for HTML, with
 * what would hide or turn the line around (a right-to-left override in a user's name) written
 * out as `\u{202E}`, as the approver page writes it.
 */
export const shown = (text: string): string => escapeHtml(hiddenWrittenOut(text));

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${shown(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageView {
  tenantName: string;
  clientName: string;
  transactionId: string;
  /** Where the code will go: its origin is allowed as a form target. */
  redirectUri: string;
  users: readonly TenantUser[];
  error?: string | undefined;
  /** The user whose password was wrong: their box is marked invalid, described by the error. */
  failedUser?: string | undefined;
  /**
   * The user the request's `login_hint` names: listed first, as Auth0's page comes with that
   * user's e-mail filled in. Not focused: a page that another site opened with a hint of its
   * choosing must not log that user in at a press of Enter. Choosing takes the person's click.
   */
  hintedUser?: string | undefined;
}

const LOGIN_ERROR_ID = "login-error";

/** Universal Login as mock-auth0 plays it: the tenant's users, one button each. */
export function sendLoginPage(res: Response, view: LoginPageView, status = 200): void {
  secure(res, { formTargets: [new URL(view.redirectUri).origin] });
  const hinted = view.users.find((user) => user.sub === view.hintedUser);
  const users = (
    hinted === undefined ? view.users : [hinted, ...view.users.filter((u) => u !== hinted)]
  )
    .map((user) => {
      const invalid =
        user.sub === view.failedUser
          ? ` aria-invalid="true" aria-describedby="${LOGIN_ERROR_ID}" autofocus`
          : "";
      const who = `<span class="name">${shown(user.name)}</span><span class="email">${shown(user.email)}</span>`;
      // A user with a password: who it is, then that user's own password box, then the button
      // that logs in, in that order for the eye, the keyboard and a screen reader alike; each
      // box and button is named after its user, not "Password" as every other one.
      const fields =
        user.passwordHash === undefined
          ? `<button type="submit">${who}</button>`
          : `<p class="who">${who}</p>
<label>Password<span class="hidden-text"> for ${shown(user.name)}</span><input type="password" name="password" autocomplete="current-password" required${invalid}></label>
<button type="submit">Log in<span class="hidden-text"> as ${shown(user.name)}</span></button>`;
      return `<li><form class="user" method="post" action="/u/login">
<input type="hidden" name="state" value="${escapeHtml(view.transactionId)}">
<input type="hidden" name="user" value="${escapeHtml(user.sub)}">
${fields}
</form></li>`;
    })
    .join("\n");
  const error =
    view.error === undefined
      ? ""
      : `<p class="error" id="${LOGIN_ERROR_ID}" role="alert">${shown(view.error)}</p>`;
  res
    .status(status)
    .type("html")
    .send(
      page(
        `Log in | ${view.tenantName}`,
        `<h1>Log in</h1>
<p class="lead">to ${shown(view.tenantName)} to continue to ${shown(view.clientName)}. Choose who you are.</p>
${error}
${users.length > 0 ? `<ul>${users}</ul>` : "<p>This tenant has no users: add some to its users file.</p>"}`,
      ),
    );
}

/**
 * The way back from a page whose login or consent is over to its application (`client`, once
 * its FormerTransaction names it): the origin of the callback URL it was for, since the
 * callback itself expects a code; none for a callback that is no web page.
 */
export function backToApplication(
  client: TenantClient | undefined,
  redirectUri: string | undefined,
): { href: string; text: string } | undefined {
  if (client === undefined || redirectUri === undefined) return undefined;
  const callback = new URL(redirectUri);
  return callback.protocol === "http:" || callback.protocol === "https:"
    ? { href: `${callback.origin}/`, text: `Back to ${client.name}` }
    : undefined;
}

/**
 * The page Auth0 shows when it cannot send an error back to the application. Its description
 * may quote the link that led here (a logout's returnTo, a client_id): what would hide or turn
 * the line around is written out (`shown`), or a link anyone can send would choose what the
 * tenant's own page says.
 */
export function sendErrorPage(
  res: Response,
  status: number,
  error: string,
  description: string,
  link?: { href: string; text: string },
  hint?: string,
): void {
  secure(res);
  res
    .status(status)
    .type("html")
    .send(
      page(
        "Error",
        `<h1>Oops!, something went wrong</h1>
<p class="error" role="alert"><code>${escapeHtml(error)}</code>: ${shown(description)}</p>${
          hint === undefined ? "" : `\n<p class="hint">${shown(hint)}</p>`
        }${
          link === undefined
            ? ""
            : `\n<p><a href="${escapeHtml(link.href)}"><bdi>${escapeHtml(link.text)}</bdi></a></p>`
        }`,
      ),
    );
}

/**
 * A logout with nowhere to return to (no client, or one without Allowed Logout URLs): Auth0
 * answers 200 with a plain page saying it succeeded, not an error.
 */
export function sendLoggedOutPage(res: Response, tenantName: string): void {
  secure(res);
  res
    .status(200)
    .type("html")
    .send(
      page(
        `Logged out | ${tenantName}`,
        `<h1>You are logged out</h1>
<p class="lead">You are logged out of ${shown(tenantName)}. You can close this window.</p>`,
      ),
    );
}

function hiddenInputs(params: Record<string, string>): string {
  return Object.entries(params)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join("\n");
}

/** OAuth 2.0 Form Post Response Mode: the parameters as a form the browser posts at once. */
export function sendFormPost(
  res: Response,
  redirectUri: string,
  params: Record<string, string>,
): void {
  secure(res, { formTargets: [new URL(redirectUri).origin], script: true });
  const inputs = hiddenInputs(params);
  res
    .status(200)
    .type("html")
    .send(
      page(
        "Submit This Form",
        `<form method="post" action="${escapeHtml(redirectUri)}">
${inputs}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>${SUBMIT_SCRIPT}</script>`,
      ),
    );
}

export interface LogoutPromptView {
  tenantName: string;
  /** The application that asked, when the request named one. */
  clientName: string | undefined;
  /** The request's parameters, sent again with the confirmation. */
  params: Record<string, string>;
  /** Where the logout will redirect, when that is an Allowed Logout URL: a form target. */
  redirectOrigin: string | undefined;
}

/** Auth0's logout consent prompt: the session ends only when the person says so. */
export function sendLogoutPrompt(res: Response, view: LogoutPromptView): void {
  secure(res, view.redirectOrigin === undefined ? {} : { formTargets: [view.redirectOrigin] });
  const inputs = hiddenInputs(view.params);
  const from =
    view.clientName === undefined ? "" : ` ${shown(view.clientName)} asks to log you out.`;
  res
    .status(200)
    .type("html")
    .send(
      page(
        `Log out | ${view.tenantName}`,
        `<h1>Log out</h1>
<p class="lead">Do you want to log out of ${shown(view.tenantName)}?${from}</p>
<form method="get" action="/oidc/logout">
${inputs}
<button type="submit">Log out</button>
</form>`,
      ),
    );
}
