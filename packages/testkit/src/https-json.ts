import { request } from "node:https";

import { classifyNetworkError } from "@ciba-testbed/shared/node";

import { TestbedError } from "./testbed-error.js";

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** The next step of every call to the tenant that did not get its answer. */
function checkTheTenant(origin: string): string {
  return (
    `check that the testbed's tenant still runs (stop() not called yet, its process not ` +
    `killed) and that nothing else listens at ${origin}; startTestbed's logs option ` +
    `(logs: process.stderr) shows the tenant's log`
  );
}

/**
 * What to say of an answer that is no JSON, which mock-auth0 never sends: another server took
 * its port, or the tenant ended while it answered. The next step names where to look.
 */
export function notJson(url: URL, status: number, text: string): string {
  const quoted = text.trim() === "" ? "no body" : JSON.stringify(text.slice(0, 200));
  return (
    `${url.href} answered ${String(status)}: ${quoted}, which is no JSON, as mock-auth0 always ` +
    `answers: ${checkTheTenant(url.origin)}`
  );
}

/**
 * What to say of a call that got no whole answer (a refused or reset connection, a certificate
 * the tenant's CA did not sign): what it means at the tenant's address, and the next step.
 */
export function noAnswer(method: string, url: URL, error: unknown): TestbedError {
  const found = classifyNetworkError(error);
  const code = found?.code ?? found?.detail ?? String(error);
  const meaning =
    found?.failure === "connection_refused"
      ? `nothing listens at ${url.origin}`
      : found?.failure === "connection_reset"
        ? "the connection closed before the answer ended"
        : found?.failure === "tls_untrusted" || found?.failure === "tls_hostname"
          ? `what answers at ${url.origin} shows a certificate the tenant's CA did not sign for it, so it is not the testbed's tenant`
          : found?.failure === "tls_handshake"
            ? `what answers at ${url.origin} does not speak TLS, so it is not the testbed's tenant`
            : "the call failed before an answer came";
  return new TestbedError(
    "TESTBED_TENANT_UNREACHABLE",
    `${method} ${url.href} got no answer (${code}): ${meaning}; ${checkTheTenant(url.origin)}`,
    { cause: error },
  );
}

/** One HTTPS request with a JSON answer, trusting exactly `ca`: no NODE_EXTRA_CA_CERTS needed. */
export function httpsJson(
  url: URL,
  options: { method: string; ca: string; headers?: Record<string, string>; json?: unknown },
): Promise<JsonAnswer> {
  const payload = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const failed = (error: unknown) => {
      reject(noAnswer(options.method, url, error));
    };
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
        // A connection closed in the middle of the answer: no "end" follows, only this.
        res.on("error", failed);
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(
              new TestbedError("TESTBED_NOT_THE_TENANT", notJson(url, res.statusCode ?? 0, text)),
            );
          }
        });
      },
    );
    req.on("error", failed);
    req.end(payload);
  });
}
