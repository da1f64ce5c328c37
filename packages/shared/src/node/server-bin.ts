import { statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { portSchema } from "../env.js";
import { stopWhenStdinCloses } from "./exit-with-stdin.js";
import { loseWhatCannotBeWritten } from "./lost-output.js";
import { writeReadyRecordTo } from "./ready-record.js";

/** What a server's bin says about itself in `--help`. */
export interface ServerBin {
  /** The command, e.g. `mock-auth0`. */
  name: string;
  /** What it serves, a few lines. */
  about: string[];
  /** The variable `--port` sets, e.g. `MOCK_AUTH0_PORT`. */
  portVariable: string;
  /** A ready record as the server prints it. */
  readyExample: string;
  /** The environment variables it reads, each with its meaning and default. */
  variables: Readonly<Record<string, string>>;
  /** The server's own flags (`reset` for `--reset`), each with its help: passed on to `main`. */
  flags?: Readonly<Record<string, string>>;
}

export function serverBinHelp(bin: ServerBin): string {
  const width = Math.max(...Object.keys(bin.variables).map((name) => name.length));
  const flags = Object.entries(bin.flags ?? {});
  return [
    `Usage: ${bin.name} [--port <port>] [--ready-file <file>] [--exit-with-stdin]${flags.map(([flag]) => ` [--${flag}]`).join("")} [--help]`,
    "",
    ...bin.about,
    "",
    "Options:",
    `  --port <port>        where to listen (sets ${bin.portVariable}); 0 picks a free port`,
    "  --ready-file <file>  also write the ready record to this file once listening",
    "  --exit-with-stdin    stop as on SIGTERM once stdin closes: for a parent that holds its",
    "                       other end, so the server ends with it however it ends (even kill -9)",
    ...flags.map(([flag, text]) => `  ${`--${flag}`.padEnd(19)}  ${text}`),
    "  -h, --help           show this help",
    "",
    "Once it accepts requests it prints one JSON line on stdout, the ready record:",
    `  ${bin.readyExample}`,
    "",
    "Environment:",
    ...Object.entries(bin.variables).map(([name, text]) => `  ${name.padEnd(width)}  ${text}`),
    "",
  ].join("\n");
}

/**
 * The options every server's bin takes, applied before the server's `main` module loads:
 * `--help` prints the help and returns without starting; `--port` sets the port variable;
 * `--ready-file` makes `announceReady` write the record to that file too. These are taken off
 * `process.argv`, so `main` sees only its own `flags`. A wrong option exits 2 with the help.
 */
export async function runServerBin(bin: ServerBin, main: () => Promise<unknown>): Promise<void> {
  const flags = Object.keys(bin.flags ?? {});
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        help: { type: "boolean", short: "h" },
        port: { type: "string" },
        "ready-file": { type: "string" },
        "exit-with-stdin": { type: "boolean" },
        ...Object.fromEntries(flags.map((flag) => [flag, { type: "boolean" as const }])),
      },
    }));
  } catch (error) {
    loseWhatCannotBeWritten();
    process.stderr.write(`${(error as Error).message}\n\n${serverBinHelp(bin)}`);
    process.exit(2);
  }
  if (values.help === true) {
    // `--help | head -3` ends the reader first: the rest of the help is lost, not an EPIPE
    // crash with a stack and exit 1.
    loseWhatCannotBeWritten();
    process.stdout.write(serverBinHelp(bin));
    return;
  }
  if (typeof values.port === "string") {
    // Checked here to name the option typed: the configuration names the variable it sets.
    const port = portSchema.safeParse(values.port);
    if (!port.success || values.port.trim() === "") {
      process.stderr.write(
        `--port must be a port number from 0 to 65535 (got "${values.port}"); 0 takes any free port\n`,
      );
      process.exit(2);
    }
    process.env[bin.portVariable] = values.port;
  }
  const readyFile = values["ready-file"];
  if (typeof readyFile === "string") {
    // Checked before the server starts: found missing once it listened, the error named the
    // temporary file the record is written to first, and a server that had started.
    const folder = path.dirname(path.resolve(readyFile));
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      process.stderr.write(
        `--ready-file ${readyFile}: the folder ${folder} does not exist; make it first, or name a file in a folder that does\n`,
      );
      process.exit(2);
    }
    writeReadyRecordTo(path.resolve(readyFile));
  }
  if (values["exit-with-stdin"] === true) stopWhenStdinCloses();
  process.argv.splice(
    2,
    Infinity,
    ...flags.filter((flag) => values[flag] === true).map((f) => `--${f}`),
  );
  await main();
}
