import { RE2JS } from "re2js";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { formatOutcome, parseOutcome } from "./outcome.js";
import { chooseOutcome, policySchema } from "./policy.js";

describe("approver outcomes", () => {
  it.each([
    ["approve", { action: "approve", afterMs: 0 }],
    ["deny", { action: "deny", afterMs: 0 }],
    ["ignore", { action: "ignore" }],
    ["manual", { action: "manual" }],
    ["approve-after:2000", { action: "approve", afterMs: 2000 }],
    ["deny-after:50", { action: "deny", afterMs: 50 }],
    ["expire-after:1500", { action: "expire", afterMs: 1500 }],
  ])("parses %s and prints it back", (text, outcome) => {
    expect(parseOutcome(text)).toEqual(outcome);
    expect(formatOutcome(parseOutcome(text)!)).toBe(text);
  });

  it.each(["", "yes", "approve-after:", "approve-after:-1", "ignore-after:10", "approve after 10"])(
    "refuses %j",
    (text) => {
      expect(parseOutcome(text)).toBeUndefined();
    },
  );
});

describe("approver policy", () => {
  const policy = policySchema.parse({
    default: "manual",
    rules: [
      {
        when: { user: "auth0|alice", bindingMessage: "^Do you want to buy \\d+ XYZ" },
        outcome: "approve",
      },
      { when: { bindingMessage: "tv" }, outcome: "deny" },
      { when: { clientId: "robot" }, outcome: "ignore" },
    ],
  });
  const base = {
    userId: "auth0|bob",
    clientId: "agent",
    audience: "sample-shop-api",
    bindingMessage: "hello",
    channel: "guardian-push" as const,
  };

  it("takes the first rule whose conditions all hold", () => {
    expect(
      chooseOutcome(policy, {
        ...base,
        userId: "auth0|alice",
        bindingMessage: "Do you want to buy 2 XYZ TV",
      }),
    ).toEqual({
      action: "approve",
      afterMs: 0,
    });
    expect(
      chooseOutcome(policy, { ...base, bindingMessage: "Do you want to buy 2 XYZ TV" }),
    ).toEqual({
      action: "deny",
      afterMs: 0,
    });
    expect(chooseOutcome(policy, { ...base, clientId: "robot" })).toEqual({ action: "ignore" });
  });

  it("matches a binding message in time linear in it, whatever the pattern", () => {
    // With JavaScript's backtracking engine this pattern took 2.5 s for a message of 29
    // characters, doubling with each one more, and the tenant answered nothing meanwhile.
    const nested = policySchema.parse({
      default: "approve",
      rules: [{ when: { bindingMessage: "^(a+)+$" }, outcome: "deny" }],
    });
    const message = `${"a".repeat(63)}#`;
    expect(chooseOutcome(nested, { ...base, bindingMessage: message })).toEqual({
      action: "approve",
      afterMs: 0,
    });
    expect(chooseOutcome(nested, { ...base, bindingMessage: "AAA" })).toEqual({
      action: "deny",
      afterMs: 0,
    });
  });

  it("compiles each rule's pattern once, however many rules the policy holds", () => {
    // The control API takes a policy of up to 64 KB: about a thousand such rules.
    const many = policySchema.parse({
      default: "approve",
      rules: Array.from({ length: 600 }, (_, n) => ({
        when: { bindingMessage: `^order number ${String(n)} of [a-z]+ items?$` },
        outcome: "deny",
      })),
    });
    const compile = vi.spyOn(RE2JS, "compile");
    onTestFinished(() => {
      compile.mockRestore();
    });
    const ask = (bindingMessage: string) => chooseOutcome(many, { ...base, bindingMessage });
    expect(ask("order number 599 of blue items")).toEqual({ action: "deny", afterMs: 0 });
    expect(compile).toHaveBeenCalledTimes(600);
    expect(ask("order number 598 of red item")).toEqual({ action: "deny", afterMs: 0 });
    expect(ask("nothing to order")).toEqual({ action: "approve", afterMs: 0 });
    expect(compile).toHaveBeenCalledTimes(600);
  });

  it("refuses a pattern RE2 does not run, saying why", () => {
    for (const pattern of ["(", "(a)\\1", "(?<=buy )phone"]) {
      const parsed = policySchema.safeParse({
        default: "manual",
        rules: [{ when: { bindingMessage: pattern }, outcome: "deny" }],
      });
      expect(parsed.success, pattern).toBe(false);
      expect(parsed.error?.issues[0]?.message, pattern).toMatch(
        /^not a regular expression this tenant runs \(RE2 syntax: no backreferences or lookaround\): error parsing regexp/,
      );
    }
  });

  it("matches the channel the person is asked on", () => {
    const byChannel = policySchema.parse({
      default: "manual",
      rules: [
        { when: { channel: "email", user: "auth0|bob" }, outcome: "deny-after:1000" },
        { when: { channel: "email" }, outcome: "approve" },
      ],
    });
    expect(chooseOutcome(byChannel, { ...base, channel: "email" })).toEqual({
      action: "deny",
      afterMs: 1000,
    });
    expect(chooseOutcome(byChannel, { ...base, userId: "auth0|eve", channel: "email" })).toEqual({
      action: "approve",
      afterMs: 0,
    });
    expect(chooseOutcome(byChannel, base)).toEqual({ action: "manual" });
    const unknown = policySchema.safeParse({
      default: "manual",
      rules: [{ when: { channel: "sms" }, outcome: "deny" }],
    });
    expect(unknown.success).toBe(false);
  });

  it("falls back to the default", () => {
    expect(chooseOutcome(policy, base)).toEqual({ action: "manual" });
  });

  it("refuses unknown condition keys", () => {
    expect(
      policySchema.safeParse({
        default: "approve",
        rules: [{ when: { email: "x" }, outcome: "deny" }],
      }).success,
    ).toBe(false);
  });
});
