import { PassThrough } from "node:stream";

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

  it("says a server its testbed stopped was stopped", async () => {
    const { server } = await startFake();
    await server.stop();
    expect(await server.whyGone()).toBe("fake was stopped: the testbed's stop() was called");
  });
});
