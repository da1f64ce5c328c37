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
      .replace(/\bThe person's\b/g, "Your")
      // "the person is" / "approves": the verb agrees with "you" ("you are", "you approve").
      .replace(/\b([Tt])he person(?: ([a-z]+)\b)?/g, (_, t: string, verb?: string) => {
        const you = t === "T" ? "You" : "you";
        return verb === undefined ? you : `${you} ${agreeing(verb)}`;
      })
  );
}

/** A verb's form after "you" where the description had it after "the person". */
const WITH_YOU: Readonly<Record<string, string>> = {
  is: "are",
  was: "were",
  has: "have",
  does: "do",
};

/** The verbs the agent's descriptions put after "the person" in the third person singular. */
const THIRD_PERSON = new Set(
  (
    "approves denies answers asks decides gives gets logs loses needs orders outlives reads " +
    "says sends sees wants"
  ).split(" "),
);

function agreeing(word: string): string {
  if (WITH_YOU[word] !== undefined) return WITH_YOU[word];
  if (!THIRD_PERSON.has(word)) return word;
  return word.endsWith("ies") ? `${word.slice(0, -3)}y` : word.slice(0, -1);
}
