// The email channel's consent page (`/bc-verify?consent=…`, the link in the email): shows the
// request as Auth0's consent screen would and sends the person's answer. The link's token is
// the page's only credential; the tenant uses it up with the answer.

import { approvalSummary, detailsTable, escaped } from "./details.js";
import { NO_ANSWER, NO_ANSWER_IN_TIME, ask } from "./no-answer.js";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("consent");

function show(id) {
  for (const section of ["loading", "consent", "done", "gone", "unreachable"]) {
    $(section).hidden = section !== id;
  }
}

function gone(message) {
  $("gone-text").textContent = message;
  show("gone");
}

function fill(consent) {
  const asked = consent.requested_details;
  // Every text from the tenant or the request is shown with its hidden characters written out.
  const client = escaped(consent.client.name ?? consent.client.client_id);
  const message = escaped(asked.binding_message);
  $("client").textContent = client;
  $("code").textContent = message;
  $("user").textContent = consent.user.name
    ? `${escaped(consent.user.name)} (${escaped(consent.user.email)})`
    : escaped(consent.user.email);
  $("audience").textContent = escaped(asked.audience);
  $("scope").textContent = escaped(asked.scope.join(" "));
  if (asked.authorization_details?.length) {
    $("details").replaceChildren(detailsTable(asked.authorization_details));
  }
  $("expires").textContent =
    `This request expires at ${new Date(consent.expires_at * 1000).toLocaleString()}.`;
  // What the token will carry leads, as on the approver page's cards.
  const summary = approvalSummary(asked.authorization_details);
  if (summary !== undefined) {
    $("headline").textContent = summary;
    $("headline").hidden = false;
  }
  if (consent.message_mismatch) {
    $("mismatch").textContent = `Check before you approve: ${escaped(consent.message_mismatch)}`;
    $("mismatch").hidden = false;
  }
  $("approve").setAttribute("aria-label", `Approve: ${summary ?? message}`);
  $("deny").setAttribute("aria-label", `Deny: ${summary ?? message}`);
  $("approve").addEventListener("click", () => decide("approve", client));
  $("deny").addEventListener("click", () => decide("deny", client));
  show("consent");
}

function refusalOf(answer) {
  return answer.body?.error_description ?? `The server answered ${answer.status}`;
}

// The pressed button is disabled, then hidden with the form: focus would fall to the page's
// body and a screen reader would hear nothing. The answer takes the focus (WCAG 2.2 SC 2.4.3)
// in a status region or an alert (SC 4.1.3).
async function decide(decision, client) {
  const buttons = [$("approve"), $("deny")];
  buttons.forEach((button) => (button.disabled = true));
  $("error").hidden = true;
  try {
    const answer = await ask("/bc-verify/api/consent", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ consent: token, decision }),
    });
    if (answer.failed === "unreachable") {
      throw new Error(`${NO_ANSWER}. Answer again once it is back.`);
    }
    // The tenant may have taken the answer without saying so: reading the request again tells.
    if (answer.failed === "late") {
      throw new Error(
        `${NO_ANSWER_IN_TIME}, so your answer may or may not have been taken. Reload this ` +
          "page to see: it shows the request again while it waits, or says the link was used.",
      );
    }
    if (answer.status === 404) {
      gone(refusalOf(answer));
      $("gone-title").focus();
      return;
    }
    if (!answer.ok) throw new Error(refusalOf(answer));
    const approved = decision === "approve";
    $("done-title").textContent = approved ? "Request approved" : "Request denied";
    $("done-text").textContent = approved
      ? `You approved the request. ${client} can go ahead; you can close this window.`
      : `You denied the request. ${client} is told so; you can close this window.`;
    show("done");
    $("done-title").focus();
  } catch (e) {
    $("error").textContent = `Could not ${decision}: ${e.message}`;
    $("error").hidden = false;
    buttons.forEach((button) => (button.disabled = false));
    $("error").focus();
  }
}

// The request could not be read (the tenant stopped, or failed): nothing says the link is
// spent, so the page says what happened and offers to read it again. Its alert is announced as
// it appears; after a press of Try again it also takes the focus, which the press left there.
function unreachable(message, retried) {
  $("unreachable-text").textContent = `Could not load the request: ${message}`;
  show("unreachable");
  if (retried) $("unreachable-text").focus();
}

let loading = false;

async function load(retried) {
  if (loading) return;
  loading = true;
  try {
    const answer = await ask(`/bc-verify/api/consent?consent=${encodeURIComponent(token)}`);
    if (answer.failed === "late") {
      unreachable(`${NO_ANSWER_IN_TIME}. Try again in a moment.`, retried);
      return;
    }
    if (answer.failed === "unreachable") {
      unreachable(`${NO_ANSWER}. Try again once it is back.`, retried);
      return;
    }
    if (answer.status >= 500) {
      unreachable(refusalOf(answer), retried);
      return;
    }
    if (!answer.ok) {
      gone(refusalOf(answer));
      if (retried) $("gone-title").focus();
      return;
    }
    // An answer cut off as the tenant stopped is no answer either.
    if (answer.body === undefined) {
      unreachable(`${NO_ANSWER}. Try again once it is back.`, retried);
      return;
    }
    fill(answer.body);
    if (retried) $("consent-title").focus();
  } finally {
    loading = false;
  }
}

function start() {
  show("loading");
  if (!token) {
    gone("Open this page through the link in the email: it carries the request's consent token.");
    return;
  }
  $("retry").addEventListener("click", () => void load(true));
  void load(false);
}

start();
