import { request } from "node:https";

export interface JsonAnswer {
  status: number;
  body: unknown;
}

export interface JsonRequest {
  method?: string;
  /** The CA to trust for this request: the calling process needs no NODE_EXTRA_CA_CERTS. */
  ca: string | Buffer;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** One HTTPS request whose answer is JSON, trusting exactly the given CA. */
export function httpsJson(url: string | URL, options: JsonRequest): Promise<JsonAnswer> {
  const [contentType, payload] =
    options.form !== undefined
      ? ["application/x-www-form-urlencoded", new URLSearchParams(options.form).toString()]
      : options.json !== undefined
        ? ["application/json", JSON.stringify(options.json)]
        : [undefined, undefined];
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (payload === undefined ? "GET" : "POST"),
        ca: options.ca,
        headers: {
          ...options.headers,
          ...(contentType === undefined ? {} : { "content-type": contentType }),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        // A connection closed in the middle of the answer: no "end" follows, only this, and a
        // call that listened for "end" alone waited for ever.
        res.on("error", (error: NodeJS.ErrnoException) => {
          reject(
            new Error(
              `${String(url)} answered ${String(res.statusCode)}, and the connection closed ` +
                `before the answer ended (${error.code ?? error.message}): check that the ` +
                "tenant still runs",
              { cause: error },
            ),
          );
        });
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(
              new Error(
                `${String(url)} answered ${String(res.statusCode)} with no JSON: ${text.slice(0, 200)}`,
              ),
            );
          }
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
