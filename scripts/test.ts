/**
 * `pnpm test`: typecheck and lint (`pnpm check`), format:check, and `vitest run` with any
 * arguments given, all at once; the checks' package.json scripts run without pnpm
 * (test-steps.ts). The checks are single-threaded and much of the end-to-end tests'
 * time is spent waiting on real processes, so on two cores the three together take little
 * longer than vitest alone. Each check's output is printed whole when it ends, vitest's live;
 * a summary of the checks follows vitest's. Exits 1 when a check fails, else with vitest's code.
 */
import { spawn } from "node:child_process";

import { TEST_CHECKS, scriptStep, withWorkspaceBinaries } from "./test-steps.js";

interface Ended {
  name: string;
  code: number;
  output: string;
  seconds: number;
}

function runCheck(name: string): Promise<Ended> {
  const started = performance.now();
  return new Promise((resolve) => {
    const step = scriptStep(name);
    const child = spawn(step.command, {
      shell: true,
      cwd: step.cwd,
      env: step.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const end = (code: number) => {
      resolve({ name, code, output, seconds: (performance.now() - started) / 1000 });
    };
    child.once("error", (error) => {
      output += `could not start ${name}: ${error.message}\n`;
      end(1);
    });
    child.once("close", (code, signal) => {
      end(code ?? (signal === null ? 1 : 128));
    });
  });
}

function runVitest(): Promise<number> {
  return new Promise((resolve) => {
    const vitest = spawn("vitest", ["run", ...process.argv.slice(2)], {
      env: withWorkspaceBinaries(),
      stdio: "inherit",
    });
    vitest.once("error", (error) => {
      process.stderr.write(`could not start vitest: ${error.message}\n`);
      resolve(1);
    });
    vitest.once("close", (code) => {
      resolve(code ?? 1);
    });
  });
}

const started = performance.now();
const checks = Promise.all(
  TEST_CHECKS.map(async (name) => {
    const ended = await runCheck(name);
    const verdict = ended.code === 0 ? "passed" : `failed (exit ${String(ended.code)})`;
    process.stdout.write(`\n> ${name}: ${verdict} in ${ended.seconds.toFixed(1)} s\n`);
    if (ended.output.trim() !== "") process.stdout.write(`${ended.output.trimEnd()}\n`);
    return { ...ended, verdict };
  }),
);
const [results, vitestCode] = await Promise.all([checks, runVitest()]);

process.stdout.write("\n");
for (const result of results) {
  process.stdout.write(`${result.name}: ${result.verdict} in ${result.seconds.toFixed(1)} s\n`);
}
process.stdout.write(
  `vitest: ${vitestCode === 0 ? "passed" : `failed (exit ${String(vitestCode)})`}; ` +
    `pnpm test took ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
const failed = results.filter((result) => result.code !== 0).map((result) => result.name);
if (failed.length > 0) process.stderr.write(`${failed.join(", ")} failed.\n`);
process.exit(failed.length > 0 ? 1 : vitestCode);
