import { request } from "node:https";

export interface JsonAnswer {
  status: number;
  body: unknown;
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
            reject(
              new Error(`${url.href} answered ${String(res.statusCode)}: ${text.slice(0, 200)}`),
            );
          }
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
