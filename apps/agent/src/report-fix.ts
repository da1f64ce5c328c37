import { hideCredentials } from "@ciba-testbed/shared";

import type { AgentReport } from "./agent-report.js";
import type { AgentConfig } from "./config.js";
import { INVALID_CALL_FIX } from "./model-error.js";

/** What a person can do after a refusal whose result names no fix, by the report's error. */
const FIXES: Record<string, (config: AgentConfig) => string> = {
  unknown_product: (config) =>
    `GET ${hideCredentials(config.catalogUrl)} lists what the shop sells: ask for one of those products by its name.`,
  price_limit_exceeded: () =>
    "Ask again with a limit at least the total the message names, or without one, or for fewer.",
  invalid_tool_call: () => INVALID_CALL_FIX,
};

/** The report, with a fix a person can act on when its error has one and it names none. */
export function withFix(report: AgentReport, config: AgentConfig): AgentReport {
  if (report.fix !== undefined || report.error === undefined) return report;
  const fix = FIXES[report.error]?.(config);
  return fix === undefined ? report : { ...report, fix };
}
