import type { TenantDirectory } from "../tenant/tenant-directory.js";

import type { ApproverPolicy } from "./policy.js";

const SHOWN = 10;

/** The known values, or the one meant when the value lacks only its `auth0|` prefix. */
function hint(value: string, known: readonly string[]): string {
  const prefixed = known.find((id) => id.endsWith(`|${value}`));
  if (prefixed !== undefined) return `did you mean ${JSON.stringify(prefixed)}?`;
  const listed = known.slice(0, SHOWN).map((id) => JSON.stringify(id));
  const more = known.length > SHOWN ? `, and ${known.length - SHOWN} more` : "";
  return `the tenant has ${listed.join(", ")}${more}`;
}

/**
 * What in a policy can never match this tenant: a rule naming a user, client or audience it
 * does not have (a tester meaning "deny second-user" would silently get the default), and a
 * rule with no condition, which matches every request and shadows the later rules and the
 * default. Each problem names the rule's path, as the schema's do.
 */
export function policyProblems(policy: ApproverPolicy, directory: TenantDirectory): string[] {
  const problems: string[] = [];
  const fields = {
    user: [...directory.users.keys()],
    clientId: [...directory.clients.keys()],
    audience: [...directory.apis.keys()],
  };
  policy.rules.forEach((rule, index) => {
    const at = `rules.${index}.when`;
    if (Object.keys(rule.when).length === 0) {
      problems.push(
        `${at}: names no condition, so it matches every request and no later rule or the default is ever used; make it the default instead`,
      );
    }
    for (const [field, known] of Object.entries(fields)) {
      const value = rule.when[field as keyof typeof fields];
      if (value === undefined || known.includes(value)) continue;
      problems.push(
        `${at}.${field}: ${JSON.stringify(value)} is not in this tenant, so the rule never matches; ${hint(value, known)}`,
      );
    }
  });
  return problems;
}
