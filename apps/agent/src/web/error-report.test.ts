import { afterEach, describe, expect, it, vi } from "vitest";

import { reportToStderr, requestName } from "./error-report.js";

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
