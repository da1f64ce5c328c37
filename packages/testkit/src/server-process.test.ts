import { execFile } from "node:child_process";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { processExists } from "@ciba-testbed/shared/node";
import { afterEach, describe, expect, it } from "vitest";

import { ServerProcess } from "./server-process.js";

/** A server that prints a log line and its ready record, then runs until it is stopped. */
const FAKE_SERVER = `
console.log("fake listening on port 1");
console.log(JSON.stringify({ ready: true, pid: process.pid, service: "fake", url: "http://localhost:1", port: 1 }));
setInterval(() => {}, 60_000);
`;

const started: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

async function startFake(logs?: PassThrough) {
  const { server, ready } = await ServerProcess.start({
    name: "fake",
    entry: { command: process.execPath, args: ["-e", FAKE_SERVER, "--"], packageDir: "." },
    env: {},
    logs,
    timeoutMs: 10_000,
  });
  started.push(server);
  return { server, ready };
}

describe("ServerProcess", () => {
  it("says a server that died after start exited, how, and its last lines", async () => {
    const logs = new PassThrough();
    let logged = "";
    logs.on("data", (chunk: Buffer) => (logged += chunk.toString()));
    const { server, ready } = await startFake(logs);
    expect(await server.whyGone()).toBeUndefined();

    process.kill(ready.pid, "SIGKILL");

    expect(await server.whyGone()).toBe(
      "fake exited (SIGKILL) after start; its last lines:\nfake listening on port 1",
    );
    expect(logged).toContain("fake        | exited (SIGKILL) after start\n");
  });

  it("says that a server which never got ready printed nothing, rather than leave its lines empty", async () => {
    const failed = ServerProcess.start({
      name: "fake",
      entry: {
        command: process.execPath,
        args: ["-e", "setInterval(() => {}, 60_000)", "--"],
        packageDir: ".",
      },
      env: {},
      timeoutMs: 300,
    });
    await expect(failed).rejects.toThrow(
      /^fake printed no ready record within 300 ms, printing nothing$/,
    );
  });

  it("says a server its testbed stopped was stopped", async () => {
    const { server } = await startFake();
    await server.stop();
    expect(await server.whyGone()).toBe("fake was stopped: the testbed's stop() was called");
  });

  it("keeps no process running once started: one that forgets stop() ends, and its server with it", async () => {
    // A script that starts a server and returns, as a test file without stop() in its afterAll.
    const script = `
      import { ServerProcess } from ${JSON.stringify(fileURLToPath(new URL("./server-process.ts", import.meta.url)))};
      const { ready } = await ServerProcess.start({
        name: "fake",
        entry: { command: process.execPath, args: ["-e", ${JSON.stringify(FAKE_SERVER)}, "--"], packageDir: "." },
        env: {},
        timeoutMs: 10_000,
      });
      console.log(ready.pid);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      { timeout: 15_000 },
    );
    const pid = Number(stdout.trim());
    expect(pid).toBeGreaterThan(0);
    // The server got the exit hook's SIGTERM as the script ended, and is gone.
    await expect.poll(() => processExists(pid), { timeout: 5_000 }).toBe(false);
  });
});
