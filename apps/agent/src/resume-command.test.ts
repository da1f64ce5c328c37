import { execFileSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { loadConfig } from "./config.js";
import { resumeCommand } from "./resume-command.js";

/** The environment a POSIX shell with none of this process's gives the hint's command. */
function environmentOfHint(hint: string): Record<string, string> {
  const command = hint
    .replace(/ pnpm agent resume \S+$/, "")
    .replace(/^pnpm agent resume \S+$/, "");
  const printed = execFileSync(
    "/usr/bin/env",
    [
      "-i",
      "/bin/sh",
      "-c",
      `${command} ${process.execPath} -e 'console.log(JSON.stringify(process.env))'`,
    ],
    { encoding: "utf8" },
  );
  const env = JSON.parse(printed) as Record<string, string>;
  // What the shell sets of its own accord.
  delete env.PWD;
  delete env.SHLVL;
  delete env._;
  return env;
}

describe("the resume hint", () => {
  it("is the bare command for a run on the defaults", () => {
    expect(resumeCommand(loadConfig({}))("thr-1")).toBe("pnpm agent resume thr-1");
  });

  it("names each setting a moved stack gave, so that another shell resumes against it", () => {
    const env = {
      AGENT_STORE: "redis://127.0.0.1:5480/3",
      AUTH0_DOMAIN: "localhost:5481",
      AGENT_USER_ID: "auth0|alice o'hara",
      SHOP_API_URL: "http://localhost:5482/api/purchases",
      MOCK_AUTH0_CERT_DIR: "/tmp/e1 certs",
      AGENT_AUTHORIZATION_DETAILS: "false",
    };
    const config = loadConfig(env);

    const hint = resumeCommand(config)("thr-1");

    expect(hint).toBe(
      "AGENT_STORE=redis://127.0.0.1:5480/3 AUTH0_DOMAIN=localhost:5481 AGENT_USER_ID='auth0|alice o'\\''hara' SHOP_API_URL=http://localhost:5482/api/purchases AGENT_AUTHORIZATION_DETAILS=false MOCK_AUTH0_CERT_DIR='/tmp/e1 certs' pnpm agent resume thr-1",
    );
    // Copied into a shell with none of this run's environment, it gives the same settings.
    const copied = environmentOfHint(hint);
    expect(copied).toEqual(env);
    expect(loadConfig(copied)).toEqual(config);
  });

  it("names an option the run was given as its variable, and a directory store by its full path", () => {
    const config = loadConfig(
      { AGENT_STORE: "stores/a", INIT_CWD: "/srv/agent" },
      { user: "auth0|bob", expiry: "120" },
    );

    const hint = resumeCommand(config)("thr-2");

    expect(hint).toBe(
      "AGENT_STORE=/srv/agent/stores/a AGENT_USER_ID='auth0|bob' AGENT_REQUESTED_EXPIRY=120 pnpm agent resume thr-2",
    );
  });

  it("never writes a secret out, and names each one to set as for the run", () => {
    const config = loadConfig({
      AGENT_STORE: "redis://agent:s3cret-pass@redis.internal:6379/0",
      AUTH0_DOMAIN: "shop.eu.auth0.com",
      AUTH0_CLIENT_ID: "client-1",
      AUTH0_CLIENT_SECRET: "client-s3cret",
      OPENAI_API_KEY: "sk-s3cret",
      OPENAI_BASE_URL: "http://localhost:11434/v1",
      AGENT_MODEL: "llama3.2",
      NODE_EXTRA_CA_CERTS: "/etc/ssl/corp-ca.pem",
    });

    const hint = resumeCommand(config)("thr-3");

    expect(hint).toBe(
      "AUTH0_DOMAIN=shop.eu.auth0.com AUTH0_CLIENT_ID=client-1 OPENAI_BASE_URL=http://localhost:11434/v1 AGENT_MODEL=llama3.2 NODE_EXTRA_CA_CERTS=/etc/ssl/corp-ca.pem pnpm agent resume thr-3 (with AGENT_STORE, AUTH0_CLIENT_SECRET and OPENAI_API_KEY set as for this run: they are secrets, never shown)",
    );
    expect(hint).not.toMatch(/s3cret/);
  });
});
