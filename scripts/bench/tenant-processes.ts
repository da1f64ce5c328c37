import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { request } from "node:https";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

import { DEFAULT_TENANT_FILE } from "@ciba-testbed/mock-auth0";
import {
  WITHOUT_EXTRA_CA_CERTS,
  freePort,
  killOnExit,
  parseReadyRecord,
} from "@ciba-testbed/shared/node";
import { REPO_ROOT } from "@ciba-testbed/stack";

import { builtEntry, sourceMapFlags } from "../build.js";
import { BENCH_CLIENT } from "./ciba-client.js";

/** The reference tenant's server: plain JavaScript, run by `node` as it is. */
export const OIDC_PROVIDER_SERVER = path.join(REPO_ROOT, "scripts/bench/oidc-provider-server.js");
/** The resource indicator oidc-provider's tokens are for (it wants an absolute URI). */
const OIDC_PROVIDER_RESOURCE = `urn:${BENCH_CLIENT.audience}`;

/** How one of the compared tenants starts: a `node` command line and its environment. */
export interface TenantCommand {
  name: string;
  args: string[];
  env: Record<string, string>;
  /** Where it answers, once started (the port is chosen before the start). */
  issuer: string;
}

/** A compared tenant, started as its own process. */
export interface TenantProcess {
  name: string;
  issuer: string;
  pid: number;
  child: ChildProcess;
  /** Its last lines of output, for error reports. */
  output: string[];
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * mock-auth0 as the stack runs it: `node build/mock-auth0.js` (`sourceMapFlags`), on a port
 * chosen now, the repository's tenant with `settingsFile`, certificates in `certDir`.
 */
export async function mockAuth0Command(options: {
  settingsFile: string;
  certDir: string;
  flags?: string[];
}): Promise<TenantCommand> {
  const port = await freePort();
  return {
    name: "mock-auth0",
    args: [
      ...(options.flags ?? []),
      ...sourceMapFlags("apps/mock-auth0/src/main.ts"),
      builtEntry("mock-auth0"),
    ],
    env: {
      MOCK_AUTH0_PORT: String(port),
      MOCK_AUTH0_HOST: "127.0.0.1",
      MOCK_AUTH0_TENANT: DEFAULT_TENANT_FILE,
      MOCK_AUTH0_SETTINGS: options.settingsFile,
      MOCK_AUTH0_USERS: "",
      MOCK_AUTH0_CERT_DIR: options.certDir,
      MOCK_AUTH0_CONTROL_TOKEN: "",
      LOG_LEVEL: "warn",
    },
    issuer: `https://localhost:${port}/`,
  };
}

/**
 * panva's node-oidc-provider (scripts/bench/oidc-provider-server.js) on a port chosen now,
 * with the bench's client and person, approving each request `approveAfterMs` after it was
 * made (never when undefined), its certificate from `certDir` (mock-auth0's layout).
 */
export async function oidcProviderCommand(options: {
  certDir: string;
  approveAfterMs: number | undefined;
  flags?: string[];
}): Promise<TenantCommand> {
  const port = await freePort();
  return {
    name: "oidc-provider",
    args: [...(options.flags ?? []), OIDC_PROVIDER_SERVER],
    env: {
      OIDC_BENCH_PORT: String(port),
      OIDC_BENCH_CERT_DIR: options.certDir,
      OIDC_BENCH_CLIENT_ID: BENCH_CLIENT.clientId,
      OIDC_BENCH_CLIENT_SECRET: BENCH_CLIENT.clientSecret,
      OIDC_BENCH_USER: BENCH_CLIENT.user,
      OIDC_BENCH_RESOURCE: OIDC_PROVIDER_RESOURCE,
      OIDC_BENCH_APPROVE_AFTER_MS: String(options.approveAfterMs ?? -1),
    },
    issuer: `https://localhost:${port}/`,
  };
}

/** Starts `command` in its own process group; resolves once it printed its ready record. */
export async function startTenant(command: TenantCommand): Promise<TenantProcess> {
  const child = spawn(process.execPath, command.args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...WITHOUT_EXTRA_CA_CERTS, ...command.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  killOnExit(child, () => {
    killGroup("SIGKILL");
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const output: string[] = [];
  let onReady: ((pid: number) => void) | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      const ready = parseReadyRecord(line);
      if (ready) onReady?.(ready.pid);
      output.push(line);
      if (output.length > 50) output.shift();
    });
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup("SIGTERM");
    const timer = setTimeout(() => {
      killGroup("SIGKILL");
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      onReady = resolve;
      const timer = setTimeout(() => {
        reject(new Error(`${command.name} printed no ready record within ${READY_TIMEOUT_MS} ms`));
      }, READY_TIMEOUT_MS);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${command.name} exited before it was ready:\n${output.join("\n")}`));
      });
      child.once("error", reject);
      onReady = (readyPid) => {
        clearTimeout(timer);
        resolve(readyPid);
      };
    });
    return { name: command.name, issuer: command.issuer, pid, child, output, stop };
  } catch (error) {
    killGroup("SIGKILL");
    throw error;
  }
}

/** One GET of the discovery document on a new connection: its status, or 0 when refused. */
function discoveryStatus(issuer: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      new URL(".well-known/openid-configuration", issuer),
      { ca, agent: false, timeout: 5_000 },
      (res) => {
        res.resume();
        res.on("end", () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on("error", () => {
      resolve(0);
    });
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/**
 * Milliseconds from `spawn` to the first discovery document answered (200), asking every
 * 2 ms; the process is stopped afterwards.
 */
export async function timeToDiscovery(command: TenantCommand, ca: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, command.args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...WITHOUT_EXTRA_CA_CERTS, ...command.env },
    detached: true,
    stdio: "ignore",
  });
  const pid = child.pid;
  killOnExit(child, () => {
    if (pid !== undefined) process.kill(-pid, "SIGKILL");
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      resolve();
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  try {
    for (;;) {
      if (gone()) throw new Error(`${command.name} exited before answering discovery`);
      if (performance.now() - started > READY_TIMEOUT_MS) {
        throw new Error(`${command.name} did not answer discovery within ${READY_TIMEOUT_MS} ms`);
      }
      if ((await discoveryStatus(command.issuer, ca)) === 200) {
        return performance.now() - started;
      }
      await sleep(2);
    }
  } finally {
    if (!gone() && pid !== undefined) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      await exited;
    }
  }
}
