import { request } from "node:https";

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/**
 * What to say of an answer that is no JSON, which mock-auth0 never sends: another server took
 * its port, or the tenant ended while it answered. The next step names where to look.
 */
export function notJson(url: URL, status: number, text: string): string {
  const quoted = text.trim() === "" ? "no body" : JSON.stringify(text.slice(0, 200));
  return (
    `${url.href} answered ${String(status)}: ${quoted}, which is no JSON, as mock-auth0 always ` +
    `answers: check that the testbed's tenant still runs (stop() not called yet, its process ` +
    `not killed) and that nothing else listens at ${url.origin}; startTestbed's logs option ` +
    `(logs: process.stderr) shows the tenant's log`
  );
}

/** One HTTPS request with a JSON answer, trusting exactly `ca`: no NODE_EXTRA_CA_CERTS needed. */
export function httpsJson(
  url: URL,
  options: { method: string; ca: string; headers?: Record<string, string>; json?: unknown },
): Promise<JsonAnswer> {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        ca: options.ca,
        headers: {
          ...options.headers,
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(new Error(notJson(url, res.statusCode ?? 0, text)));
          }
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
