import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import type { Page } from "playwright-core";

/** axe-core, run in the page as a string: the page's Content-Security-Policy does not apply. */
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * What axe finds on `page` against WCAG 2.2 AA (or only `rules`), failed or, with `undecided`,
 * not decidable: each rule, element and why.
 */
export async function axeViolations(
  page: Page,
  options: { rules?: string[]; undecided?: boolean } = {},
): Promise<string[]> {
  await page.evaluate(AXE);
  const runOnly =
    options.rules === undefined
      ? { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] }
      : { type: "rule", values: options.rules };
  return page.evaluate<string[]>(`axe
    .run(document, { runOnly: ${JSON.stringify(runOnly)} })
    .then((results) => [...results.violations, ...(${String(options.undecided === true)} ? results.incomplete : [])].flatMap((rule) => rule.nodes.map((node) => rule.id + " " + node.target.join(" ") + ": " + node.failureSummary)))`);
}
