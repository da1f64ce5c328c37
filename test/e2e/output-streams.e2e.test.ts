import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";

import { DEFAULT_CERT_DIR, parseReadyRecord, type ReadyRecord } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { builtEntry } from "../../scripts/build.js";

/** Where a stream of the child goes: read by the test, a full disk, or a reader that has gone. */
type Sink = "read" | "full" | "gone";

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  ended: Promise<Ended>;
}

/**
 * Starts `node <file> ...args` with its stdout and stderr sent where `sinks` says: `full` is
 * /dev/full (every write fails with ENOSPC), `gone` a pipe whose reader closed at once (EPIPE).
 */
function start(
  file: string,
  args: string[],
  env: Record<string, string>,
  sinks: { stdout: Sink; stderr: Sink },
): Started {
  const full = openSync("/dev/full", "w");
  const clean: Record<string, string | undefined> = { ...process.env, ...env };
  delete clean.NODE_EXTRA_CA_CERTS;
  const stdio: StdioOptions = [
    "ignore",
    sinks.stdout === "full" ? full : "pipe",
    sinks.stderr === "full" ? full : "pipe",
  ];
  const child = spawn(process.execPath, [file, ...args], { cwd: REPO_ROOT, env: clean, stdio });
  closeSync(full);
  const output = { stdout: "", stderr: "" };
  for (const name of ["stdout", "stderr"] as const) {
    const stream = child[name];
    if (stream === null) continue;
    if (sinks[name] === "gone") stream.destroy();
    else stream.on("data", (chunk: Buffer) => (output[name] += chunk.toString()));
  }
  const ended = new Promise<Ended>((resolve) => {
    child.on("close", (code) => {
      resolve({ ...output, code });
    });
  });
  return { child, ended };
}

describe("the agent's exit code when an output stream cannot be written", () => {
  let store: string;
  const agent = (args: string[], sinks: { stdout: Sink; stderr: Sink }) =>
    start(builtEntry("agent"), args, { AGENT_STORE: store }, sinks).ended;

  beforeAll(async () => {
    store = await mkdtemp(path.join(tmpdir(), "output-streams-e2e-"));
  });
  afterAll(async () => {
    await rm(store, { recursive: true, force: true });
  });

  // The offline model answers a joke with NO_PURCHASE (exit 8): no tenant or shop is needed to
  // tell the outcome's code from a crash's 1.
  const NOT_A_PURCHASE = ["Tell me a joke"];

  it("is the outcome's with stdout on a full disk", async () => {
    const ended = await agent(NOT_A_PURCHASE, { stdout: "full", stderr: "read" });
    expect(ended.stderr).toContain("Outcome: NO_PURCHASE (exit 8)");
    expect(ended.stderr).not.toContain("ENOSPC");
    expect(ended.code).toBe(8);
  }, 30_000);

  it("is the outcome's with stderr on a full disk, as the JSON report says", async () => {
    const ended = await agent(["--json", ...NOT_A_PURCHASE], { stdout: "read", stderr: "full" });
    expect(JSON.parse(ended.stdout)).toMatchObject({ outcome: "NO_PURCHASE", exitCode: 8 });
    expect(ended.code).toBe(8);
  }, 30_000);

  it("is the outcome's when the reader of stderr has gone", async () => {
    const ended = await agent(NOT_A_PURCHASE, { stdout: "read", stderr: "gone" });
    expect(ended.stdout).toContain("I did not buy anything this time.");
    expect(ended.code).toBe(8);
  }, 30_000);
});

/** The ready record once `file` holds it; rejects if the server ends first. */
async function readyRecordIn(file: string, server: Started): Promise<ReadyRecord> {
  const state = { ended: false };
  void server.ended.then(() => (state.ended = true));
  for (;;) {
    const record = parseReadyRecord((await readFile(file, "utf8").catch(() => "")).trimEnd());
    if (record !== undefined) return record;
    if (state.ended)
      throw new Error(
        `the server ended before it was ready: ${JSON.stringify(await server.ended)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The status of a GET of `url`, over HTTPS trusting the tenant's CA. */
function statusOf(url: string, ca?: string): Promise<number> {
  if (!url.startsWith("https:")) return fetch(url).then((answer) => answer.status);
  return new Promise((resolve, reject) => {
    request(url, { ca }, (answer) => {
      answer.resume();
      resolve(answer.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

const SERVERS = [
  {
    service: "mock-auth0",
    path: ".well-known/openid-configuration",
    env: { MOCK_AUTH0_PORT: "0", MOCK_AUTH0_CERT_DIR: DEFAULT_CERT_DIR },
  },
  { service: "model-server", path: "health", env: { MODEL_SERVER_PORT: "0" } },
] as const;

const SINKS = [
  { stdout: "gone", stderr: "read" },
  { stdout: "full", stderr: "read" },
  { stdout: "read", stderr: "full" },
] as const;

describe.each(SERVERS)("$service, when an output stream cannot be written", (server) => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "output-streams-e2e-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it.each(SINKS)(
    "with stdout $stdout and stderr $stderr, keeps serving and stops on SIGTERM with 0",
    async (sinks) => {
      const readyFile = path.join(scratch, `${sinks.stdout}-${sinks.stderr}.json`);
      const started = start(
        builtEntry(`${server.service}-bin`),
        ["--ready-file", readyFile],
        server.env,
        sinks,
      );
      try {
        const record = await readyRecordIn(readyFile, started);
        const ca =
          typeof record.caCertPath === "string"
            ? readFileSync(record.caCertPath, "utf8")
            : undefined;
        // Requests are logged on stdout: each one fails to be written, and the server goes on.
        for (let i = 0; i < 3; i++) {
          expect(
            await statusOf(new URL(server.path, record.url.replace(/\/?$/, "/")).href, ca),
          ).toBe(200);
        }
        expect(started.child.exitCode).toBeNull();
      } finally {
        started.child.kill("SIGTERM");
      }
      const ended = await started.ended;
      expect(ended.code).toBe(0);
      if (sinks.stderr === "read") {
        expect(ended.stderr).not.toMatch(/^\s+at /m);
        expect(ended.stderr).toContain(
          `${server.service}: stdout cannot be written (${sinks.stdout === "full" ? "ENOSPC" : "EPIPE"})`,
        );
      } else {
        expect(ended.stdout).toContain(`"service":"${server.service}"`);
      }
    },
    60_000,
  );
});

describe.each(["mock-auth0", "shop-api", "model-server"] as const)(
  "%s --help, when stdout cannot be written",
  (service) => {
    it.each(["gone", "full"] as const)(
      "with stdout %s, exits 0 with nothing on stderr",
      async (sink) => {
        const ended = await start(
          builtEntry(`${service}-bin`),
          ["--help"],
          {},
          {
            stdout: sink,
            stderr: "read",
          },
        ).ended;
        expect(ended).toEqual({ code: 0, stdout: "", stderr: "" });
      },
      30_000,
    );
  },
);

describe("the READMEs on output streams", () => {
  const readme = (file: string) =>
    readFileSync(path.join(REPO_ROOT, file), "utf8").replace(/\s+/g, " ");
  /** The exit code of `command`'s first process, run by bash with stdout to `| true`. */
  const codeInPipe = (command: string) => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    return spawnSync("bash", ["-c", `${command} 2>/dev/null | true; exit \${PIPESTATUS[0]}`], {
      cwd: REPO_ROOT,
      env,
    }).status;
  };

  it("are right that a root script's code is lost in a pipeline and a built entry point's kept", () => {
    expect(readme("README.md")).toContain(
      "a stdout closed early turns any exit code into 0 (`pnpm mock-auth0 --port abc | true` exits 0, and 2 with `>/dev/null`); `node build/…` keeps it.",
    );
    expect(codeInPipe("pnpm mock-auth0 --port abc")).toBe(0);
    expect(codeInPipe("pnpm mock-auth0 --port abc >/dev/null")).toBe(2);
    expect(codeInPipe("node build/mock-auth0-bin.js --port abc")).toBe(2);
  }, 30_000);

  it("say which stream mock-auth0's log line is on", () => {
    expect(readme("apps/mock-auth0/README.md")).toContain(
      "The log line `mock-auth0 listening` on stdout and the summary on stderr",
    );
  });
});
