/**
 * The token's scopes, read as the library's `requiredScopes` reads them: a space-separated
 * string (RFC 8693 section 4.2, as Auth0 issues it) or a list. A list that grants `product:buy`
 * is read whole here too, so its `offline_access` is not missed.
 */
function scopesOf(payload: Record<string, unknown>): unknown[] {
  const { scope } = payload;
  if (typeof scope === "string") return scope.split(" ");
  return Array.isArray(scope) ? scope : [];
}

/**
 * Auth0's `gty` for the grants whose client gets a person's tokens again without asking the
 * person (Access Token Profiles: `gty` is "only present for `password` and `refresh_token`" in
 * its default profile), with what each means for an approval the token carries.
 */
const RENEWING_GRANTS: ReadonlyMap<unknown, string> = new Map([
  [
    "refresh_token",
    "this token was minted by a refresh token (gty refresh_token), not issued when the person " +
      "approved: a refresh token mints tokens for the same approval at will, and each would " +
      "buy again",
  ],
  [
    "password",
    "this token came from the password grant (gty password): its client holds the person's " +
      "password and gets such tokens without asking the person, so it carries no approval",
  ],
]);

/**
 * Why more tokens carrying the same approval as this one may come without the person being
 * asked again, or undefined when none can. An approval buys once, keyed by its token
 * (`approvalKeysOf`), and every refreshed token is a new key: so a token a refresh minted is
 * refused by its `gty`, whatever its scope says (a refresh may narrow the scope, and an Action
 * may remove `offline_access` from it), and so is one whose `offline_access` brought a refresh
 * token (Auth0: `offline_access` "does not have any meaning" for a one-time authorization).
 * Auth0's RFC 9068 profile has no `gty`: there only `offline_access` tells, and an approval's
 * `purchase_id` (the order's Idempotency-Key) keeps any token for it to one order.
 */
export function renewableBecause(payload: Record<string, unknown>): string | undefined {
  const grants: unknown[] = Array.isArray(payload.gty) ? payload.gty : [payload.gty];
  for (const grant of grants) {
    const reason = RENEWING_GRANTS.get(grant);
    if (reason !== undefined) return `${reason}. Ask the person for a new approval`;
  }
  if (scopesOf(payload).includes("offline_access")) {
    return (
      "this purchase approval came with offline_access: its refresh token could mint new " +
      "tokens for the same approval, and each would buy again. Ask for the purchase without " +
      "offline_access: a purchase approval is used once"
    );
  }
  return undefined;
}
