import { quotedWrittenOut, writtenOut } from "@ciba-testbed/shared";

import type { Problem } from "../tenant/problems.js";

import { matchesEveryMessage, matchesSomeMessage } from "./policy.js";
import type { ApproverPolicy } from "./policy.js";

const SHOWN = 10;

/** What a policy's rules may name: the tenant's user ids, client ids and API identifiers. */
export interface PolicyReferents {
  readonly user: readonly string[];
  readonly clientId: readonly string[];
  readonly audience: readonly string[];
}

/** The known values, or the one meant when the value lacks only its `auth0|` prefix. */
function hint(value: string, known: readonly string[]): string {
  if (known.length === 0) return "the tenant has none";
  const prefixed = known.find((id) => id.endsWith(`|${value}`));
  if (prefixed !== undefined) return `did you mean ${quotedWrittenOut(prefixed)}?`;
  const listed = known.slice(0, SHOWN).map((id) => quotedWrittenOut(id));
  const more = known.length > SHOWN ? `, and ${known.length - SHOWN} more` : "";
  return `the tenant has ${listed.join(", ")}${more}`;
}

/**
 * Why a `bindingMessage` pattern is found in no message the tenant takes, and what to write
 * instead: the pattern as an agent writes its message (accents dropped, full-width letters made
 * plain, as the shared builder does) when that one can match.
 */
function unmatchableMessage(source: string): string {
  const needed = [...new Set(Array.from(source).filter((char) => char > "~" || char < " "))];
  const why =
    needed.length > 0
      ? `needs ${needed.map((char) => writtenOut(char)).join(", ")}, ${needed.length > 1 ? "characters" : "a character"}`
      : "matches only characters";
  const plain = source.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  let fix = "make it find text in those characters, as the agent writes its message";
  try {
    if (plain !== source && matchesSomeMessage(plain)) {
      fix = `write it as the agent's message does: ${quotedWrittenOut(plain)}`;
    }
  } catch {
    // The plain pattern is not one RE2 takes: keep the general advice.
  }
  return `${quotedWrittenOut(source)} ${why} no binding_message holds (Auth0 allows only A-Z, a-z, 0-9, spaces and +-_.,:#), so the rule never matches; ${fix}`;
}

/**
 * What in a policy can never match this tenant: a rule naming a user, client or audience it
 * does not have (a tester meaning "deny second-user" would silently get the default), a rule
 * whose `bindingMessage` needs a character Auth0's binding messages may not hold (`téléphone`:
 * `/bc-authorize` refuses every message it could be found in), and a rule with no condition, which matches every request and shadows the later rules and the
 * default. Each problem is at its path in the policy (`rules[0].when.user`). The control API
 * checks a policy sent at run time, and the tenant's loader the one in mock-auth0.json.
 */
export function policyProblems(policy: ApproverPolicy, known: PolicyReferents): Problem[] {
  const problems: Problem[] = [];
  policy.rules.forEach((rule, index) => {
    const at = ["rules", index, "when"];
    const { bindingMessage, ...others } = rule.when;
    if (bindingMessage !== undefined && !matchesSomeMessage(bindingMessage)) {
      problems.push({
        path: [...at, "bindingMessage"],
        message: unmatchableMessage(bindingMessage),
      });
    }
    const everyMessage = bindingMessage !== undefined && matchesEveryMessage(bindingMessage);
    if (Object.keys(others).length === 0 && (bindingMessage === undefined || everyMessage)) {
      const why =
        bindingMessage === undefined
          ? "names no condition"
          : `names only bindingMessage ${quotedWrittenOut(bindingMessage)}, which is found in every message`;
      problems.push({
        path: at,
        message: `${why}, so it matches every request and no later rule or the default is ever used; make it the default instead`,
      });
    }
    for (const field of ["user", "clientId", "audience"] as const) {
      const value = rule.when[field];
      if (value === undefined || known[field].includes(value)) continue;
      problems.push({
        path: [...at, field],
        message: `${quotedWrittenOut(value)} is not in this tenant, so the rule never matches; ${hint(value, known[field])}`,
      });
    }
  });
  return problems;
}
