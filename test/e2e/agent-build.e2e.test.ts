import { execFileSync, spawnSync } from "node:child_process";
import { appendFile, cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The workspace packages' folders, each with a node_modules of links pnpm made. */
const PACKAGES = [
  "apps/agent",
  "apps/mock-auth0",
  "apps/model-server",
  "apps/shop-api",
  "packages/shared",
  "packages/testkit",
  "scripts/stack",
];

/**
 * A copy of the checkout, its sources to break as a developer does: the tracked files, each
 * package's links, and the installed packages through a link to the checkout's.
 */
async function copyCheckout(): Promise<string> {
  const copy = await makeScratchFolder("ciba-agent-build-");
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8" })
    .split("\0")
    .filter((file) => file !== "");
  for (const file of files) {
    await mkdir(path.dirname(path.join(copy, file)), { recursive: true });
    await cp(path.join(REPO_ROOT, file), path.join(copy, file), { verbatimSymlinks: true });
  }
  for (const folder of PACKAGES) {
    await cp(
      path.join(REPO_ROOT, folder, "node_modules"),
      path.join(copy, folder, "node_modules"),
      {
        recursive: true,
        verbatimSymlinks: true,
      },
    );
  }
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
  return copy;
}

/** `pnpm agent <args>` in `checkout`, as its bin runs it. */
function agent(checkout: string, args: string[]) {
  const run = spawnSync(
    process.execPath,
    [path.join(checkout, "apps/agent/bin/agent.js"), ...args],
    {
      cwd: checkout,
      env: { ...process.env, AGENT_STORE: path.join(checkout, ".agent-store") },
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A line of a Node stack trace. */
const STACK_LINE = /^\s+at /m;

describe("pnpm agent, with a workspace source that does not compile", () => {
  let checkout = "";
  beforeAll(async () => {
    checkout = await copyCheckout();
    execFileSync(process.execPath, [path.join(checkout, "scripts/build.js")], {
      cwd: checkout,
      stdio: "ignore",
    });
  }, 240_000);
  afterAll(async () => {
    if (checkout !== "") await rm(checkout, { recursive: true, force: true });
  });

  it(
    "runs when the broken code is another entry's (the shop's), and when its own is broken says so in a few lines, exit 1, with --json one report on stdout",
    { timeout: 240_000 },
    async () => {
      // The shop's code: no concern of the agent's, which runs as built.
      await appendFile(path.join(checkout, "apps/shop-api/src/app.ts"), "\nconst = ;\n");
      const help = agent(checkout, ["--help"]);
      expect(help.stderr).toBe("");
      expect(help.stdout).toMatch(/^Usage: agent /);
      expect(help.status).toBe(0);
      const empty = agent(checkout, ["--json", ""]);
      expect(empty.status).toBe(2);
      expect(JSON.parse(empty.stdout)).toMatchObject({ outcome: "CONFIG_ERROR", error: "usage" });

      // The chat page's script: the web app's to bundle at the page's request, not the CLI's.
      const page = "apps/agent/src/web/client/chat.ts";
      await appendFile(path.join(checkout, page), "\nexport const broken: number = ;\n");
      const withoutPage = agent(checkout, ["--help"]);
      expect(withoutPage.stdout).toMatch(/^Usage: agent /);
      expect(withoutPage.status).toBe(0);
      expect(withoutPage.stderr).toContain(`${page}:`);
      expect(withoutPage.stderr).toContain("The chat page's script does not compile");
      expect(withoutPage.stderr).not.toMatch(STACK_LINE);
      const usage = agent(checkout, ["--json", ""]);
      expect(JSON.parse(usage.stdout)).toMatchObject({ outcome: "CONFIG_ERROR", error: "usage" });

      // Its own code, changed and broken: esbuild's error, what to do, and no Node stack; its
      // own error named first, beside the page's.
      const own = "apps/agent/src/redis-url.ts";
      await appendFile(path.join(checkout, own), "\nconst = ;\n");
      const text = agent(checkout, ["Buy 1 XYZ phone"]);
      expect(text.status).toBe(1);
      expect(text.stdout).toBe("");
      expect(text.stderr).toContain(`${own}:`);
      expect(text.stderr).toContain(`The agent's code does not compile (${own}:`);
      expect(text.stderr).toMatch(
        /\nFix: Correct the error esbuild shows[^\n]*\nOutcome: ERROR \(exit 1\)\n$/,
      );
      expect(text.stderr).not.toMatch(STACK_LINE);

      const json = agent(checkout, ["--json", "Buy 1 XYZ phone"]);
      expect(json.status).toBe(1);
      expect(json.stderr).not.toMatch(STACK_LINE);
      const [document, ...more] = json.stdout.trimEnd().split("\n");
      expect(more).toEqual([]);
      expect(JSON.parse(document ?? "")).toMatchObject({
        outcome: "ERROR",
        exitCode: 1,
        error: "build_failed",
        fix: expect.stringContaining("Correct the error"),
      });

      // Fixed again: it builds its own files and runs.
      for (const file of [own, page]) {
        await writeFile(
          path.join(checkout, file),
          await readFile(path.join(REPO_ROOT, file), "utf8"),
        );
      }
      const again = agent(checkout, ["--help"]);
      expect(again.stdout).toMatch(/^Usage: agent /);
      expect(again.status).toBe(0);
    },
  );
});

describe("pnpm agent, with no build of its checkout and the chat page's script broken", () => {
  it(
    "builds the rest and runs, naming the page's error once, while a full build still fails on it",
    { timeout: 300_000 },
    async () => {
      // A fresh clone, as one built at another path: build/ holds nothing of this checkout.
      const checkout = await copyCheckout();
      try {
        const page = "apps/agent/src/web/client/chat.ts";
        await appendFile(path.join(checkout, page), "\nexport const broken: number = ;\n");
        const first = agent(checkout, ["--help"]);
        expect(first.stdout).toMatch(/^Usage: agent /);
        expect(first.status).toBe(0);
        expect(first.stderr).toContain(`${page}:`);
        expect(first.stderr).toContain("The chat page's script does not compile");
        expect(first.stderr).not.toContain("The agent's code does not compile");
        expect(first.stderr).not.toMatch(STACK_LINE);
        // Built: the next run builds nothing and says nothing.
        const next = agent(checkout, ["--json", ""]);
        expect(next.stderr).toBe("");
        expect(JSON.parse(next.stdout)).toMatchObject({ outcome: "CONFIG_ERROR", error: "usage" });
        // pnpm build (and pnpm test) still build the page's script, and fail on it.
        const full = spawnSync(process.execPath, [path.join(checkout, "scripts/build.js")], {
          cwd: checkout,
          encoding: "utf8",
          timeout: 240_000,
        });
        expect(full.status).toBe(1);
        expect(full.stderr).toContain(`${page}:`);
      } finally {
        await rm(checkout, { recursive: true, force: true });
      }
    },
  );
});
