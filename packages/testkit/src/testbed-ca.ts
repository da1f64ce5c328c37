import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { shellWord } from "@ciba-testbed/shared";
import { WITHOUT_EXTRA_CA_CERTS, extraCaCerts } from "@ciba-testbed/shared/node";

import { TestbedOptionsError, testbedCaOptionProblems } from "./option-problems.js";
import { installedServerAdvice, serverEntry } from "./server-entry.js";
import { certDirSetting, serverEnv } from "./server-env.js";

export interface TestbedCaOptions {
  /** The folder the testbeds of the run use (`startTestbed`'s `certDir`), with its default. */
  certDir?: string;
  /** How long making it may take; 60 s unless given, as a testbed's start. */
  timeoutMs?: number;
}

export interface TestbedCa {
  /** What NODE_EXTRA_CA_CERTS must name: the CA every testbed with that `certDir` serves under. */
  caCertPath: string;
  /** True when this call made the CA, false when one in the folder was reused. */
  created: boolean;
  /**
   * What to set NODE_EXTRA_CA_CERTS to: `caCertPath`, or, when this process's own names another
   * file (a TLS-intercepting proxy's CA), a bundle of that file's certificates and the CA,
   * written beside the CA, so that the test processes trust both.
   */
  nodeExtraCaCerts: string;
}

/**
 * Makes the tenant's local CA in `certDir`, or finds the one made before, without starting a
 * testbed: `mock-auth0 --make-ca`, which writes what a tenant's first start would and exits.
 * For a run that sets NODE_EXTRA_CA_CERTS before its test processes start (a Vitest
 * `globalSetup`); the testbeds started later with the same `certDir` serve with this CA.
 * A folder mock-auth0 cannot use fails with its reason, as `startTestbed` would.
 */
export async function ensureTestbedCa(options: TestbedCaOptions = {}): Promise<TestbedCa> {
  // Checked as the caller wrote them: a JavaScript caller gets no type check.
  const problems = testbedCaOptionProblems(options);
  if (problems.length > 0) throw new TestbedOptionsError(problems, "ensureTestbedCa");
  const entry = serverEntry("mock-auth0");
  const timeoutMs = options.timeoutMs ?? 60_000;
  const env = serverEnv("mock-auth0", "warn", {
    ...WITHOUT_EXTRA_CA_CERTS,
    MOCK_AUTH0_CERT_DIR: await certDirSetting(options.certDir, entry.packageDir),
  });
  const { caCertPath, created } = await new Promise<Omit<TestbedCa, "nodeExtraCaCerts">>(
    (resolve, reject) => {
      execFile(
        entry.command,
        [...entry.args, "--make-ca"],
        { env: { ...process.env, ...env }, timeout: timeoutMs },
        (error, stdout, stderr) => {
          const said = stderr.trim();
          if (error !== null) {
            const how = error.killed
              ? `ran over ${String(timeoutMs)} ms, the timeoutMs option: give it longer (a ` +
                "loaded machine makes a CA slowly), or find what holds the CA folder's .lock"
              : error.message.split("\n")[0];
            reject(
              new Error(`mock-auth0 could not make its CA: ${said === "" ? how : said}`, {
                cause: error,
              }),
            );
            return;
          }
          try {
            const made = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Partial<TestbedCa>;
            if (typeof made.caCertPath !== "string" || typeof made.created !== "boolean") {
              throw new Error("no caCertPath");
            }
            // What the person is to know of the CA (one made anew for another host, or one
            // an older version made): the run's output is where a globalSetup's words show.
            if (said !== "") process.stderr.write(`${said}\n`);
            resolve({ caCertPath: made.caCertPath, created: made.created });
          } catch {
            // Another version of mock-auth0 than the testkit's, or something in the process's
            // environment that writes to its stdout (NODE_OPTIONS' --require of a module).
            reject(
              new Error(
                `mock-auth0 --make-ca printed no {"caCertPath":...,"created":...} line: ` +
                  `${installedServerAdvice("mock-auth0", entry.packageDir)}; and run ` +
                  `${makeCaCommand(env.MOCK_AUTH0_CERT_DIR)} to see what it prints. It printed ` +
                  `${JSON.stringify(stdout.slice(0, 500))}${said === "" ? "" : `, and on stderr: ${said}`}`,
              ),
            );
          }
        },
      );
    },
  );
  const caPem = await readFile(caCertPath, "utf8");
  const nodeExtraCaCerts = extraCaCerts(
    process.env.NODE_EXTRA_CA_CERTS,
    { caCertPath, caPem },
    path.dirname(caCertPath),
  );
  return { caCertPath, created, nodeExtraCaCerts };
}

/** The command a person runs in the agent's project to make the CA as this call did. */
function makeCaCommand(certDir: string | undefined): string {
  const dir =
    certDir === undefined || certDir === "" ? "" : `MOCK_AUTH0_CERT_DIR=${shellWord(certDir)} `;
  return `${dir}npx mock-auth0 --make-ca`;
}
