import { describe, expect, it } from "vitest";

import { retryAt } from "./rate-limit.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const at = (headers: Record<string, string>) => retryAt(new Headers(headers), NOW);

describe("retryAt", () => {
  it("reads Retry-After as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3)", () => {
    expect(at({ "Retry-After": "30" })).toBe(NOW + 30_000);
    expect(at({ "Retry-After": "Thu, 01 Jan 2026 00:01:00 GMT" })).toBe(NOW + 60_000);
  });

  it("reads X-RateLimit-Reset as a UNIX time in seconds, a small value as seconds from now", () => {
    expect(at({ "X-RateLimit-Reset": String(NOW / 1000 + 12) })).toBe(NOW + 12_000);
    expect(at({ "X-RateLimit-Reset": "12" })).toBe(NOW + 12_000);
  });

  it("takes the later of the two, and never a time already past", () => {
    expect(at({ "Retry-After": "5", "X-RateLimit-Reset": String(NOW / 1000 + 20) })).toBe(
      NOW + 20_000,
    );
    expect(at({ "X-RateLimit-Reset": String(NOW / 1000 - 30) })).toBe(NOW);
  });

  it("gives nothing for absent, blank or unreadable headers", () => {
    expect(at({})).toBeUndefined();
    expect(at({ "Retry-After": " ", "X-RateLimit-Reset": "soon" })).toBeUndefined();
    expect(at({ "Retry-After": "-3" })).toBeUndefined();
    expect(retryAt(undefined, NOW)).toBeUndefined();
  });

  it("reads a plain object of headers in any case", () => {
    expect(retryAt({ "retry-after": "7" }, NOW)).toBe(NOW + 7_000);
    expect(retryAt({ "Retry-After": "7" }, NOW)).toBe(NOW + 7_000);
  });
});
