import { escapeHtml } from "@ciba-testbed/shared/http";
import type { Response } from "express";

import { page, secure, shown } from "./login-pages.js";

export interface ConsentPageView {
  tenantName: string;
  clientName: string;
  consentId: string;
  /** Where the answer will go: its origin is allowed as a form target. */
  redirectUri: string;
  /** The person logged in, by name and e-mail. */
  userName: string;
  userEmail: string;
  scope: readonly string[];
  /** The API asked for, when the request named one. */
  api: { name: string; identifier: string } | undefined;
}

/**
 * Auth0's consent dialog for a third-party application: what it asks for (its scopes, and the
 * API), Accept or Decline. Under the login pages' security: only its own style, no framing, forms
 * only to the tenant and the application's checked callback.
 */
export function sendConsentPage(res: Response, view: ConsentPageView): void {
  secure(res, { formTargets: [new URL(view.redirectUri).origin] });
  const scopes = view.scope.map((scope) => `<li><code>${shown(scope)}</code></li>`).join("\n");
  const api =
    view.api === undefined
      ? ""
      : `<p>of the API ${shown(view.api.name)} (<code>${shown(view.api.identifier)}</code>)</p>\n`;
  res
    .status(200)
    .type("html")
    .send(
      page(
        `Authorize ${view.clientName} | ${view.tenantName}`,
        `<h1>Authorize ${shown(view.clientName)}</h1>
<p class="lead">${shown(view.clientName)} is requesting access to your ${shown(view.tenantName)} account (${shown(view.userName)}, ${shown(view.userEmail)}).</p>
${scopes === "" ? "<p>It asks for no scopes.</p>" : `<p>It asks for:</p>\n<ul class="scopes">${scopes}</ul>`}
${api}<form method="post" action="/u/consent">
<input type="hidden" name="state" value="${escapeHtml(view.consentId)}">
<div class="actions">
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="decline" class="decline">Decline</button>
</div>
</form>`,
      ),
    );
}
