/**
 * Auth0 sends one user at most this many backchannel authentication requests a minute
 * (https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-initiated-backchannel-authentication-flow/mobile-push-notifications-with-ciba).
 */
export const AUTH0_REQUESTS_PER_USER_PER_MINUTE = 5;

/** Below this an `X-RateLimit-Reset` reads as seconds from now, above as a UNIX time. */
const EPOCH_SECONDS_FLOOR = 1_000_000_000;

/**
 * When Auth0 lets the client try again (epoch ms), from the headers of its 429: `Retry-After`
 * (RFC 9110 section 10.2.3: delay-seconds or an HTTP-date) and `X-RateLimit-Reset` (a UNIX
 * time in seconds, Auth0's rate-limit pages). The later of the two, never before `now`;
 * undefined when neither is readable. `headers` is what the `auth0` SDK puts on its errors: the
 * fetch `Headers` of the response.
 */
export function retryAt(headers: unknown, now: number): number | undefined {
  const times = [
    fromRetryAfter(header(headers, "retry-after"), now),
    fromRateLimitReset(header(headers, "x-ratelimit-reset"), now),
  ].filter((time): time is number => time !== undefined);
  return times.length === 0 ? undefined : Math.max(now, ...times);
}

function fromRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return now + Number(value) * 1000;
  // Every HTTP-date form starts with the day's name; Date.parse alone would take "-3" as a year.
  if (!/^[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date;
}

function fromRateLimitReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds >= EPOCH_SECONDS_FLOOR ? seconds * 1000 : now + seconds * 1000;
}

/** One header from fetch `Headers` or a plain object, trimmed; undefined when absent or blank. */
function header(headers: unknown, name: string): string | undefined {
  if (typeof headers !== "object" || headers === null) return undefined;
  let value: unknown;
  if (typeof (headers as { get?: unknown }).get === "function") {
    value = (headers as { get(name: string): unknown }).get(name);
  } else {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : (headers as Record<string, unknown>)[key];
  }
  const text = typeof value === "string" ? value.trim() : "";
  return text === "" ? undefined : text;
}
