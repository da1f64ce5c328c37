import { describe, expect, it, vi } from "vitest";

import { filterProblems, matches, mayBeRefusalOf } from "./request-filter.js";
import { waitOptionProblems } from "./wait-for-request.js";
import type { ConsentRequest, TenantRefusal } from "./wire.js";

const request = (bindingMessage: string) =>
  ({
    status: "pending",
    user: "auth0|testbed-user",
    client_id: "ciba-testbed-agent",
    binding_message: bindingMessage,
    created_at: "2030-01-01T12:00:00.000Z",
  }) as ConsentRequest;

describe("a request filter's bindingMessage", () => {
  it("matches every request a global or sticky pattern matches, not every other one", () => {
    const three = ["Buy 1 XYZ phone", "Buy 2 XYZ phone", "Buy 3 XYZ phone"].map(request);
    for (const pattern of [/XYZ/g, /Buy/y, /xyz/gi]) {
      expect(
        three.filter((r) => matches(r, { bindingMessage: pattern })),
        String(pattern),
      ).toEqual(three);
      expect(pattern.lastIndex).toBe(0);
    }
    const refusal = { binding_message: "Buy 4 XYZ phone", user: null, client_id: null };
    const refusals = [refusal, refusal] as TenantRefusal[];
    expect(refusals.filter((r) => mayBeRefusalOf(r, { bindingMessage: /XYZ/g }))).toHaveLength(2);
  });

  it("is an exact binding message when it is a string", () => {
    expect(matches(request("Buy 2 XYZ phone"), { bindingMessage: "Buy 2 XYZ phone" })).toBe(true);
    expect(matches(request("Buy 2 XYZ phones"), { bindingMessage: "Buy 2 XYZ phone" })).toBe(false);
  });
});

describe("a filter or wait options a caller misspelt", () => {
  it("is refused, naming each key and the right spelling, instead of matching every request", () => {
    expect(filterProblems({ binding_message: "second one", ClientID: "x" }, "requests")).toEqual([
      "binding_message is no filter key: did you mean bindingMessage?",
      "ClientID is no filter key: did you mean clientId?",
    ]);
    expect(filterProblems({ users: "x" }, "requests")).toEqual([
      "users is no filter key: a filter takes status, user, clientId, bindingMessage, since, where",
    ]);
    expect(filterProblems({ status: "pendng" }, "requests")).toEqual([
      'status must be one of pending, approved, denied, expired, consumed, or a list of them, not "pendng"',
    ]);
    expect(filterProblems({ status: ["pending", "aproved"] }, "requests")).toHaveLength(1);
    expect(filterProblems({ since: "yesterday", where: true }, "requests")).toEqual([
      'since must be a Date, a time in ms or an ISO string, not "yesterday"',
      "where must be a function of the request, not true",
    ]);
  });

  it("refuses a key given as undefined, which would match any value of it, and says to leave it out", () => {
    expect(filterProblems({ user: undefined, where: undefined }, "requests")).toEqual([
      "user is undefined: leave user out to match any person, or give the value you meant (a misspelt property, an unset environment variable?)",
      "where is undefined: leave where out to match every request, or give the value you meant (a misspelt property, an unset environment variable?)",
    ]);
    expect(filterProblems({ status: undefined }, "waitForRequest")[0]).toMatch(
      /^status is undefined: leave status out to wait for a pending request,/,
    );
    expect(filterProblems({ status: undefined }, "requests")[0]).toMatch(
      /^status is undefined: leave status out to match any status,/,
    );
    expect(filterProblems({ user: "auth0|x" }, "requests")).toEqual([]);
  });

  it("names the wait's options given as its filter, and the call that takes them", () => {
    expect(
      filterProblems({ agent: Promise.resolve(), timeoutMs: 1_000 }, "waitForRequest"),
    ).toEqual([
      "agent and timeoutMs are options of waitForRequest, not filter keys: give them as its second argument, (filter, { agent, timeoutMs })",
    ]);
  });

  it("refuses wait options that would wait for ever or are no options", () => {
    for (const timeoutMs of [Number.NaN, Number.POSITIVE_INFINITY, 0, -1, "1000"]) {
      expect(waitOptionProblems({ timeoutMs }), String(timeoutMs)).toEqual([
        `timeoutMs must be a finite number of milliseconds above 0, not ${typeof timeoutMs === "string" ? `"${timeoutMs}"` : String(timeoutMs)}`,
      ]);
    }
    expect(waitOptionProblems({ timeout: 1_000, user: "x", agent: 3 })).toEqual([
      "timeout is no option of waitForRequest: its options are timeoutMs, agent, signal, failOnRefusal, allowMessageMismatch",
      "user is no option of waitForRequest: it is a filter key: give it in the filter, the first argument",
      "agent must be the agent's run, a promise (of its child process, or of its function), not 3",
    ]);
    expect(waitOptionProblems({ timeoutMs: 1_000, agent: Promise.resolve() })).toEqual([]);
  });

  it("refuses a where that answers other than true or false: an async one is always truthy", () => {
    const one = request("first one");
    expect(() => matches(one, { where: (() => Promise.resolve(false)) as never })).toThrow(
      "where must return true or false, not a Promise (an async function): where is asked of each request and answers at once",
    );
    expect(() => matches(one, { where: (() => 1) as never })).toThrow(
      "where must return true or false, not 1",
    );
    expect(matches(one, { where: () => false })).toBe(false);
  });
});

describe("RequestFilterError", () => {
  it("is an instanceof the class of another copy of the module, as the ESM and CommonJS builds are", async () => {
    const first = await import("./request-filter.js");
    vi.resetModules();
    const second = await import("./request-filter.js");
    expect(second.RequestFilterError).not.toBe(first.RequestFilterError);

    const error = new first.RequestFilterError("requests", "filter", ["binding_message"]);
    expect(error instanceof second.RequestFilterError).toBe(true);
    expect(error instanceof TypeError).toBe(true);
    expect(error.code).toBe("TESTBED_INVALID_ARGUMENTS");
    expect(new TypeError("binding_message") instanceof second.RequestFilterError).toBe(false);
    expect(() => {
      first.checkFilter({ binding_message: "x" }, "requests");
    }).toThrow(second.RequestFilterError);
  });

  it("is no instance of a subclass, whose instanceof is its own", async () => {
    const first = await import("./request-filter.js");
    vi.resetModules();
    const second = await import("./request-filter.js");
    class Mine extends first.RequestFilterError {}
    class Other extends first.RequestFilterError {}

    expect(new first.RequestFilterError("requests", "filter", ["a"]) instanceof Mine).toBe(false);
    expect(new second.RequestFilterError("requests", "filter", ["a"]) instanceof Mine).toBe(false);
    expect(new Other("requests", "filter", ["a"]) instanceof Mine).toBe(false);
    const mine = new Mine("requests", "filter", ["a"]);
    expect(mine instanceof Mine).toBe(true);
    expect(mine instanceof first.RequestFilterError).toBe(true);
    expect(mine instanceof second.RequestFilterError).toBe(true);
  });
});
