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
