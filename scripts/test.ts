/**
 * `pnpm test`: typecheck, lint and format:check at once (each is one process on one core, so
 * on two cores they take as long as the slowest instead of their sum), each one's output
 * printed whole when it ends; then, when all three passed, `vitest run` with any arguments
 * given, its output live. Exits 1 when a check fails, else with vitest's code.
 */
import { spawn } from "node:child_process";

const CHECKS = ["typecheck", "lint", "format:check"];

interface Ended {
  name: string;
  code: number;
  output: string;
  seconds: number;
}

function runCheck(name: string): Promise<Ended> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn("pnpm", ["run", "--silent", name], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const end = (code: number) => {
      resolve({ name, code, output, seconds: (performance.now() - started) / 1000 });
    };
    child.once("error", (error) => {
      output += `could not start pnpm: ${error.message}\n`;
      end(1);
    });
    child.once("close", (code, signal) => {
      end(code ?? (signal === null ? 1 : 128));
    });
  });
}

const results = await Promise.all(
  CHECKS.map(async (name) => {
    const ended = await runCheck(name);
    const verdict = ended.code === 0 ? "passed" : `failed (exit ${String(ended.code)})`;
    process.stdout.write(`\n> ${name}: ${verdict} in ${ended.seconds.toFixed(1)} s\n`);
    if (ended.output.trim() !== "") process.stdout.write(`${ended.output.trimEnd()}\n`);
    return ended;
  }),
);
const failed = results.filter((result) => result.code !== 0).map((result) => result.name);
if (failed.length > 0) {
  process.stderr.write(`\n${failed.join(", ")} failed: vitest not run.\n`);
  process.exit(1);
}

process.stdout.write("\n> vitest run\n");
const vitest = spawn("vitest", ["run", ...process.argv.slice(2)], { stdio: "inherit" });
vitest.once("error", (error) => {
  process.stderr.write(`could not start vitest: ${error.message}\n`);
  process.exit(1);
});
vitest.once("close", (code) => {
  process.exit(code ?? 1);
});
