/**
 * A testbed whose processes fail in the ways a team's CI meets: a server killed after start.
 * Each is reported by the testkit call that meets it, naming the server and how it ended.
 */
import { execFileSync } from "node:child_process";

import { startTestbed } from "@ciba-testbed/testkit";
import { describe, expect, it } from "vitest";

/** The pid of this process's child whose command line names `server`. */
function childPid(server: string): number {
  const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(process.pid)], {
    encoding: "utf8",
  });
  const line = children.split("\n").find((row) => row.includes(`${server}-bin`));
  if (line === undefined)
    throw new Error(`No ${server} among this process's children:\n${children}`);
  return Number(line.trim().split(/\s+/)[0]);
}

describe("a testbed whose server dies after start", () => {
  it("names the server and how it ended, where a call to it fails, not just ECONNREFUSED", async () => {
    const testbed = await startTestbed();
    try {
      process.kill(childPid("shop-api"), "SIGKILL");
      await expect(testbed.shop.orders()).rejects.toThrow(
        /^shop-api exited \(SIGKILL\) after start/,
      );

      process.kill(childPid("mock-auth0"), "SIGKILL");
      await expect(testbed.approver.waitForRequest({ user: testbed.user })).rejects.toThrow(
        /^mock-auth0 exited \(SIGKILL\) after start/,
      );
    } finally {
      await testbed.stop();
    }
    await expect(testbed.approver.requests()).rejects.toThrow(/^mock-auth0 exited/);
  });
});
