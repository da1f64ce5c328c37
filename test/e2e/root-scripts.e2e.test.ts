import { execFile, spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { makeScratchFolder, processExists } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

import { loadScaled } from "../support/load-scaled.js";
import { readmeBlockUnder } from "../support/readme-example.js";

import { VARIABLES as MOCK_AUTH0_VARIABLES } from "../../apps/mock-auth0/src/config.js";
import { VARIABLES as SHOP_API_VARIABLES } from "../../apps/shop-api/src/config.js";

const exec = promisify(execFile);

/** `pnpm <args>` as a person types it in `cwd`: its exit code and output. */
async function pnpm(args: string[], cwd: string, env: Record<string, string> = {}) {
  const clean = { ...process.env, ...env };
  // The scripts find the local CA themselves; the shell's bundle would slow every start.
  delete clean.NODE_EXTRA_CA_CERTS;
  try {
    const { stdout, stderr } = await exec("pnpm", ["--silent", ...args], {
      cwd,
      env: clean,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * `pnpm <args>` in its own process group, as a terminal's foreground job, once the server it
 * runs printed its ready record: that record, pnpm's exit code to come, and all it printed.
 */
async function startThroughPnpm(args: string[], extra: Record<string, string> = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn("pnpm", args, {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ready = await new Promise<{ pid: number } & Record<string, unknown>>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n").find((text) => text.startsWith('{"ready":true'));
      if (line !== undefined) resolve(JSON.parse(line) as { pid: number });
    });
    void exited.then(() => {
      reject(new Error(`pnpm exited first:\n${output}`));
    });
  });
  return { child, ready, exited, output: () => output };
}

// The README's one-service scripts, as a person runs them: the servers' own options, and paths
// relative to the folder the command was typed in, not to the repository.
describe("pnpm mock-auth0, pnpm shop-api and pnpm model-server", () => {
  it("answer --help with their usage and refuse an unknown option, starting nothing", async () => {
    const help = await pnpm(["mock-auth0", "--help"], REPO_ROOT);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mock-auth0 \[--port <port>\] \[--ready-file <file>\]/);
    // Every variable its configuration reads (its schema has exactly these).
    for (const name of Object.keys(MOCK_AUTH0_VARIABLES))
      expect(help.stdout).toContain(`  ${name} `);
    const typo = await pnpm(["model-server", "--prot", "4031"], REPO_ROOT);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("--prot");
    // A ready file in no folder is refused before the server starts: it started, then failed
    // naming the temporary file it writes first ("x.json.16479.tmp").
    const folder = path.join(REPO_ROOT, "no-such-folder");
    const ready = await pnpm(
      ["model-server", "--port", "0", "--ready-file", "no-such-folder/ready.json"],
      REPO_ROOT,
    );
    expect(ready.code).toBe(2);
    expect(ready.stderr).toBe(
      `--ready-file no-such-folder/ready.json: the folder ${folder} does not exist; make it first, or name a file in a folder that does\n`,
    );
  });

  it("pnpm dev and pnpm demo answer --help with their usage and refuse any argument, starting nothing", async () => {
    // Ports nothing else here uses: a stack started by mistake would be found on them.
    const ports = { MOCK_AUTH0_PORT: "4711", SHOP_API_PORT: "4712", AGENT_PORT: "4713" };
    for (const script of ["dev", "demo"]) {
      const help = await pnpm([script, "--help"], REPO_ROOT, ports);
      expect([help.code, help.stderr]).toEqual([0, ""]);
      expect(help.stdout).toMatch(new RegExp(`^Usage: pnpm ${script} \\[--help\\]\n`));
      const wrong = await pnpm([script, "--port", "5000"], REPO_ROOT, ports);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(new RegExp(`^pnpm ${script}: Unknown option '--port'`));
      expect(wrong.stdout).toBe("");
    }
  });

  it("run from a package's folder with pnpm -w, as the README says, where pnpm dev alone finds no script", async () => {
    const agentFolder = path.join(REPO_ROOT, "apps/agent");
    // pnpm's own words, which --silent leaves out.
    const alone = await exec("pnpm", ["dev", "--help"], { cwd: agentFolder }).then(
      () => ({ code: 0, stdout: "" }),
      (error: unknown) => error as { code: number; stdout: string },
    );
    expect(alone.code).not.toBe(0);
    expect(alone.stdout).toContain('Command "dev" not found');
    const root = await pnpm(["-w", "dev", "--help"], agentFolder);
    expect([root.code, root.stderr]).toEqual([0, ""]);
    expect(root.stdout).toMatch(/^Usage: pnpm dev \[--help\]\n/);
    // The README's words for it.
    const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain('answers `Command "dev" not found`; there, `pnpm -w dev`');
  });

  it("run the shop's bin: its usage with --reset, and --port sets SHOP_API_PORT", async () => {
    const help = await pnpm(["shop-api", "--help"], REPO_ROOT);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^Usage: shop-api \[--port <port>\] \[--ready-file <file>\] \[--exit-with-stdin\] \[--reset\]/,
    );
    for (const name of [...Object.keys(SHOP_API_VARIABLES), "MOCK_AUTH0_CERT_DIR"]) {
      expect(help.stdout).toContain(`  ${name} `);
    }
    // Refused before any server code loads or a tenant is needed, naming the option typed (the
    // configuration named SHOP_API_PORT, which the person had not set).
    const port = await pnpm(["shop-api", "--port", "not-a-port", "--reset"], REPO_ROOT);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe(
      '--port must be a port number from 0 to 65535 (got "not-a-port"); 0 takes any free port\n',
    );
  });

  it("stop on Ctrl-C as a clean stop: pnpm exits 0 and says nothing of a failure; the tenant's ready record is the README's", async () => {
    // Without --silent, as a person types it: pnpm's own lines are the point.
    const server = await startThroughPnpm(["mock-auth0", "--port", "0"]);
    // The README's sample, for this run's pid, port and checkout.
    const sample = readmeBlockUnder(
      "apps/mock-auth0/README.md",
      "## Start-up and the ready record",
      "json",
    );
    const { pid, port } = server.ready as { pid: number; port: number };
    const shown = JSON.stringify(server.ready)
      .replaceAll(`:${String(port)}/`, ":4010/")
      .replace(`"port":${String(port)}`, '"port":4010')
      .replace(`"pid":${String(pid)}`, '"pid":4242')
      .replace(JSON.stringify(REPO_ROOT.replace(/\/$/, "")).slice(1, -1), "/path/to/repo");
    expect(shown).toBe(JSON.stringify(JSON.parse(sample)));
    // What a terminal does: SIGINT to the whole foreground job, pnpm and the server alike.
    process.kill(-server.child.pid!, "SIGINT");
    expect(await server.exited, server.output()).toBe(0);
    expect(server.output()).toContain("mock-auth0 stopping");
    // A shell between pnpm and the script, killed by the same Ctrl-C, made pnpm print
    // "ELIFECYCLE Command failed." and exit 130 whatever the server's own code.
    expect(server.output()).not.toContain("ELIFECYCLE");
  });

  it.each([
    ["SIGINT", "the whole foreground job, as Ctrl-C"],
    ["SIGTERM", "pnpm alone, as a kill of its pid"],
  ] as const)(
    "stop the agent's web app (pnpm agent-web) on %s to %s as a clean stop: pnpm exits 0, as for the other servers",
    async (signal, to) => {
      const server = await startThroughPnpm(["agent-web"], {
        AGENT_PORT: "0",
        APP_BASE_URL: "http://localhost:3000",
      });
      expect(server.ready).toMatchObject({ service: "agent-web" });
      process.kill(to.startsWith("pnpm") ? server.child.pid! : -server.child.pid!, signal);
      // pnpm agent serve (pnpm exec) ended with the signal's code, 130 or 143, here.
      expect(await server.exited, server.output()).toBe(0);
      expect(server.output()).not.toContain("ELIFECYCLE");
      expect(processExists(server.ready.pid)).toBe(false);
    },
  );

  // The shop takes its signals before it listens (serve.ts); it also needs a tenant to start.
  const agentWeb = { AGENT_PORT: "0", APP_BASE_URL: "http://localhost:3000" };
  it.each([
    ["the agent's web app", "SIGHUP", ["build/agent.cjs", "serve"], agentWeb],
    ["the agent's web app", "SIGTERM", ["build/agent.cjs", "serve"], agentWeb],
    ["mock-auth0", "SIGTERM", ["build/mock-auth0-bin.js", "--port", "0"], {}],
    ["the model server", "SIGTERM", ["build/model-server-bin.js", "--port", "0"], {}],
  ] as const)(
    "stop %s on a %s sent the moment its ready record is read, as a supervisor does: exit 0, where Node's default for a signal no listener took yet ended it with 128 + the signal",
    async (_name, signal, args, settings) => {
      const certDir = await makeScratchFolder("ciba-ready-signal-");
      const env: Record<string, string | undefined> = {
        ...process.env,
        MOCK_AUTH0_CERT_DIR: certDir,
        ...settings,
      };
      delete env.NODE_EXTRA_CA_CERTS;
      const child = spawn("node", args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.once("exit", (code, killedBy) => {
          resolve([code, killedBy]);
        }),
      );
      let output = "";
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        // At once, in the same turn that read it: the window a listener taken after it left.
        if (output.includes('{"ready":true') && child.exitCode === null) child.kill(signal);
      });
      try {
        expect(await exited, output).toEqual([0, null]);
      } finally {
        rmSync(certDir, { recursive: true, force: true });
      }
    },
  );

  it(
    "stop once the pnpm that runs them is gone: a kill -9 of pnpm left the server on its port",
    async () => {
      const server = await startThroughPnpm(["--silent", "model-server", "--port", "0"]);
      try {
        expect(server.ready.pid).not.toBe(server.child.pid);
        // pnpm alone, as `kill -9 <pid>` (an IDE's hard stop) does: its script's process is left
        // with no parent. (A `kill <pid>` pnpm passes on to the script.)
        process.kill(server.child.pid!, "SIGKILL");
        const deadline = Date.now() + loadScaled(20_000);
        while (processExists(server.ready.pid) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(processExists(server.ready.pid), server.output()).toBe(false);
        expect(server.output()).toContain("pnpm model-server: pnpm (pid ");
        expect(server.output()).toContain(") is gone; stopping");
      } finally {
        if (processExists(server.ready.pid)) process.kill(server.ready.pid, "SIGKILL");
      }
      // Its start and the 20 s it is given to stop, both stretched by the machine's load.
    },
    loadScaled(60_000),
  );

  it("read a relative MOCK_AUTH0_TENANT from the folder the command was typed in", async () => {
    const apps = path.join(REPO_ROOT, "apps");
    const run = await pnpm(["mock-auth0"], apps, {
      MOCK_AUTH0_TENANT: "no-such-tenant.yaml",
      MOCK_AUTH0_PORT: "0",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`open '${path.join(apps, "no-such-tenant.yaml")}'`);
  });
});
