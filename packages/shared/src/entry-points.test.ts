import { describe, expect, it } from "vitest";

import * as http from "./http/index.js";
import * as shared from "./index.js";
import * as node from "./node/index.js";

// What the apps import by package name: a piece that exists but is not exported is not shared.
describe("the package's entry points", () => {
  it.each([
    [
      "@ciba-testbed/shared",
      shared,
      ["parseEnv", "portSchema", "ConfigError", "systemClock", "ManualClock", "OAuthError"],
    ],
    [
      "@ciba-testbed/shared/http",
      http,
      [
        "defineErrors",
        "createErrorHandler",
        "requestReadError",
        "verifyJsonBody",
        "logLevelSchema",
        "LOG_LEVELS",
      ],
    ],
    ["@ciba-testbed/shared/node", node, ["classifyNetworkError", "localCaToTrust"]],
  ])("%s exports what the apps import", (_name, entry, names) => {
    for (const name of names) expect(entry, name).toHaveProperty(name);
  });
});
