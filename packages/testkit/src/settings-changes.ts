import type { TestbedOptions } from "./testbed.js";

/** Every rate limit off: what `rateLimits: null` stands for. */
const NO_RATE_LIMITS = {
  perUserRequestsPerMinute: null,
  perIpRequestsPerMinute: null,
  authenticationApiRequestsPerSecond: null,
} as const;

/** mock-auth0.json changes from the options (`approver` is set through the control API). */
export function settingsChanges(
  options: Pick<TestbedOptions, "settings" | "rateLimits">,
): Record<string, unknown> | undefined {
  const { settings = {} } = options;
  const rateLimits = options.rateLimits === null ? NO_RATE_LIMITS : (options.rateLimits ?? {});
  const { authenticationApiRequestsPerSecond, ...cibaLimits } = rateLimits;
  const changes: Record<string, unknown> = { ...settings };
  if (Object.keys(cibaLimits).length > 0) {
    changes.ciba = { ...(settings.ciba as object | undefined), ...cibaLimits };
  }
  if (authenticationApiRequestsPerSecond !== undefined) {
    changes.rateLimits = {
      ...(settings.rateLimits as object | undefined),
      authenticationApiRequestsPerSecond,
    };
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}
