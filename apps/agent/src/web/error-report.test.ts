import { AuthorizationPendingInterrupt } from "@auth0/ai/interrupts";
import { errorSerializer } from "@auth0/ai-vercel/interrupts";
import { afterEach, describe, expect, it, vi } from "vitest";

import { clientErrorText, UNEXPECTED_ERROR_TEXT } from "./client-error-text.js";
import { reportToStderr, requestName, StreamErrors } from "./error-report.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function captureStderr(): string[] {
  const written: string[] = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return written;
}

describe("the web app's report of an unexpected error", () => {
  it("names the request and writes the error's stack, one entry on stderr", () => {
    const written = captureStderr();
    const error = new TypeError("reading 'content'");

    reportToStderr(error, "POST /api/chat");

    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(
      /^agent web app: POST \/api\/chat failed: TypeError: reading 'content'\n {4}at .*\n$/s,
    );
  });

  it("writes out the control characters an error quotes, and takes what is not an Error", () => {
    const written = captureStderr();

    reportToStderr(new Error("model said \u001b[2J\u202eboom"), "GET /");
    reportToStderr({ code: 7 }, "GET /");
    reportToStderr("plain", "GET /");

    expect(written[0]).toMatch(
      /^agent web app: GET \/ failed: Error: model said \\u\{001B\}\[2J\\u\{202E\}boom\n/,
    );
    expect(written.slice(1)).toEqual([
      'agent web app: GET / failed: {"code":7}\n',
      "agent web app: GET / failed: plain\n",
    ]);
  });

  it("loses the entry, never the answer, when stderr cannot be written", () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => {
      throw Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    });

    expect(() => {
      reportToStderr(new Error("x"), "GET /");
    }).not.toThrow();
  });

  it("names a request by its method and path, never its query (a login's code and state)", () => {
    expect(requestName("GET", "/auth/callback?code=abc&state=xyz")).toBe("GET /auth/callback");
    expect(requestName("POST", "/api/chat")).toBe("POST /api/chat");
  });
});

describe("the errors of a chat's stream", () => {
  const streamErrors = () => {
    const reported: unknown[] = [];
    const errors = new StreamErrors(clientErrorText, errorSerializer, (error) =>
      reported.push(error),
    );
    return { errors, reported };
  };

  it("reports an unexpected error once, and not the AI SDK's echo of the text written for it", () => {
    const { errors, reported } = streamErrors();
    const bug = new TypeError("Cannot read properties of undefined (reading 'content')");

    expect(errors.text(bug)).toBe(UNEXPECTED_ERROR_TEXT);
    expect(errors.text(bug)).toBe(UNEXPECTED_ERROR_TEXT);
    // processUIMessageStream hands each error part back as an Error of its text.
    errors.text(new Error(UNEXPECTED_ERROR_TEXT));

    expect(reported).toEqual([bug]);
  });

  it("reports no interrupt, nor the echo of the interrupt part it writes (a purchase that waits is no failure)", () => {
    const { errors, reported } = streamErrors();
    const pending = new AuthorizationPendingInterrupt(
      "Waiting for the person to approve: Buy 1 ABC laptop",
      { id: "req1", requestedAt: 0, expiresIn: 300, interval: 5 },
    );
    // As streamText's onFinish throws it for a tool call that ended in an interrupt.
    const part = errors.serialized({
      cause: pending,
      toolCallId: "call_1",
      toolName: "shop_online",
      toolArgs: { product: "ABC laptop", qty: 1 },
    });

    expect(part).toMatch(/^AUTH0_AI_INTERRUPTION:/);
    errors.text(new Error(part));
    errors.serialized(new Error(part));

    expect(reported).toEqual([]);
  });
});
