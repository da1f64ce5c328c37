/**
 * A purchase's outcome as the card tells the person, from the purchase tool's description,
 * which the CLI's report shares and so names the tenant's ids and error codes and speaks of
 * "the person": without the ids (an approval request's `auth_req_id` is 40-odd characters a
 * screen reader spells out) and the codes in brackets, and addressed to the person. The card
 * keeps the description whole in its details.
 */
export function personWords(description: string): string {
  return (
    description
      // "(invalid_grant: "..."), "(access_denied)", "(503 temporarily_unavailable)".
      .replace(/ \((?:\d{3} )?[a-z]+(?:_[a-z]+)+(?::(?:[^()"]|"[^"]*")*)?\)/g, "")
      .replace(/\bapproval request [\w-]{16,}/g, "the approval request")
      .replace(/ [\w-]*\d[\w-]*[A-Za-z][\w-]*(?=[ ,.;:)])/g, (id) => (id.length > 20 ? "" : id))
      .replace(/\bthe person's\b/g, "your")
      .replace(/\bthe person was\b/g, "you were")
      .replace(/\bthe person\b/g, "you")
      .replace(/\bThe person's\b/g, "Your")
      .replace(/\bThe person\b/g, "You")
  );
}
