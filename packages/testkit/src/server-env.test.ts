import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { userTempPrefix } from "@ciba-testbed/shared/node";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { certDirSetting, serverEnv } from "./server-env.js";

/** TMPDIR set to a folder of the test's own, every user's to write as /tmp is. */
function ownTemp(): string {
  const temp = mkdtempSync(path.join(tmpdir(), "server-env-"));
  chmodSync(temp, 0o1777);
  vi.stubEnv("TMPDIR", temp);
  onTestFinished(() => {
    vi.unstubAllEnvs();
    rmSync(temp, { recursive: true, force: true });
  });
  return temp;
}

describe("certDirSetting", () => {
  // An installed mock-auth0: not inside a pnpm workspace.
  const installed = () => {
    const dir = path.join(ownTemp(), "project", "node_modules", "@ciba-testbed", "mock-auth0");
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  it("is the certDir given, or blank inside the repository, for mock-auth0's <repo>/.certs", async () => {
    expect(await certDirSetting("certs", "/nowhere")).toBe(path.resolve("certs"));
    const repo = path.join(ownTemp(), "repo");
    mkdirSync(path.join(repo, "apps", "mock-auth0"), { recursive: true });
    writeFileSync(path.join(repo, "pnpm-workspace.yaml"), "");
    expect(await certDirSetting(undefined, path.join(repo, "apps", "mock-auth0"))).toBe("");
  });

  it("is this user's folder in the temporary folder, or one of this user's when another user took its name", async () => {
    const mockAuth0Dir = installed();
    const temp = process.env.TMPDIR ?? "";
    const name = `${userTempPrefix()}certs`;
    expect(await certDirSetting(undefined, mockAuth0Dir)).toBe(path.join(temp, name));
    rmSync(path.join(temp, name), { recursive: true });
    // Another user's link where this user's folder goes: never followed, never needed.
    symlinkSync(path.join(temp, "project"), path.join(temp, name));

    const own = await certDirSetting(undefined, mockAuth0Dir);

    expect(own).toMatch(new RegExp(`^${temp}/${userTempPrefix()}private\\.\\w{6}/${name}$`));
    expect(await certDirSetting(undefined, mockAuth0Dir)).toBe(own);
  });

  it("names TMPDIR and the certDir option when the temporary folder cannot take it", async () => {
    const mockAuth0Dir = installed();
    const file = path.join(process.env.TMPDIR ?? "", "a-file");
    writeFileSync(file, "");
    vi.stubEnv("TMPDIR", file);
    await expect(certDirSetting(undefined, mockAuth0Dir)).rejects.toThrow(
      new RegExp(
        `^the testbed cannot make its certificate folder in the temporary folder ${file} ` +
          String.raw`\(ENOTDIR: .*\): set TMPDIR to a folder this user may write, or give the ` +
          "certDir option a folder of this user's own$",
      ),
    );
  });
});

describe("serverEnv", () => {
  it("sets each server's listen address to loopback, so the shell's cannot move it", () => {
    expect(serverEnv("mock-auth0", "warn", {}, {})).toMatchObject({ MOCK_AUTH0_HOST: "127.0.0.1" });
    expect(serverEnv("shop-api", "warn", {}, {})).toMatchObject({ SHOP_API_HOST: "127.0.0.1" });
    expect(serverEnv("model-server", "warn", {}, {})).toMatchObject({
      MODEL_SERVER_HOST: "127.0.0.1",
    });
  });

  it("lets the testbed's own variables for the server win", () => {
    expect(serverEnv("shop-api", "warn", { SHOP_API_HOST: "::1", LOG_LEVEL: "debug" }, {})).toEqual(
      {
        LOG_LEVEL: "debug",
        SHOP_API_HOST: "::1",
        SHOP_API_SHORT_LIVED: "true",
      },
    );
  });

  it("blanks each server's own settings from the shell, and leaves the rest of the shell alone", () => {
    const shell = {
      MODEL_SERVER_API_KEY: "the-shell-s-key",
      MOCK_AUTH0_SIGNING_KEYS: "/somewhere/keys.json",
      SHOP_API_TOKEN_CACHE_SIZE: "0",
      AUTH0_AUDIENCE: "https://api.example.com",
      PATH: "/usr/bin",
    };
    expect(serverEnv("model-server", "warn", {}, shell)).toEqual({
      MODEL_SERVER_API_KEY: "",
      LOG_LEVEL: "warn",
      MODEL_SERVER_HOST: "127.0.0.1",
    });
    expect(serverEnv("mock-auth0", "warn", {}, shell)).toEqual({
      MOCK_AUTH0_SIGNING_KEYS: "",
      LOG_LEVEL: "warn",
      MOCK_AUTH0_HOST: "127.0.0.1",
    });
    expect(serverEnv("shop-api", "warn", { AUTH0_DOMAIN: "localhost:1" }, shell)).toEqual({
      SHOP_API_TOKEN_CACHE_SIZE: "",
      AUTH0_AUDIENCE: "",
      AUTH0_DOMAIN: "localhost:1",
      LOG_LEVEL: "warn",
      SHOP_API_HOST: "127.0.0.1",
      SHOP_API_SHORT_LIVED: "true",
    });
  });
});
