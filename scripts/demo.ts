/**
 * `pnpm demo`: a narrated tour of the three outcomes of a CIBA purchase (approve, deny,
 * timeout) with the real agent CLI against the real local stack. Exits 0 only when every
 * outcome is the expected one.
 */
import { styleText } from "node:util";

import { INTERACTIVE_TENANT_SETTINGS, startStack } from "@ciba-testbed/stack";
import type { ConsentRecord, Stack } from "@ciba-testbed/stack";
import { runAgent } from "@ciba-testbed/stack/agent-cli";
import type { AgentRun } from "@ciba-testbed/stack/agent-cli";
import { ServiceStartError, stopLine } from "@ciba-testbed/stack/supervisor";
import { loseWhatCannotBeWritten, resolveFromInvocation } from "@ciba-testbed/shared/node";
import { takeNoArguments } from "@ciba-testbed/stack/script-args";

interface Step {
  title: string;
  request: string;
  approver: string;
  args: string[];
  expected: string;
  explain: string;
}

const STEPS: Step[] = [
  {
    title: "The person approves",
    request: "Buy 2 XYZ phones",
    approver: "approve-after:1500",
    args: [],
    expected: "ORDERED",
    explain: "the phone says yes after 1.5 s",
  },
  {
    title: "The person denies",
    request: "Buy a USB-C cable",
    approver: "deny-after:1500",
    args: [],
    expected: "DENIED",
    explain: "the phone says no after 1.5 s",
  },
  {
    title: "Nobody answers",
    request: "Buy an ABC laptop",
    approver: "ignore",
    args: ["--expiry", "3"],
    expected: "EXPIRED",
    explain: "the phone never answers; the agent asked for a 3 s expiry",
  },
];

const dim = (text: string) => styleText("dim", text);
const bold = (text: string) => styleText("bold", text);
const good = (text: string) => styleText("green", text);
const bad = (text: string) => styleText("red", text);
const say = (line = "") => process.stdout.write(`${line}\n`);
// A reader that goes away (`pnpm demo | head -2`) or a full disk does not end the demo: what
// cannot be written is lost, and it runs on to the end and exits with its result's code.
loseWhatCannotBeWritten();
takeNoArguments("pnpm demo", [
  "Usage: pnpm demo [--help]",
  "",
  "Starts a throw-away local stack, runs the agent three times (the person approves,",
  "denies, does not answer) and narrates each consent request. Exits 0 when every outcome is",
  "the expected one.",
]);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function narrateConsent(consent: ConsentRecord, startedAt: number) {
  const at = (iso: string) => dim(`+${seconds(Date.parse(iso) - startedAt).padStart(6)}`);
  for (const event of consent.timeline ?? []) {
    if (event.type === "created") {
      say(
        `  ${at(event.at)}  consent request sent to ${consent.user}: "${consent.binding_message}"`,
      );
      const detail = consent.authorization_details?.[0];
      if (detail) say(`  ${" ".repeat(8)}  authorization_details: ${JSON.stringify(detail)}`);
    } else if (event.type === "approved" || event.type === "denied") {
      say(`  ${at(event.at)}  the person ${event.type} the request`);
    } else if (event.type === "expired") {
      say(`  ${at(event.at)}  the request expired before the agent collected an answer`);
    } else if (event.type === "token_issued") {
      say(
        `  ${at(event.at)}  tokens issued: audience ${consent.audience ?? "-"}, scope "${consent.scope}"`,
      );
    }
  }
  const polls = (consent.timeline ?? []).filter((e) => e.type === "poll").length;
  say(`  ${" ".repeat(8)}  the agent polled /oauth/token ${polls} times`);
}

async function runStep(
  stack: Stack,
  step: Step,
  index: number,
): Promise<{ step: Step; run: AgentRun }> {
  say();
  say(bold(`${index + 1}. ${step.title}`) + dim(` (approver: ${step.approver}: ${step.explain})`));
  say(
    `  ${dim("$")} pnpm agent "${step.request}"${step.args.length ? ` ${step.args.join(" ")}` : ""}`,
  );
  await stack.control.setPolicy({ default: step.approver });
  const startedAt = Date.now();
  const run = await runAgent([step.request, ...step.args], stack.agentEnv());
  if (run.json.authReqId)
    narrateConsent(await stack.control.request(run.json.authReqId), startedAt);
  if (run.json.order) {
    const { order } = run.json;
    say(
      `  ${dim(`+${seconds(run.wallMs).padStart(6)}`)}  order ${order.id} placed: ${order.qty} x ${order.product.name}, ${order.total.toFixed(2)} USD`,
    );
  }
  const mark = run.json.outcome === step.expected ? good("✔") : bad("✘");
  say(
    `  ${mark} agent: ${run.json.outcome} (exit ${run.exitCode}) ${dim(`in ${seconds(run.wallMs)}`)}: ${run.json.message}`,
  );
  return { step, run };
}

function summary(results: { step: Step; run: AgentRun }[]) {
  const header = ["scenario", "expected", "outcome", "exit", "time"];
  const rows = results.map(({ step, run }) => [
    step.title,
    step.expected,
    run.json.outcome,
    String(run.exitCode),
    seconds(run.wallMs),
  ]);
  const widths = header.map((title, c) =>
    Math.max(title.length, ...rows.map((row) => row[c]?.length ?? 0)),
  );
  const format = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  ");
  say();
  say(bold(format(header)));
  for (const row of rows) say(format(row));
}

const started = Date.now();
say(
  bold("ciba-testbed demo") +
    dim(": the agent asks, the person answers, the shop sells only with consent"),
);
/** One line on stderr and exit 1: what a person reads, no stack trace. */
function fail(message: string): never {
  process.stderr.write(`pnpm demo: ${bad(message)}\n`);
  process.exit(1);
}

// Where the tenant keeps its CA and keys, as pnpm dev takes it: the repository's .certs
// cannot be written in a read-only checkout, and the tenant's error says to set this.
const certDir = process.env.MOCK_AUTH0_CERT_DIR?.trim() ?? "";
let stack: Stack;
try {
  // The agent polls every 1 s, not at Auth0's 5 s: a person watches each step.
  stack = await startStack({
    tenantSettingsFile: INTERACTIVE_TENANT_SETTINGS,
    ...(certDir === "" ? {} : { certDir: resolveFromInvocation(certDir, process.env) }),
  });
} catch (error) {
  fail(
    error instanceof ServiceStartError
      ? stopLine(error.stop)
      : ((error as Error).message.split("\n")[0] ?? String(error)),
  );
}
say(dim(`mock-auth0 at ${stack.issuer}, shop-api at ${stack.shopApiUrl}`));
let failed = true;
try {
  const results = [];
  for (const [index, step] of STEPS.entries()) results.push(await runStep(stack, step, index));
  summary(results);
  failed = results.some(({ step, run }) => run.json.outcome !== step.expected);
} finally {
  await stack.stop();
}
say();
say(
  failed
    ? bad("Some outcome was not the expected one.")
    : good(`All three outcomes as expected, in ${seconds(Date.now() - started)}.`),
);
process.exit(failed ? 1 : 0);
