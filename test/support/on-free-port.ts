import { freePort } from "@ciba-testbed/shared/node";

/**
 * `start(port)` on a free port, and again on another, up to five times, while it fails because
 * another process took the port between the probe and the server's listening on it (EADDRINUSE
 * in its error). For a server whose port must be known before it starts, such as the web app
 * whose URL the tenant is given first, so that it cannot listen on port 0. `start` cleans up
 * after itself when it fails. `probe` finds the free port; a test gives it a taken one.
 */
export async function onFreePort<T>(
  start: (port: number) => Promise<T>,
  probe: () => Promise<number> = freePort,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await probe();
    try {
      return await start(port);
    } catch (error) {
      if (attempt >= 5 || !(error instanceof Error) || !error.message.includes("EADDRINUSE")) {
        throw error;
      }
    }
  }
}
