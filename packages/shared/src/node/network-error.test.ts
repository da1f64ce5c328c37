import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";

import { describe, expect, it } from "vitest";

import { classifyNetworkError } from "./network-error.js";

const withCode = (code: string) => Object.assign(new Error(code), { code });
const fetchFailed = (cause: unknown) => new TypeError("fetch failed", { cause });

describe("classifyNetworkError", () => {
  it.each([
    ["SELF_SIGNED_CERT_IN_CHAIN", "tls_untrusted"],
    ["CERT_UNTRUSTED", "tls_untrusted"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls_untrusted"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls_hostname"],
    ["EPROTO", "tls_handshake"],
    ["ECONNREFUSED", "connection_refused"],
    ["ENOTFOUND", "dns"],
    ["ECONNRESET", "connection_reset"],
    ["ETIMEDOUT", "timeout"],
  ])("sorts %s inside fetch's cause as %s", (code, failure) => {
    expect(classifyNetworkError(fetchFailed(withCode(code)))).toMatchObject({ failure, code });
  });

  it("looks inside an AggregateError (a host with several addresses) and SDK wrappers", () => {
    const aggregate = new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]);
    const wrapped = Object.assign(new Error("request failed"), { cause: fetchFailed(aggregate) });
    expect(classifyNetworkError(wrapped)).toMatchObject({ failure: "connection_refused" });
  });

  it("names a timeout and keeps every message of the chain", () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    expect(classifyNetworkError(timeout)).toMatchObject({ failure: "timeout" });
    expect(classifyNetworkError(fetchFailed(new Error("other side closed")))).toEqual({
      failure: "unreachable",
      detail: "fetch failed: other side closed",
    });
  });

  it("is undefined for errors that are not about the network", () => {
    expect(classifyNetworkError(new Error("boom"))).toBeUndefined();
    expect(classifyNetworkError({ error: "access_denied" })).toBeUndefined();
  });

  it("sorts the errors Node really throws: refused, and plain HTTP on an https URL", async () => {
    const server = createHttpServer((_req, res) => res.end("plain"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const handshake = await fetch(`https://127.0.0.1:${port}/`).catch((e: unknown) => e);
      expect(classifyNetworkError(handshake)).toMatchObject({ failure: "tls_handshake" });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // The port was just freed: nothing listens there now.
    const refused = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(classifyNetworkError(refused)).toMatchObject({ failure: "connection_refused" });
  });

  it("names a port fetch refuses before it connects (the Fetch standard's bad ports)", async () => {
    const blocked = await fetch("http://127.0.0.1:6000/").catch((e: unknown) => e);
    expect(classifyNetworkError(blocked)).toEqual({
      failure: "blocked_port",
      code: "bad port: fetch refuses to connect to this port, as browsers do; use another port",
      detail: "fetch failed: bad port",
    });
  });
});
