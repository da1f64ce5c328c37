import { parseArgs } from "node:util";

/**
 * The command line of a root script that takes no argument (`pnpm dev`, `pnpm demo`): `--help`
 * (`-h`) prints `usage` and exits 0, before anything starts; any other argument exits 2 naming
 * it, with the usage. Otherwise `pnpm dev --help` started the whole stack on the default ports.
 */
export function takeNoArguments(script: string, usage: readonly string[]): void {
  let help = false;
  try {
    help =
      parseArgs({
        args: process.argv.slice(2),
        options: { help: { type: "boolean", short: "h" } },
        strict: true,
        allowPositionals: false,
      }).values.help === true;
  } catch (error) {
    process.stderr.write(`${script}: ${(error as Error).message}\n\n${usage.join("\n")}\n`);
    process.exit(2);
  }
  if (help) {
    process.stdout.write(`${usage.join("\n")}\n`);
    process.exit(0);
  }
}
