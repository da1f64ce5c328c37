import { readable } from "@ciba-testbed/stack/supervisor";
import { afterEach, expect, it, vi } from "vitest";

afterEach(() => {
  vi.unstubAllEnvs();
});

// pnpm dev and pnpm demo show each service's log records with their time: the time a person
// compares with their clock, `date` and the other tools' output (Vitest's "Start at").
it("shows a log record's time on the machine's clock (TZ), not in UTC", () => {
  vi.stubEnv("TZ", "Pacific/Chatham");
  // 20:05:05.497 UTC is 09:50:05.497 the next day in Chatham, UTC+13:45 in December.
  const time = Date.UTC(2026, 11, 7, 20, 5, 5, 497);
  expect(readable(JSON.stringify({ level: 30, time, msg: "mock-auth0 listening" }))).toBe(
    "[09:50:05.497] INFO: mock-auth0 listening",
  );
});

it("leaves a line that is no log record as it is", () => {
  expect(readable('mock-auth0 (tenant "ciba-testbed") is serving https://localhost:4010/')).toBe(
    'mock-auth0 (tenant "ciba-testbed") is serving https://localhost:4010/',
  );
});
