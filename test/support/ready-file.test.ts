import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { readyRecord } from "./ready-file.js";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A ready file's path in a folder of its own, and a Node process running `script` with it. */
function start(script: string) {
  const folder = mkdtempSync(path.join(tmpdir(), "ready-file-"));
  folders.push(folder);
  const file = path.join(folder, "server.ready.json");
  const child = spawn(process.execPath, ["-e", script, file], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return { file, child };
}

describe("readyRecord", () => {
  it("is the record a process writes whole (a rename), while it runs", async () => {
    const { file, child } = start(
      `const fs = require("node:fs"); const file = process.argv[1];
       fs.writeFileSync(file + ".tmp", JSON.stringify({ ready: true, pid: process.pid }));
       fs.renameSync(file + ".tmp", file);
       setInterval(() => {}, 1000);`,
    );
    try {
      expect(await readyRecord(child, file, { name: "server", within: 60_000 })).toEqual({
        ready: true,
        pid: child.pid,
      });
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("ends when the process exits first, naming its exit code and its stderr", async () => {
    const { file, child } = start(`process.stderr.write("listen EADDRINUSE"); process.exit(3);`);
    await expect(readyRecord(child, file, { name: "server", within: 60_000 })).rejects.toThrow(
      `server ended (exit code 3) before it wrote its ready record ${file}; its stderr:\nlisten EADDRINUSE`,
    );
  });

  it("ends when a signal ends the process first, naming the signal", async () => {
    const { file, child } = start(`process.kill(process.pid, "SIGKILL");`);
    await expect(readyRecord(child, file, { name: "server", within: 60_000 })).rejects.toThrow(
      `server ended (signal SIGKILL) before it wrote its ready record ${file}`,
    );
  });

  it("ends at its limit while the process runs on without writing, saying that it runs", async () => {
    const { file, child } = start(`setInterval(() => {}, 1000);`);
    try {
      await expect(readyRecord(child, file, { name: "server", within: 0 })).rejects.toThrow(
        `server wrote no ready record to ${file} within 0 s and still runs`,
      );
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGKILL");
    }
  });
});
