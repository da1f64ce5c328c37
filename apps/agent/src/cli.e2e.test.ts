import { isAscii } from "node:buffer";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { AgentReportJson } from "./agent-report.js";

// `pnpm agent ...` from the repository's root, as a person types it, with the shop stopped.
const ROOT = path.resolve(import.meta.dirname, "../../..");

let env: NodeJS.ProcessEnv;
let store: string;

beforeAll(async () => {
  store = await mkdtemp(path.join(tmpdir(), "agent-cli-"));
  env = {
    ...process.env,
    // The built-in model, and a shop that is not there: a port that was free a moment ago.
    OPENAI_API_KEY: "",
    SHOP_API_URL: `http://127.0.0.1:${await closedPort()}/api/purchases`,
    SHOP_CATALOG_URL: "",
    AGENT_STORE: store,
  };
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

function run(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("pnpm agent, run as a person runs it", { timeout: 60_000 }, () => {
  it("prints one JSON document with --json, so a pipe can parse it", async () => {
    // One run: pnpm's exit code is kept in a file (sh has no pipefail), and the reader, which
    // fails unless the whole of its input is one JSON document, prints what it parsed.
    const codeFile = path.join(store, "exit-code");
    const { code, stdout, stderr } = await run(
      `{ pnpm agent --json "buy 2 XYZ phones"; echo "$?" > '${codeFile}'; } | ` +
        `node -e "const t = require('fs').readFileSync(0, 'utf8'); JSON.parse(t); process.stdout.write(t)"`,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const report = JSON.parse(stdout) as AgentReportJson;
    // The shop is stopped: nobody is asked, and the exit code is the outcome's, from pnpm too.
    expect(report).toMatchObject({ outcome: "ERROR", exitCode: 1, error: "catalog_unavailable" });
    expect(report.purchases).toMatchObject([{ purchase: { product: "XYZ phone", qty: 2 } }]);
    expect(report.authReqId).toBeNull();
    // Where the time went, from the process's start on.
    expect(Object.keys(report.timings)).toEqual(
      expect.arrayContaining(["startMs", "totalMs", "modelMs", "catalogMs"]),
    );
    expect((await readFile(codeFile, "utf8")).trim()).toBe("1");
    expect(stdout.startsWith("{")).toBe(true);
  });

  it("says what is wrong and how to fix it, without pnpm's noise", async () => {
    const { code, stdout, stderr } = await run(`pnpm agent "Buy 2 XYZ phones"`);

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^Could not buy 2 x "XYZ phone" as the model named it: Cannot read the shop's catalog at http/,
    );
    expect(stdout).toContain("the person was not asked");
    expect(stderr).toContain(
      "Fix: Start the local stack with pnpm dev (the shop alone: pnpm shop-api, with pnpm mock-auth0 running), or point SHOP_API_URL (or SHOP_CATALOG_URL) at the shop.",
    );
    expect(stderr).toContain("Outcome: ERROR (exit 1)");
    expect(`${stdout}${stderr}`).not.toMatch(/ELIFECYCLE|^> /m);
  });

  it("names the fix of a configuration error, from a variable and an option alike", async () => {
    const { code, stdout, stderr } = await run(
      `AGENT_MODE=Block pnpm agent --expiry 0 "Buy 2 XYZ phones"`,
    );

    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toBe(
      [
        "Invalid agent configuration:",
        '  - AGENT_MODE (or --mode) must be block or interrupt (got "Block")',
        '  - AGENT_REQUESTED_EXPIRY (or --expiry) must be at least 1 second (got "0")',
        "Fix: Set AGENT_MODE to block or interrupt, in lower case, or unset it for block; give --expiry a whole number of seconds from 1 to 259200 (up to 300 Auth0 pushes to the phone, above it emails), or leave it out for AGENT_REQUESTED_EXPIRY's (by default 300).",
        "Outcome: CONFIG_ERROR (exit 2)",
        "",
      ].join("\n"),
    );
  });

  it("says that nothing was sent when Ctrl-C comes as it starts, waiting for its request on stdin", async () => {
    // A preload says on fd 3 when the process has taken SIGINT: the signal is sent then, and
    // not on a timer. The CLI reads its request from stdin, which never ends, so it waits.
    const preload = path.join(store, "say-taken.cjs");
    await writeFile(
      preload,
      `const on = process.on.bind(process);
process.on = (name, listener) => {
  const taken = on(name, listener);
  if (name === "SIGINT") require("node:fs").writeSync(3, "taken\\n");
  return taken;
};`,
    );
    const child = spawn(process.execPath, ["--require", preload, "build/agent.cjs"], {
      cwd: ROOT,
      env,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const taken = child.stdio[3] as NodeJS.ReadableStream;
    await once(taken, "data");
    child.kill("SIGINT");
    const [code, signal] = (await once(child, "close")) as [number | null, string | null];

    expect({ code, signal }).toEqual({ code: 130, signal: null });
    expect(stderr).toBe(
      "Stopped by SIGINT before the run began: nothing was sent, and nothing was ordered.\n" +
        "Fix: Run it again if the purchase is still wanted: nobody was asked to approve it.\n" +
        "Outcome: ERROR (exit 130)\n",
    );
  });

  it("names AGENT_PORT and the fix when the web app's port is taken, as no unexpected error", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { code, stdout, stderr } = await run(`AGENT_PORT=${port} pnpm agent serve`);

      expect(code).toBe(1);
      expect(stderr).toContain(
        `The web app cannot listen on 127.0.0.1:${port}: another process holds port ${port} (AGENT_PORT, EADDRINUSE).\nFix: Stop that process, or set AGENT_PORT to a free port.`,
      );
      expect(`${stdout}${stderr}`).not.toMatch(/Unexpected error|ELIFECYCLE/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  // Node 20's recursive mkdir spins forever under /proc; `timeout` makes a hang exit 124.
  it.runIf(process.platform === "linux")(
    "names AGENT_STORE, the folder and a fix when the store's folder cannot be made (/proc; Linux only)",
    async () => {
      const { code, stdout } = await run(
        `AGENT_STORE=/proc/agent-store timeout 20 node build/agent.cjs --json --mode interrupt "Buy a USB-C cable"`,
      );

      expect(code).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({
        outcome: "ERROR",
        error: "store_failed",
        message:
          "The agent's store (AGENT_STORE) failed: ENOENT: cannot make the folder /proc/agent-store: /proc exists but takes no new folders. Nothing was ordered in this run.",
        fix: "Check that /proc/agent-store is a writable directory with free space, or set AGENT_STORE to one.",
      });
    },
  );

  it("refuses a block-mode run under the id of a thread in the store, as an interrupt-mode one", async () => {
    // The shop is stopped: the interrupt-mode run records its thread and fails at the catalog.
    const first = await run(
      `pnpm agent --json --mode interrupt --thread twice "buy a USB-C cable"`,
    );
    expect(JSON.parse(first.stdout)).toMatchObject({
      threadId: "twice",
      error: "catalog_unavailable",
    });

    const { code, stdout } = await run(`pnpm agent --json --thread twice "buy a USB-C cable"`);

    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({
      outcome: "CONFIG_ERROR",
      error: "usage",
      threadId: "twice",
      message: "Thread twice already exists: resume it, or choose another id.",
      fix: "Run pnpm agent resume twice, or give --thread another id.",
      purchases: [],
    });
  });

  it("exits with the outcome's code when it asks a question", async () => {
    const { code, stdout } = await run(`pnpm agent "Buy a phone"`);

    expect(code).toBe(8);
    expect(stdout).toContain('Which do you mean by "phone": XYZ phone or XYZ phone case?');
  });
});

describe("the built launcher (build/agent.cjs)", () => {
  it("is a CommonJS file: Node starts it without setting up its ES-module loader", async () => {
    // A preload that reports, as the process exits, the ES-module loader's parts Node loaded.
    const preload = path.join(store, "esm-parts.cjs");
    await writeFile(
      preload,
      `process.on("exit", () => process.stderr.write("esm-parts " + JSON.stringify(process.moduleLoadList.filter((m) => m.includes("/esm/")))));`,
    );
    const { code, stdout, stderr } = await run(`node -r ${preload} build/agent.cjs --help`);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: agent");
    const parts = JSON.parse(/esm-parts (.*)$/m.exec(stderr)?.[1] ?? "null") as string[] | null;
    expect(parts).not.toBeNull();
    // What an ES-module entry needs (resolving, loading and linking modules) is never loaded.
    for (const part of ["module_job", "module_map", "resolve", "translators"]) {
      expect(parts, part).not.toContain(`NativeModule internal/modules/esm/${part}`);
    }
  });
});

describe("the built CLI (build/agent-cli.cjs) and web app (build/agent-serve.cjs)", () => {
  it.each(["agent-cli.cjs", "agent-serve.cjs"])(
    "%s is ASCII, and written as the function Node makes of a CommonJS file: a run compiles it as it reads it",
    async (file) => {
      const bytes = await readFile(path.join(ROOT, "build", file));
      expect(
        isAscii(bytes),
        "a character beyond ASCII in the bundle makes every run decode it as UTF-8 (runWithCodeCache)",
      ).toBe(true);
      expect(bytes.subarray(0, 100).toString()).toMatch(
        /^\(function \(exports, require, module, __filename, __dirname\) \{/,
      );
    },
  );

  it("leaves the web app out of the CLI's file: a purchase never reads Express or the login middleware", async () => {
    const [cli, web] = await Promise.all(
      ["agent-cli.cjs", "agent-serve.cjs"].map((file) =>
        readFile(path.join(ROOT, "build", file), "latin1"),
      ),
    );
    for (const name of ["express-openid-connect", "node_modules/.pnpm/express@", "iconv-lite"]) {
      expect(cli, name).not.toContain(name);
      expect(web, name).toContain(name);
    }
  });
});
