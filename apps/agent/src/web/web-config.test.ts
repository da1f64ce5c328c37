import { LOCAL_DEFAULTS } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { loadWebConfig } from "./web-config.js";

describe("loadWebConfig", () => {
  it("is at http://localhost:<AGENT_PORT> on the default host, as in Auth0's quickstart", () => {
    expect(loadWebConfig({ AGENT_PORT: "3001" }).baseUrl).toBe("http://localhost:3001");
    expect(loadWebConfig({ AGENT_HOST: "0.0.0.0" }).baseUrl).toBe("http://localhost:3000");
  });

  it("is at the address it listens on when localhost does not reach it", () => {
    expect(loadWebConfig({ AGENT_HOST: "127.0.0.4", AGENT_PORT: "3001" }).baseUrl).toBe(
      "http://127.0.0.4:3001",
    );
    expect(loadWebConfig({ AGENT_HOST: "::1" }).baseUrl).toBe("http://[::1]:3000");
  });

  it("takes a tenant on another loopback address as the local tenant: its client, its approver page, no AUTH0_SECRET", () => {
    const config = loadWebConfig({ AUTH0_DOMAIN: "127.0.0.2:4010" });
    expect(config.agent.auth0).toEqual({
      domain: "127.0.0.2:4010",
      clientId: LOCAL_DEFAULTS.clientId,
      clientSecret: LOCAL_DEFAULTS.clientSecret,
    });
    expect(config.approverUrl).toBe("https://127.0.0.2:4010/approver");
  });
});
