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

/**
 * The one line a server prints when its port is taken (`EADDRINUSE`), naming the variable that
 * picks another; `undefined` for any other error.
 */
export function portInUseLine(error: unknown, portVariable: string): string | undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== "EADDRINUSE") return undefined;
  return `${(error as Error).message}: another process holds the port; stop it or set ${portVariable}\n`;
}
