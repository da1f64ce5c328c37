/**
 * What the testbed's servers answer, as a test reads it. These mirror mock-auth0's control API
 * and the shop API's order JSON; `wire.test.ts` checks at compile time that they still match
 * the types those servers serialize, so they cannot drift apart.
 */

export type ConsentStatus = "pending" | "approved" | "denied" | "expired" | "consumed";

/** One consent request (CIBA backchannel request) as mock-auth0's control API shows it. */
export interface ConsentRequest {
  auth_req_id: string;
  status: ConsentStatus;
  /** The person's user id (`sub`), e.g. `auth0|testbed-user`. */
  user: string;
  user_name: string | null;
  client_id: string;
  client_name: string | null;
  binding_message: string;
  scope: string;
  audience: string | null;
  /** RFC 9396 authorization details the client sent, e.g. `{ type: "product_purchase", ... }`. */
  authorization_details: readonly { type: string }[] | null;
  /**
   * The tenant's own check, `null` when the binding message names what the `product_purchase`
   * entries of `authorization_details` authorize; else the tenant's sentence saying what differs
   * (the person would approve the message while the token authorizes the details).
   * `waitForRequest` fails on such a request unless given `{ allowMessageMismatch: true }`.
   */
  message_mismatch: string | null;
  channel: "guardian-push" | "email";
  /** The person's email, where the email channel would send the consent. */
  user_email: string;
  /** The approver outcome the policy picked when the request came in, in its text form. */
  approver_outcome: string;
  created_at: string;
  expires_at: string;
  interval: number;
  polls: number;
  last_polled_at: string | null;
  /** Whether its agent still polls it (a pending request only): false once it stopped. */
  agent_polling: boolean | null;
  /** The email Auth0 would send, for a request on the email channel. */
  email: {
    to: string;
    subject: string;
    request_code: string;
    /** The single-use consent link; null once it was used. */
    link: string | null;
    sent_at: string;
  } | null;
  decision: { decision: "approve" | "deny"; at: string; by: string } | null;
}

/**
 * A `/bc-authorize` the tenant refused, as mock-auth0's control API shows it (its newest 100).
 * A refusal made before the request's body was read (a rate limit for the whole tenant or an
 * IP address) names no client, user, audience or binding message.
 */
export interface TenantRefusal {
  /** Numbers the refusals in the order they happened. */
  seq: number;
  at: string;
  endpoint: "/bc-authorize";
  /** The HTTP status, e.g. 403. */
  status: number;
  /** The OAuth `error`, e.g. `access_denied`. */
  error: string;
  error_description: string;
  client_id: string | null;
  /** The `sub` of the request's `login_hint`, even one the tenant does not know. */
  user: string | null;
  audience: string | null;
  binding_message: string | null;
}

/** One of the tenant's people, as mock-auth0's control API shows them. */
export interface TenantUser {
  /** What `user` and a `login_hint`'s `sub` name, e.g. `auth0|testbed-user`. */
  user_id: string;
  name: string;
  email: string;
  /** Whether the person can be asked by Guardian push (else `/bc-authorize` is refused). */
  push_enrolled: boolean;
}

/** One event in a request's life: created, each poll and its answer, the decision, expiry. */
export interface ConsentEvent {
  at: string;
  type: string;
  [detail: string]: unknown;
}

/** What the simulated person does: an approver outcome, as the tenant's settings spell it. */
export type ApproverOutcome =
  "manual" | "approve" | "deny" | "ignore" | `${"approve" | "deny" | "expire"}-after:${number}`;

/**
 * The simulated person's behaviour. Outcomes: `manual` (wait for `approve`/`deny`), `approve`,
 * `deny`, `ignore` (never answer), `approve-after:<ms>`, `deny-after:<ms>`, `expire-after:<ms>`.
 * The first rule whose conditions all hold wins; `bindingMessage` is a case-insensitive regular
 * expression.
 */
export interface ApproverPolicy {
  default: ApproverOutcome;
  rules?: {
    when: {
      user?: string;
      clientId?: string;
      audience?: string;
      bindingMessage?: string;
      channel?: "guardian-push" | "email";
    };
    outcome: ApproverOutcome;
  }[];
}

/** An order as the shop API shows it. */
export interface ShopOrder {
  id: string;
  status: string;
  product: { id: string; name: string };
  qty: number;
  unit_price: number;
  total: number;
  currency: string;
  created_at: string;
  authorization: { sub: string; azp: string | null; authorization_details_matched: boolean };
}
