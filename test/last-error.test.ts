import { describe, expect, it } from "vitest";

import { lastErrorOf } from "../scripts/stack/last-error.js";

// `pnpm dev` quotes a service that stopped by the last error it printed (scripts/dev.ts).
describe("lastErrorOf", () => {
  it("takes the message of the last pino record at error or above, past later records", () => {
    const lines = [
      JSON.stringify({ level: 30, msg: "starting" }),
      JSON.stringify({ level: 50, msg: "database locked" }),
      JSON.stringify({ level: 30, msg: "closing" }),
    ];
    expect(lastErrorOf(lines)).toBe("database locked");
  });

  it("takes an uncaught error's line, not its stack, Node's trailer or a code frame", () => {
    const lines = [
      "/work/app/main.js:3",
      "  3 | throw new Error('boom')",
      "    ^",
      "Error: boom",
      "    at main (/work/app/main.js:3:9)",
      "",
      "Node.js v20.19.0",
    ];
    expect(lastErrorOf(lines)).toBe("Error: boom");
  });

  it("joins an item of a list to its heading", () => {
    const lines = ["Invalid tenant: auth0/tenant.yaml", "  - clients[0].name is missing"];
    expect(lastErrorOf(lines)).toBe("Invalid tenant: auth0/tenant.yaml clients[0].name is missing");
  });

  it("quotes a list by its first item, the one to fix first, and counts the others", () => {
    const lines = [
      "Loading the tenant",
      "Invalid tenant: auth0/tenant.yaml",
      "  - clients[0].name is missing",
      "  - clients[0].grant_types[1] is not a grant type",
      "",
      "  - resource_servers[0].identifier is missing",
    ];
    expect(lastErrorOf(lines)).toBe(
      "Invalid tenant: auth0/tenant.yaml clients[0].name is missing (and 2 more above)",
    );
    expect(lastErrorOf(["  - port 4010 is taken", "  - port 4020 is taken"])).toBe(
      "port 4010 is taken (and 1 more above)",
    );
  });

  it("with errorsOnly, passes over a banner and notes for an uncaught error or an error record", () => {
    const banner = ["mock-auth0 is serving https://localhost:4010/", "Approver page: /approver"];
    expect(lastErrorOf(banner, { errorsOnly: true })).toBeUndefined();
    expect(
      lastErrorOf([...banner, "TypeError: x is not a function", "    at f (a.js:1:1)"], {
        errorsOnly: true,
      }),
    ).toBe("TypeError: x is not a function");
    expect(
      lastErrorOf([JSON.stringify({ level: 60, msg: "out of memory" }), ...banner], {
        errorsOnly: true,
      }),
    ).toBe("out of memory");
  });

  it("strips terminal colours and finds nothing in blank output", () => {
    expect(lastErrorOf(["\u001b[31mfailed to bind\u001b[39m"])).toBe("failed to bind");
    expect(lastErrorOf(["", "   "])).toBeUndefined();
    expect(lastErrorOf([JSON.stringify({ level: 30, msg: "info only" })])).toBeUndefined();
  });
});
