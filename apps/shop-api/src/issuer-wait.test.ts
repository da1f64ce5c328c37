import { describe, expect, it } from "vitest";

import { IssuerCheckError } from "./issuer-check.js";
import type { IssuerCheckResult, IssuerProblem } from "./issuer-check.js";
import { checkIssuerWaiting } from "./issuer-wait.js";

const RESULT: IssuerCheckResult = {
  issuer: "https://localhost:4010/",
  metadataUrl: "https://localhost:4010/.well-known/openid-configuration",
  jwksUri: "https://localhost:4010/.well-known/jwks.json",
  keyCount: 2,
};

/** A check that fails with `problems` in turn, then answers; time passes only by `pause`. */
function scripted(problems: IssuerProblem[]) {
  let time = 0;
  const tries: number[] = [];
  const waits: IssuerProblem[] = [];
  const check = () => {
    tries.push(time);
    const problem = problems.shift();
    return problem === undefined
      ? Promise.resolve(RESULT)
      : Promise.reject(new IssuerCheckError(problem, problem));
  };
  const options = {
    retryMs: 100,
    now: () => time,
    pause: (ms: number) => {
      time += ms;
      return Promise.resolve();
    },
    onWait: (error: IssuerCheckError) => waits.push(error.problem),
  };
  return { check, options, tries, waits };
}

describe("checkIssuerWaiting", () => {
  it("tries a refusing issuer again until it answers, saying once that it waits", async () => {
    const { check, options, tries, waits } = scripted(["connection_refused", "connection_refused"]);
    await expect(checkIssuerWaiting(check, { ...options, waitMs: 30_000 })).resolves.toBe(RESULT);
    expect(tries).toEqual([0, 100, 200]);
    expect(waits).toEqual(["connection_refused"]);
  });

  it("throws the refusal at once without a wait, and once the wait is over", async () => {
    const once = scripted(["connection_refused"]);
    await expect(checkIssuerWaiting(once.check, { ...once.options, waitMs: 0 })).rejects.toThrow(
      "connection_refused",
    );
    expect(once.tries).toEqual([0]);
    expect(once.waits).toEqual([]);

    const bounded = scripted(Array<IssuerProblem>(10).fill("connection_refused"));
    await expect(
      checkIssuerWaiting(bounded.check, { ...bounded.options, waitMs: 300 }),
    ).rejects.toThrow("connection_refused");
    expect(bounded.tries).toEqual([0, 100, 200, 300]);
  });

  it("never waits for another problem: a wrong or untrusted issuer stops the start at once", async () => {
    for (const problem of ["tls_untrusted", "issuer_mismatch", "dns"] as const) {
      const { check, options, tries } = scripted([problem]);
      await expect(checkIssuerWaiting(check, { ...options, waitMs: 30_000 })).rejects.toThrow(
        problem,
      );
      expect(tries).toEqual([0]);
    }
  });
});
