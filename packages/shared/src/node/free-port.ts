import { createServer } from "node:net";

/**
 * A loopback port free a moment ago (the system's pick for port 0), for a server that must be
 * told its port before it starts, such as `redis-server` or `postgres`.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === "string") reject(new Error("No port"));
        else resolve(address.port);
      });
    });
  });
}

/** The variables that choose where a server listens, e.g. `SHOP_API_PORT`, `SHOP_API_HOST`. */
export interface ListenVariables {
  port: string;
  host: string;
}

/**
 * The one line a server prints when it cannot listen for a reason its operator fixes (a port
 * taken or privileged, an address this machine does not have, a name that does not resolve):
 * Node's message, then the variable to change and how. `undefined` for any other error, which
 * is a fault worth its stack.
 */
export function listenFailureLine(error: unknown, variables: ListenVariables): string | undefined {
  const { port, host } = variables;
  const fixes = new Map([
    ["EADDRINUSE", `another process holds the port; stop it or set ${port}`],
    [
      "EACCES",
      `this user may not listen on that port (ports below 1024 need privileges); set ${port} to 1024 or above, or 0 for a free one`,
    ],
    [
      "EADDRNOTAVAIL",
      `no network interface of this machine has that address; set ${host} to one of its addresses (127.0.0.1: this machine only)`,
    ],
    [
      "ENOTFOUND",
      `the host name does not resolve; set ${host} to an IP address or a host name that resolves`,
    ],
    [
      "EAI_AGAIN",
      `the host name could not be looked up; set ${host} to an IP address, or try again`,
    ],
  ]);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const fix = code === undefined ? undefined : fixes.get(code);
  return fix === undefined ? undefined : `${(error as Error).message}: ${fix}\n`;
}
