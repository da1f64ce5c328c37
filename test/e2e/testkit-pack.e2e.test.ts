/**
 * The testbed as another project uses it: the publishable packages packed with `pnpm pack`,
 * installed with plain npm into an empty folder outside the workspace, and a quickstart-style
 * agent (plain Node ESM, `@ai-sdk/openai` through OPENAI_BASE_URL) tested there with the
 * testkit: approve, deny, expiry, no answer, and an interrupted purchase finished by a second
 * process from the SDK's own store, then resumed again, buying nothing more. Nothing from the
 * repository runs there but the tarballs.
 *
 * The npm install is reused between runs when it would install exactly the same: an archive of
 * the installed folder, in node_modules/.cache/testkit-pack/, keyed by the content of every
 * file in the tarballs, the pinned registry versions, npm's flags, version and configuration,
 * and Node's version (test/support/reused-npm-install.ts). A package changed in any way is
 * installed fresh; the first test checks that every installed package is file for file the
 * tarball packed in this run, and that the registry packages are the pinned versions, so a
 * reused install that were stale would fail here, not pass. Delete the folder to install anew.
 */
import { execFile, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import path from "node:path";
import { promisify } from "node:util";

import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { readyRecord } from "../support/ready-file.js";
import { readmeExample } from "../support/readme-example.js";
import { installedPackage, npmInstall, type PackedPackage } from "../support/reused-npm-install.js";

const exec = promisify(execFile);

/** The packages a team installs, as published. */
const PACKAGES = ["apps/mock-auth0", "apps/shop-api", "apps/model-server", "packages/testkit"];

/** The quickstart's own dependencies, at the versions this repository pins for its agent. */
const QUICKSTART_DEPENDENCIES = ["ai", "@ai-sdk/openai", "@auth0/ai", "@auth0/ai-vercel", "zod"];

/** The team's test of the quickstart agent, beside the agent the installed testkit ships. */
const FIXTURE = path.join(REPO_ROOT, "test/fixtures/quickstart-agent");

/** What this file keeps between runs: the npm install's archives, tsc's record. */
const CACHE_DIR = path.join(REPO_ROOT, "node_modules/.cache/testkit-pack");

/**
 * tsc's incremental record for the consumer projects of the types test, kept between runs: the
 * agent's folder is new each run, so the testkit's declarations and the two consumer files are
 * checked in full every time; only the checking of @types/node (the bulk of the work, and
 * nothing this repository ships) is reused while those files are unchanged.
 */
const TYPES_BUILD_INFO = path.join(CACHE_DIR, "consumer-types.tsbuildinfo");

let packDir: string;
let appDir: string;
/** The packages packed in this run, file by file. */
let packed: PackedPackage[];

function agentVersions(): string[] {
  const manifest = JSON.parse(
    readFileSync(path.join(REPO_ROOT, "apps/agent/package.json"), "utf8"),
  ) as { dependencies: Record<string, string> };
  return QUICKSTART_DEPENDENCIES.map((name) => `${name}@${manifest.dependencies[name] ?? "?"}`);
}

/**
 * Starts the installed bin `name` with `--port 0 --ready-file`, runs `use` with its ready
 * record once it is written, then stops it.
 */
async function withReadyBin(
  name: string,
  use: (ready: Record<string, unknown>, pid: number | undefined) => unknown,
): Promise<void> {
  const readyFile = path.join(appDir, `${name}.ready.json`);
  rmSync(readyFile, { force: true });
  const child = execFile(
    process.execPath,
    [`node_modules/.bin/${name}`, "--port", "0", "--ready-file", readyFile],
    { cwd: appDir, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "silent" } },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await use(await readyRecord(child, readyFile, { name, within: 20_000 }), child.pid);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

/** Whether something accepts a TCP connection at the URL's host and port. */
function answers(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

/** Runs `node <args>` in the agent's folder with only PATH from this environment. */
async function node(args: string[], env: Record<string, string> = {}) {
  return exec(process.execPath, args, {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
}

beforeAll(async () => {
  // RAM-backed where there is room (makeScratchFolder): npm writes about 11,000 files there and the
  // folders are removed afterwards; on the disk's file system that costs three times the kernel
  // time (about 3 s of CPU).
  [packDir, appDir] = await Promise.all([
    makeScratchFolder("ciba-testbed-tarballs-"),
    makeScratchFolder("ciba-quickstart-agent-"),
  ]);
  // `prepack` builds each package's dist/ first. One recursive `pnpm pack` packs the same
  // tarballs as one `pnpm pack` in each package's folder, with one pnpm start instead of four.
  await exec(
    "pnpm",
    [
      "--recursive",
      ...PACKAGES.flatMap((dir) => ["--filter", `./${dir}`]),
      "pack",
      "--pack-destination",
      packDir,
    ],
    { cwd: REPO_ROOT },
  );
  const tarballs = readdirSync(packDir).map((file) => path.join(packDir, file));
  if (tarballs.length !== PACKAGES.length) {
    throw new Error(`pnpm pack made ${tarballs.length} tarballs, not ${PACKAGES.length}`);
  }
  writeFileSync(
    path.join(appDir, "package.json"),
    JSON.stringify({ name: "quickstart-agent", private: true, type: "module" }),
  );
  packed = await npmInstall({
    dir: appDir,
    tarballs,
    registry: agentVersions(),
    flags: ["--prefer-offline", "--no-audit", "--no-fund"],
    env: { ...process.env, npm_config_loglevel: "error" },
    cacheDir: CACHE_DIR,
  });
  // The agent as the README tells a team to copy it: from the installed testkit's examples.
  const shipped = path.join(appDir, "node_modules/@ciba-testbed/testkit/examples/quickstart-agent");
  for (const folder of [shipped, FIXTURE])
    for (const file of readdirSync(folder))
      cpSync(path.join(folder, file), path.join(appDir, file));
}, 600_000);

afterAll(() => {
  for (const dir of [packDir, appDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the packed packages, installed with npm outside the workspace", () => {
  it("are the tarballs packed in this run, file for file, beside the pinned registry versions", () => {
    expect(packed.map(({ name }) => name).sort()).toEqual(
      PACKAGES.map((dir) => `@ciba-testbed/${path.basename(dir)}`).sort(),
    );
    for (const { name, files } of packed) {
      expect(installedPackage(path.join(appDir, "node_modules", name)), name).toEqual(files);
    }
    const installed = QUICKSTART_DEPENDENCIES.map((name) => {
      const manifest = path.join(appDir, "node_modules", name, "package.json");
      return `${name}@${(JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version}`;
    });
    expect(installed).toEqual(agentVersions());
  });

  it("hold compiled JavaScript and types only, and bring no tsx", () => {
    const installed = (name: string) => path.join(appDir, "node_modules/@ciba-testbed", name);
    for (const name of ["mock-auth0", "shop-api", "model-server"]) {
      const manifest = JSON.parse(readFileSync(path.join(installed(name), "package.json"), "utf8"));
      expect(manifest.bin).toEqual({ [name]: "./dist/bin.js" });
      expect(existsSync(path.join(installed(name), "src"))).toBe(false);
    }
    for (const file of ["index.js", "index.cjs", "index.d.ts", "index.d.cts"]) {
      expect(existsSync(path.join(installed("testkit"), "dist", file)), file).toBe(true);
    }
    // Strict, as the ES build is: a "use strict" after the banner's statement counts for nothing.
    const cjs = readFileSync(path.join(installed("testkit"), "dist", "index.cjs"), "utf8");
    expect(cjs.startsWith('"use strict";\n')).toBe(true);
    expect(existsSync(path.join(appDir, "node_modules/tsx"))).toBe(false);
    expect(existsSync(path.join(appDir, "node_modules/@ciba-testbed/shared"))).toBe(false);
  });

  it.each(["mock-auth0", "shop-api", "model-server"])(
    "%s: its bin answers --help",
    async (name) => {
      const { stdout } = await node([`node_modules/.bin/${name}`, "--help"]);
      expect(stdout.split("\n")[0]).toMatch(`Usage: ${name} [--port <port>] [--ready-file <file>]`);
    },
  );

  it("the installed testkit's ensureTestbedCa makes the tenant's CA with the installed bin (--make-ca), and finds it again", async () => {
    writeFileSync(
      path.join(appDir, "make-ca.js"),
      `import { ensureTestbedCa } from "@ciba-testbed/testkit";

const certDir = "packed-certs";
console.log(JSON.stringify([await ensureTestbedCa({ certDir }), await ensureTestbedCa({ certDir })]));
`,
    );
    const { stdout } = await node(["make-ca.js"]);
    const caCertPath = path.join(appDir, "packed-certs", "ca.pem");
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual([
      { caCertPath, created: true, nodeExtraCaCerts: caCertPath },
      { caCertPath, created: false, nodeExtraCaCerts: caCertPath },
    ]);
    expect(readFileSync(caCertPath, "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    // The README's way before `node --test`, which has no global setup: the bin itself.
    const bin = await node(["node_modules/.bin/mock-auth0", "--make-ca"], {
      MOCK_AUTH0_CERT_DIR: "packed-certs",
    });
    expect(JSON.parse(bin.stdout)).toEqual({ caCertPath, created: false });
  });

  it("model-server: its bin writes the ready record to --ready-file", async () => {
    await withReadyBin("model-server", async (ready, pid) => {
      expect(ready).toMatchObject({ ready: true, service: "model-server", pid });
      const models = await fetch(`${ready.baseURL as string}/models`, {
        headers: { authorization: "Bearer test" },
      });
      expect(models.status).toBe(200);
    });
  });

  it("mock-auth0: carries the pinned Deploy CLI's schema, so no tenant of a fresh install loads the Deploy CLI to get it", async () => {
    const installed = path.join(appDir, "node_modules/@ciba-testbed/mock-auth0");
    const deployCli = createRequire(path.join(installed, "package.json")).resolve(
      "auth0-deploy-cli/package.json",
    );
    const { version } = JSON.parse(readFileSync(deployCli, "utf8")) as { version: string };
    const dist = path.join(installed, "dist/apps/mock-auth0");
    expect(existsSync(path.join(dist, "deploy-cli-schema", version, "index.json"))).toBe(true);

    // Its reference tenant, validated against that schema at start.
    await withReadyBin("mock-auth0", (ready) => {
      expect(ready).toMatchObject({ ready: true, service: "mock-auth0" });
    });
    // Loading the Deploy CLI's schema module would have written it to its cache here.
    expect(existsSync(path.join(dist, "node_modules/.cache/deploy-cli-schema"))).toBe(false);
  });

  it("shop-api: starts a new database from the empty cluster it carries, not initdb, with nothing to migrate", async () => {
    const installed = path.join(appDir, "node_modules/@ciba-testbed/shop-api");
    writeFileSync(
      path.join(appDir, "new-shop-database.js"),
      `import { mkdtempSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { startTestbed } from "@ciba-testbed/testkit";

const logs = new PassThrough();
let text = "";
logs.on("data", (chunk) => (text += chunk));
// In the project's own folder, which the test removes afterwards.
const database = path.join(mkdtempSync("new-shop-"), "db");
const testbed = await startTestbed({ logLevel: "info", logs, shop: { database } });
const orders = await testbed.shop.orders();
await testbed.stop();
const ready = text.split("\\n").find((line) => line.includes('"database ready"'));
console.log(JSON.stringify({ orders, ready: JSON.parse(ready.slice(ready.indexOf("{"))) }));
`,
    );
    const { stdout } = await node(["new-shop-database.js"]);
    const { orders, ready } = JSON.parse(stdout.trim().split("\n").at(-1)!);
    // npm puts the shop's PGlite at the top of node_modules: nothing else asks for another.
    const { version } = JSON.parse(
      readFileSync(path.join(appDir, "node_modules/@electric-sql/pglite/package.json"), "utf8"),
    ) as { version: string };
    expect(ready).toMatchObject({
      kind: "embedded",
      createdFrom: path.join(
        installed,
        "dist/apps/shop-api/empty-cluster",
        `pglite-${version}.tar.gz`,
      ),
      // The cluster holds the shop's schema: the migrations ran when the package was built.
      migrated: [],
    });
    expect(orders).toEqual([]);
    // The tenant's CA and keys are kept outside node_modules (read-only for some, cached by CI).
    expect(existsSync(path.join(appDir, "node_modules/@ciba-testbed/mock-auth0/dist/.certs"))).toBe(
      false,
    );
  });

  it("the quickstart agent, tested with the testkit: approve, deny, expiry, no answer, interrupt and resumed again", async () => {
    const { stdout } = await node(["scenarios.js"]);
    const run = JSON.parse(stdout.trim().split("\n").at(-1)!);

    // Approved: the tool's POST to SHOP_API_URL placed the order with the approval's token.
    expect(run.approved.input).toEqual({ product: "XYZ phone", qty: 2 });
    expect(run.approved.output, JSON.stringify(run.approved)).toMatchObject({
      status: 201,
      order: { qty: 2, status: "confirmed" },
    });
    // Denied, expired (Auth0 answers both with access_denied), and never answered.
    expect(run.denied.output, JSON.stringify(run.denied)).toMatchObject({
      unauthorized: "ASYNC_AUTHORIZATION_ACCESS_DENIED",
    });
    expect(run.expired.output, JSON.stringify(run.expired)).toMatchObject({
      unauthorized: "ASYNC_AUTHORIZATION_ACCESS_DENIED",
    });
    expect(run.timedOut.output, JSON.stringify(run.timedOut)).toMatchObject({
      unauthorized: "ASYNC_AUTHORIZATION_AUTHORIZATION_REQUEST_EXPIRED",
    });
    // Interrupt mode: the first process stops at the pending approval; the second finishes it.
    expect(run.interrupted.error, JSON.stringify(run.interrupted)).toBe(
      "ASYNC_AUTHORIZATION_AUTHORIZATION_PENDING",
    );
    expect(run.interrupted.input).toEqual({ product: "XYZ phone", qty: 3, priceLimit: 5000 });
    expect(run.resumed.output, JSON.stringify(run.resumed)).toMatchObject({
      status: 201,
      order: { qty: 3 },
    });
    // Resumed twice more: the store kept no token to buy with, and kept the used request, which
    // the tenant answers invalid_grant; no new request to the person (the tenant's list below).
    for (const again of run.resumedAgain) {
      expect(again.output, JSON.stringify(again)).toMatchObject({
        unauthorized: "ASYNC_AUTHORIZATION_INVALID_GRANT",
      });
    }
    expect(run.resumedAgain).toHaveLength(2);
    // The file the two processes shared: its owner's alone, and no token in it.
    expect(run.store.mode.toString(8)).toBe("600");
    expect(run.store.text).not.toMatch(/accessToken|idToken|Credentials|eyJ/);
    expect(run.store.text).toMatch(/AuthResponses/);

    // The shop's witness: exactly the two approved purchases, for the logged-in person, each
    // with the authorization_details the person approved (the purchase's product, quantity and
    // purchase_id, the order's Idempotency-Key).
    expect(run.orders.map((o: { qty: number }) => o.qty).sort()).toEqual([2, 3]);
    for (const order of run.orders) {
      expect(order.authorization).toMatchObject({
        sub: "auth0|testbed-user",
        authorization_details_matched: true,
      });
    }
    // The tenant's witness: one consent request per purchase, none sent twice.
    const statuses = Object.fromEntries(
      run.requests.map((r: { binding_message: string; status: string }) => [
        r.binding_message,
        r.status,
      ]),
    );
    expect(statuses).toEqual({
      "Do you want to buy 2 XYZ phone": "consumed",
      "Do you want to buy 1 XYZ phone": "denied",
      "Do you want to buy 5 XYZ phone": "expired",
      "Do you want to buy 4 XYZ phone": "expired",
      "Do you want to buy 3 XYZ phone": "consumed",
    });
    expect(run.requests).toHaveLength(5);
    expect(run.startMs).toBeGreaterThan(0);
  });

  it("stops its servers when the process that started the testbed is killed with SIGKILL", async () => {
    writeFileSync(
      path.join(appDir, "killed-parent.js"),
      `import { startTestbed } from "@ciba-testbed/testkit";
const testbed = await startTestbed({ modelServer: true });
console.log(JSON.stringify([testbed.issuer, testbed.shopApiUrl, testbed.openaiBaseUrl]));
setInterval(() => {}, 60_000);
`,
    );
    const parent = spawn(process.execPath, ["killed-parent.js"], {
      cwd: appDir,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let printed = "";
    for await (const chunk of parent.stdout) {
      printed += String(chunk);
      if (printed.includes("\n")) break;
    }
    const urls = (JSON.parse(printed) as string[]).map((url) => new URL(url));
    expect(urls).toHaveLength(3);
    await expect(Promise.all(urls.map(answers))).resolves.toEqual([true, true, true]);

    // No exit hook runs on SIGKILL: the servers see their stdin's pipe close and stop.
    parent.kill("SIGKILL");
    const deadline = Date.now() + 20_000;
    let up = urls.length;
    while (up > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      up = (await Promise.all(urls.map(answers))).filter(Boolean).length;
    }
    expect(up, "servers still listening 20 s after their parent was killed").toBe(0);
  });

  it("works from CommonJS and node:test too", async () => {
    writeFileSync(
      path.join(appDir, "commonjs.test.cjs"),
      `const { test } = require("node:test");
const assert = require("node:assert");
const { startTestbed } = require("@ciba-testbed/testkit");
test("a testbed from require()", async () => {
  const testbed = await startTestbed();
  try {
    assert.match(testbed.issuer, /^https:\\/\\/localhost:\\d+\\/$/);
    assert.deepStrictEqual(await testbed.approver.requests(), []);
    assert.deepStrictEqual(await testbed.shop.orders(), []);
  } finally {
    await testbed.stop();
  }
});
`,
    );
    const { stdout } = await node(["--test", "commonjs.test.cjs"]);
    expect(stdout).toMatch(/# pass 1\b/);
  });

  it("ships types that ESM and CommonJS projects both compile against", async () => {
    const use = `const testbed = await startTestbed({ approver: "approve", rateLimits: { perUserRequestsPerMinute: null } });
const request: ConsentRequest = await testbed.approver.waitForRequest({ user: testbed.user });
const orders: ShopOrder[] = await testbed.shop.orders();
const env: Record<string, string> = testbed.env();
void request; void orders; void env;
`;
    writeFileSync(
      path.join(appDir, "types.mts"),
      `import { startTestbed, type ConsentRequest, type ShopOrder } from "@ciba-testbed/testkit";\n${use}`,
    );
    writeFileSync(
      path.join(appDir, "types.cts"),
      `import { startTestbed, type ConsentRequest, type ShopOrder } from "@ciba-testbed/testkit";\nasync function main() {\n${use}}\nvoid main;\n`,
    );
    await exec(
      path.join(REPO_ROOT, "node_modules/.bin/tsc"),
      [
        "--noEmit",
        // TypeScript's own lib.*.d.ts come with tsc and are left unchecked; the testkit's
        // declarations and @types/node, which they use, are checked.
        "--skipDefaultLibCheck",
        "--incremental",
        "--tsBuildInfoFile",
        TYPES_BUILD_INFO,
        "--strict",
        "--module",
        "nodenext",
        "--target",
        "es2022",
        "--types",
        "node",
        "--typeRoots",
        path.join(REPO_ROOT, "node_modules/@types"),
        "types.mts",
        "types.cts",
      ],
      { cwd: appDir },
    );
  });

  it("runs the README's vitest example as written", async () => {
    writeFileSync(path.join(appDir, "readme-example.test.ts"), readmeExample());
    // The repository's vitest, as if installed there: the example's imports resolve in the
    // agent's folder, the testkit among them from its tarball.
    const vitestDir = path.join(appDir, "node_modules/vitest");
    if (!existsSync(vitestDir)) {
      symlinkSync(realpathSync(path.join(REPO_ROOT, "node_modules/vitest")), vitestDir, "dir");
    }
    const vitest = path.join(vitestDir, "vitest.mjs");
    const { stdout } = await node([vitest, "run", "--root", appDir, "readme-example.test.ts"], {
      NO_COLOR: "1",
    });
    expect(stdout).toMatch(/Tests\s+1 passed/);
  });
});
