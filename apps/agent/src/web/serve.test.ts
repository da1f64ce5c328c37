import { createServer, type Server } from "node:net";

import { afterEach, describe, expect, it, vi } from "vitest";

import { listenFailure } from "./listen-failure.js";
import { serve } from "./serve.js";
import { loadWebConfig } from "./web-config.js";

let holder: Server | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  const server = holder;
  holder = undefined;
  if (server !== undefined) await new Promise((resolve) => server.close(resolve));
});

/** A loopback port another server holds. */
async function heldPort(): Promise<number> {
  const server = createServer();
  holder = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** `serve`'s exit code and what it wrote on stderr, for a start that fails. */
async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const code = await serve(loadWebConfig(env));
  return { code, stderr };
}

describe("pnpm agent serve's start", () => {
  it("names AGENT_PORT, what to do and the callback a new port needs when the port is taken", async () => {
    const port = await heldPort();

    const { code, stderr } = await start({ AGENT_PORT: String(port) });

    // 1, as mock-auth0 and shop-api exit for it: the port may be free later.
    expect(code).toBe(1);
    expect(stderr).toBe(
      `The web app cannot listen on 127.0.0.1:${port}: another process holds port ${port} (AGENT_PORT, EADDRINUSE).\n` +
        "Fix: Stop that process, or set AGENT_PORT to a free port. The login callback, http://localhost:<AGENT_PORT>/auth/callback, then names the new port, and the tenant must allow it: the AGENT_WEB_URL keyword of auth0/mock-auth0.json for the local tenant (pnpm dev sets it from AGENT_HOST and AGENT_PORT), the application's Allowed Callback URLs for a real one.\n",
    );
  });

  it("warns that it does not use AGENT_STORE, whose threads its instances would not share", async () => {
    const port = await heldPort();

    const { stderr } = await start({
      AGENT_PORT: String(port),
      AGENT_STORE: "redis://:s3cret@127.0.0.1:5949/0",
    });
    const { stderr: unset } = await start({ AGENT_PORT: String(port), AGENT_STORE: " " });

    expect(stderr.split("\n")[0]).toBe(
      "Warning: AGENT_STORE is not used by the web app: it keeps its chats and their threads in this process's memory, so instances of it do not share threads, and a restart forgets chats that wait for an answer. AGENT_STORE is where pnpm agent --mode interrupt and pnpm agent resume keep threads.",
    );
    expect(stderr).not.toContain("s3cret");
    expect(unset).not.toContain("Warning");
  });

  it("keeps APP_BASE_URL as the browser's URL when it is set", async () => {
    const port = await heldPort();

    const { stderr } = await start({
      AGENT_PORT: String(port),
      APP_BASE_URL: "https://shop-agent.example",
    });

    expect(stderr).toContain(
      "Fix: Stop that process, or set AGENT_PORT to a free port. APP_BASE_URL (https://shop-agent.example) stays the URL the browser uses: point it at the new port.\n",
    );
  });

  it("names the callback at AGENT_HOST's address when localhost does not reach it", () => {
    const error = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
    const config = { host: "127.0.0.4", port: 3000, baseUrl: "http://127.0.0.4:3000" };

    expect(listenFailure(error, config)?.fix).toBe(
      "Stop that process, or set AGENT_PORT to a free port. The login callback, http://127.0.0.4:<AGENT_PORT>/auth/callback, then names the new port, and the tenant must allow it: the AGENT_WEB_URL keyword of auth0/mock-auth0.json for the local tenant (pnpm dev sets it from AGENT_HOST and AGENT_PORT), the application's Allowed Callback URLs for a real one.",
    );
  });

  it("names AGENT_HOST and exits 2 when it is not an address of this machine", async () => {
    // TEST-NET-1 (RFC 5737): never this machine's, and binding to it sends nothing.
    const { code, stderr } = await start({ AGENT_HOST: "192.0.2.1" });

    expect(code).toBe(2);
    expect(stderr).toBe(
      "AGENT_HOST 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL), so the web app cannot listen on it.\n" +
        "Fix: Set AGENT_HOST to a name or address of this machine, such as 127.0.0.1 (the default).\n",
    );
  });

  // Node's own errors for a name the resolver does not know, and for one it did not answer
  // about (which may pass: exit 1); no lookup is made here.
  it.each([
    {
      code: "ENOTFOUND",
      host: "999.1.1.1",
      message:
        "AGENT_HOST 999.1.1.1 does not resolve to an address (ENOTFOUND), so the web app cannot listen on it.",
      fix: "Set AGENT_HOST to a name or address of this machine, such as 127.0.0.1 (the default).",
      exitCode: 2,
    },
    {
      code: "EAI_AGAIN",
      host: "shop-agent.internal",
      message:
        "AGENT_HOST shop-agent.internal could not be looked up (EAI_AGAIN: the resolver did not answer), so the web app cannot listen on it.",
      fix: "Start again once names resolve, or set AGENT_HOST to an IP address of this machine, such as 127.0.0.1 (the default), which needs no lookup.",
      exitCode: 1,
    },
  ])("names AGENT_HOST and exits $exitCode on $code", ({ code, host, ...failure }) => {
    const error = Object.assign(new Error(`getaddrinfo ${code} ${host}`), {
      code,
      syscall: "getaddrinfo",
      hostname: host,
    });
    const config = { host, port: 3000, baseUrl: "http://localhost:3000" };

    expect(listenFailure(error, config)).toEqual(failure);
    expect(listenFailure(new Error("something else"), config)).toBeUndefined();
  });
});
