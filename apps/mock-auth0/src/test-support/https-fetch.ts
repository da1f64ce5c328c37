import { request } from "node:https";

/**
 * A `fetch` over node:https that trusts exactly `ca` and never follows redirects: what a
 * relying party library (openid-client's `customFetch`) or a test's hand-driven browser uses
 * against a tenant whose CA this process did not trust at start.
 */
export function httpsFetch(ca: string): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init.headers);
    const body =
      init.body === undefined || init.body === null
        ? undefined
        : Buffer.from(await new Response(init.body).arrayBuffer());
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        url,
        { method: init.method ?? "GET", headers: Object.fromEntries(headers), ca },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const answer = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const one of Array.isArray(value) ? value : [value ?? ""]) {
                answer.append(name, one);
              }
            }
            const status = res.statusCode ?? 0;
            const empty = status === 204 || status === 304;
            resolve(
              new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }),
            );
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      init.signal?.addEventListener("abort", () => req.destroy(new Error("aborted")));
      req.end(body);
    });
  };
}
