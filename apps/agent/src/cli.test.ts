import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import {
  afterStoreFailure,
  followProgress,
  runCli,
  stoppedWhere,
  type RunProgress,
} from "./cli.js";
import { loadConfig } from "./config.js";
import { resumeCommand } from "./resume-command.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function capture(stream: NodeJS.WriteStream) {
  return vi.spyOn(stream, "write").mockImplementation(() => true);
}

describe("runCli", () => {
  it("refuses an empty --user rather than acting for the default user", async () => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "--user", "", "Buy an XYZ phone"], {});

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toContain("must not be empty");
  });

  it("prints one JSON object naming every bad variable with --json", async () => {
    const stdout = capture(process.stdout);

    const code = await runCli(["node", "agent", "--json", "Buy an XYZ phone"], {
      AGENT_MODE: "later",
      SHOP_API_URL: "not a url",
      AGENT_USER_ID: "",
    });

    expect(code).toBe(2);
    const report = JSON.parse(stdout.mock.calls.map(([text]) => String(text)).join(""));
    expect(report).toMatchObject({
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "invalid_config",
      fix: "Set SHOP_API_URL to an http:// or https:// URL such as http://localhost:4020/api/purchases, or unset it for the local shop; set AGENT_MODE to block or interrupt, in lower case, or unset it for block.",
      purchases: [],
    });
    expect(report.message).toContain("SHOP_API_URL");
    expect(report.message).toContain("AGENT_MODE (or --mode)");
    expect(report.message).not.toContain("AGENT_USER_ID");
  });
});

const jsonOf = (stdout: ReturnType<typeof capture>) =>
  JSON.parse(stdout.mock.calls.map(([text]) => String(text)).join("")) as Record<string, unknown>;

describe("usage errors", () => {
  it.each([
    [["resume"], "Missing required argument 'thread'.", "pnpm agent resume --help"],
    [["resume", "--bogus", "thr_1"], `Unknown option "--bogus".`, "pnpm agent resume --help"],
    [["--bogus", "Buy an XYZ phone"], `Unknown option "--bogus".`, "pnpm agent --help"],
    [["serve", "--port", "3001"], `Unknown option "--port".`, "pnpm agent serve --help"],
    [
      ["--mdoe", "interrupt", "Buy an XYZ phone"],
      `Unknown option "--mdoe": did you mean --mode?`,
      "pnpm agent --help",
    ],
  ])("%j is CONFIG_ERROR (exit 2) with its fix", async (args, message, help) => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", ...args], {});

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toBe(
      `${message}\nFix: Run ${help} for the usage.\nOutcome: CONFIG_ERROR (exit 2)\n`,
    );
  });

  it.each([
    [
      ["resume", "--expiry", "soon", "thr_1"],
      `Option '--expiry <seconds>' argument "soon" is invalid. It must be a whole number of seconds.`,
      "Give --expiry a whole number of seconds from 1 to 259200 (up to 300 Auth0 pushes to the phone, above it emails), or leave it out for AGENT_REQUESTED_EXPIRY's (by default 300).",
    ],
    [
      ["--mode", "Block", "Buy an XYZ phone"],
      `Option '--mode <mode>' argument "Block" is invalid. Allowed choices are block, interrupt.`,
      "Give --mode block or interrupt.",
    ],
    [
      ["--user", " ", "Buy an XYZ phone"],
      `Option '--user <sub>' argument " " is invalid. It must not be empty.`,
      "Give --user the user id of the person the agent acts for, such as auth0|testbed-user, or leave it out for AGENT_USER_ID's (by default auth0|testbed-user).",
    ],
    [
      ["--model", "", "Buy an XYZ phone"],
      `Option '--model <name>' argument "" is invalid. It must not be empty.`,
      "Give --model the name of a model the model server serves, such as gpt-4o-mini, or leave it out for AGENT_MODEL's (by default gpt-4o-mini).",
    ],
  ])("%j, a bad option value, names what to give the option", async (args, message, fix) => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", ...args], {});

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toBe(
      `${message}\nFix: ${fix}\nOutcome: CONFIG_ERROR (exit 2)\n`,
    );
  });

  it("names the fix of a configuration error, from a variable or an option", async () => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "--expiry", "999999", "Buy an XYZ phone"], {
      AGENT_AUTHORIZATION_DETAILS: "yes",
    });

    expect(code).toBe(2);
    const lines = stderr.mock.calls.join("").split("\n");
    expect(lines.slice(-3)).toEqual([
      "Fix: Give --expiry a whole number of seconds from 1 to 259200 (up to 300 Auth0 pushes to the phone, above it emails), or leave it out for AGENT_REQUESTED_EXPIRY's (by default 300); set AGENT_AUTHORIZATION_DETAILS to true or false, in lower case, or unset it for true.",
      "Outcome: CONFIG_ERROR (exit 2)",
      "",
    ]);
  });

  it.each([
    [["resume", "--json"]],
    [["resume", "--json", "--bogus", "thr_1"]],
    [["--json", "--bogus", "Buy an XYZ phone"]],
  ])("%j prints one JSON report of the usage error", async (args) => {
    const stdout = capture(process.stdout);
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", ...args], {});

    expect(code).toBe(2);
    expect(stderr).not.toHaveBeenCalled();
    expect(jsonOf(stdout)).toMatchObject({
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "usage",
      message: expect.stringMatching(/^(Missing required argument 'thread'|Unknown option)/),
      fix: expect.stringMatching(/^Run pnpm agent (resume )?--help for the usage\.$/),
      purchases: [],
    });
  });

  it("writes out the controls a usage or configuration error quotes, as text and as JSON", async () => {
    const stderr = capture(process.stderr);
    const stdout = capture(process.stdout);

    const code = await runCli(["node", "agent", "--fo\u001b[31mo", "Buy an XYZ phone"], {});
    const json = await runCli(["node", "agent", "--json", "Buy an XYZ phone"], {
      AGENT_MODE: "x\u001b[31m\u202eRED",
    });

    expect([code, json]).toEqual([2, 2]);
    const text = stderr.mock.calls.join("");
    expect(text).toContain('Unknown option "--fo\\u{001B}[31mo"');
    const written = stdout.mock.calls.map(([chunk]) => String(chunk)).join("");
    // Nothing a terminal acts on.
    expect([written.includes("\u001b"), written.includes("\u202e")]).toEqual([false, false]);
    // The value quoted in the message is written out as the text report writes it.
    expect(jsonOf(stdout).message).toContain('(got "x\\u{001B}[31m\\u{202E}RED")');
  });

  it.each([[["resume", "--thread", "x", "thr_1"]], [["--thread", "x", "resume", "thr_1"]]])(
    "%j refuses --thread, which a resume has no use for",
    async (args) => {
      const stderr = capture(process.stderr);
      const stdout = capture(process.stdout);

      const code = await runCli(["node", "agent", ...args], {});
      const json = await runCli(["node", "agent", "--json", ...args], {});

      expect([code, json]).toEqual([2, 2]);
      expect(stderr.mock.calls.join("")).toBe(
        "Option '--thread' names the thread of a new request; resume takes the thread it continues as its argument.\n" +
          "Fix: Leave out --thread, and name the thread to continue once: pnpm agent resume <thread>.\n" +
          "Outcome: CONFIG_ERROR (exit 2)\n",
      );
      expect(jsonOf(stdout)).toMatchObject({ outcome: "CONFIG_ERROR", error: "usage" });
    },
  );

  it("says in resume --help what --expiry sets there: a request the resume sends", async () => {
    const stdout = capture(process.stdout);

    const code = await runCli(["node", "agent", "resume", "--help"], {});

    expect(code).toBe(0);
    const help = stdout.mock.calls.join("").replace(/\s+/g, " ");
    expect(help).toContain(
      "--expiry <seconds> seconds the person has to answer a request this resume sends, for a purchase of the thread not yet asked for; the request the thread waits for keeps the expiry it was sent with (AGENT_REQUESTED_EXPIRY)",
    );
  });

  it("answers an empty request with what to type, not the whole help", async () => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "  "], {});

    expect(code).toBe(2);
    const text = stderr.mock.calls.join("");
    expect(text).toBe(
      "No request: nothing to buy was given.\n" +
        'Fix: Say what to buy: pnpm agent "Buy 2 XYZ phones", or on stdin: echo "Buy 2 XYZ phones" | pnpm agent (pnpm agent --help lists the options).\n' +
        "Outcome: CONFIG_ERROR (exit 2)\n",
    );
  });

  it("reports an empty request as JSON with --json", async () => {
    const stdout = capture(process.stdout);

    const code = await runCli(["node", "agent", "--json", ""], {});

    expect(code).toBe(2);
    expect(jsonOf(stdout)).toMatchObject({
      outcome: "CONFIG_ERROR",
      exitCode: 2,
      error: "usage",
      message: "No request: nothing to buy was given.",
    });
  });
});

describe("the outcome line", () => {
  it("ends a run that fails before the agent runs (its store unreachable) as it ends one the agent reported", async () => {
    const stderr = capture(process.stderr);
    const stdout = capture(process.stdout);
    const port = await closedPort();
    const env = { AGENT_STORE: `redis://127.0.0.1:${String(port)}/0`, AGENT_MODE: "interrupt" };

    const code = await runCli(["node", "agent", "Buy an XYZ phone"], env);
    const json = await runCli(["node", "agent", "--json", "Buy an XYZ phone"], env);

    expect([code, json]).toEqual([1, 1]);
    const lines = stderr.mock.calls.join("").split("\n");
    expect(lines[0]).toMatch(
      /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0 \(AGENT_STORE\)/,
    );
    // One outcome line, the last, and none under --json, whose object says it.
    expect(lines.filter((line) => line.startsWith("Outcome:"))).toEqual([
      "Outcome: ERROR (exit 1)",
    ]);
    expect(lines.slice(-2)).toEqual(["Outcome: ERROR (exit 1)", ""]);
    expect(jsonOf(stdout)).toMatchObject({
      outcome: "ERROR",
      exitCode: 1,
      error: "store_unreachable",
    });
  });

  it("is not written for --help, which reports no run", async () => {
    const stderr = capture(process.stderr);
    capture(process.stdout);

    expect(await runCli(["node", "agent", "--help"], {})).toBe(0);
    expect(stderr).not.toHaveBeenCalled();
  });
});

/** A loopback port nothing listens on: one that was free a moment ago. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("a shop URL without its scheme", () => {
  it("is named with how to write it, not an exit 2 with no word", async () => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "Buy an XYZ phone"], {
      SHOP_API_URL: "localhost:4520",
    });

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toBe(
      "Invalid agent configuration:\n" +
        '  - SHOP_API_URL must start with http:// or https://: write it as http://localhost:4520/api/purchases (or https:// for TLS) (got "localhost:4520")\n' +
        "Fix: Set SHOP_API_URL to http://localhost:4520/api/purchases, or unset it for the local shop.\n" +
        "Outcome: CONFIG_ERROR (exit 2)\n",
    );
  });
});

describe("a typed value quoted back", () => {
  it.each([
    ["x\n\u007f\u009b31m", '"x\\u{000A}\\u{007F}\\u{009B}31m"'],
    ["x\\u0041", '"x\\\\u0041"'],
  ])(
    "is written the same, on one line, in a configuration error and a usage error (%j)",
    async (mode, shown) => {
      const stderr = capture(process.stderr);

      const codes = [
        await runCli(["node", "agent", "Buy an XYZ phone"], { AGENT_MODE: mode }),
        await runCli(["node", "agent", "--mode", mode, "Buy an XYZ phone"], {}),
      ];

      expect(codes).toEqual([2, 2]);
      expect(stderr.mock.calls.join("")).toBe(
        "Invalid agent configuration:\n" +
          `  - AGENT_MODE (or --mode) must be block or interrupt (got ${shown})\n` +
          "Fix: Set AGENT_MODE to block or interrupt, in lower case, or unset it for block.\n" +
          "Outcome: CONFIG_ERROR (exit 2)\n" +
          `Option '--mode <mode>' argument ${shown} is invalid. Allowed choices are block, interrupt.\n` +
          "Fix: Give --mode block or interrupt.\n" +
          "Outcome: CONFIG_ERROR (exit 2)\n",
      );
    },
  );
});

describe("a configuration value with hidden characters", () => {
  it("writes them out in the one style its usage errors use too", async () => {
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "Buy an XYZ phone"], {
      AGENT_MODE: "x\u001b[31m\u202e",
    });

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toContain(
      'AGENT_MODE (or --mode) must be block or interrupt (got "x\\u{001B}[31m\\u{202E}")',
    );
  });
});

const sending = {
  threadId: "thr-1",
  toolCallId: "call_1",
  bindingMessage: "Do you want to buy 1 XYZ phone",
};
const approval = {
  type: "approval-requested" as const,
  resumed: false,
  ...sending,
  authReqId: "req-1",
  userId: "auth0|someone",
  purchase: { product: "XYZ phone", qty: 1 },
  expiresAt: 0,
};

describe("a store that fails mid-run", () => {
  it("says an order request may have left, never that nothing was ordered", () => {
    const said = afterStoreFailure({ ordering: true, approval }, "auth0|someone", []);
    expect(said).toBe(
      "An order request may have left for the shop before the store failed: check the orders before asking again.",
    );
    expect(afterStoreFailure({ ordering: true }, "auth0|someone", ["ord_1"])).toBe(
      "This run had placed order ord_1 before it; its record may be missing from the store. An order request may have left for the shop before the store failed: check the orders before asking again.",
    );
  });

  it("names an approval request that went out and may not be kept", () => {
    expect(afterStoreFailure({ ordering: false, sending }, "auth0|someone", [])).toBe(
      'Nothing was ordered in this run. But the approval request "Do you want to buy 1 XYZ phone" had been sent to Auth0, so auth0|someone may be asked to approve it, and the store may not have kept it: if resume cannot find it, an approval given to it buys nothing.',
    );
    expect(afterStoreFailure({ ordering: false, approval }, "auth0|someone", [])).toContain(
      'But the approval request req-1 ("Do you want to buy 1 XYZ phone") had been sent',
    );
    expect(afterStoreFailure({ ordering: false }, "auth0|someone", [])).toBe(
      "Nothing was ordered in this run.",
    );
  });
  it("does not say that an approval already spent on an order may be approved again", () => {
    const progress: RunProgress = { ordering: false };
    const placed: string[] = [];
    followProgress(progress, placed, approval);
    followProgress(progress, placed, { type: "order-sending", toolCallId: "call_1" });
    followProgress(progress, placed, {
      type: "order-answered",
      toolCallId: "call_1",
      outcome: "ORDERED",
      orderId: "ord_1",
    });
    expect(afterStoreFailure(progress, "auth0|someone", placed)).toBe(
      "This run had placed order ord_1 before it; its record may be missing from the store. Nothing else was ordered; check the orders before asking again.",
    );
  });
});

describe("a run stopped by a signal", () => {
  it.each([
    ["an order on its way", { ordering: true, approval }, true, /^Check the person's orders/],
    ["nothing sent", { ordering: false }, false, /^Ask again .*nobody was asked/],
    ["a request on its way, block mode", { ordering: false, sending }, false, /^Ask again/],
    [
      "a request on its way, interrupt mode",
      { ordering: false, sending },
      true,
      /^Run pnpm agent resume thr-1/,
    ],
    ["a request out, block mode", { ordering: false, approval }, false, /^Ask again/],
    [
      "a request out, interrupt mode",
      { ordering: false, approval },
      true,
      /^Run pnpm agent resume thr-1/,
    ],
  ] as const)("a signal with %s says what to do next", (_, progress, durable, fix) => {
    const run = { durable, userId: "auth0|someone", resumeCommand: resumeCommand(loadConfig({})) };
    expect(stoppedWhere(progress, run, []).fix).toMatch(fix);
  });
});

describe("a local tenant's CA file that cannot be used", () => {
  it("is a configuration error naming the file, then its fix", async () => {
    const certDir = await mkdtemp(path.join(tmpdir(), "agent-empty-ca-"));
    onTestFinished(() => rm(certDir, { recursive: true, force: true }));
    await writeFile(path.join(certDir, "ca.pem"), "");
    const stderr = capture(process.stderr);

    const code = await runCli(["node", "agent", "Buy an XYZ phone"], {
      MOCK_AUTH0_CERT_DIR: certDir,
    });

    expect(code).toBe(2);
    expect(stderr.mock.calls.join("")).toBe(
      `The local tenant's CA ${path.join(certDir, "ca.pem")} holds no certificate (it is empty or damaged).\n` +
        `Fix: Stop the tenant, delete the files in its folder (${certDir}), and start it again, which makes a new CA.\n` +
        "Outcome: CONFIG_ERROR (exit 2)\n",
    );
  });
});
