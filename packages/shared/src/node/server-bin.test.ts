import { describe, expect, it } from "vitest";

import { serverBinHelp } from "./server-bin.js";

describe("a server bin's --help", () => {
  it("names its options, the ready record and every variable", () => {
    const help = serverBinHelp({
      name: "shop-api",
      about: ["The sample shop's API."],
      portVariable: "SHOP_API_PORT",
      readyExample: '{"ready":true}',
      variables: { SHOP_API_PORT: "port to listen on", LOG_LEVEL: "pino level" },
    });
    expect(help).toContain(
      "Usage: shop-api [--port <port>] [--ready-file <file>] [--exit-with-stdin] [--help]",
    );
    expect(help).toContain("--exit-with-stdin    stop as on SIGTERM once stdin closes");
    expect(help).toContain("(sets SHOP_API_PORT); 0 picks a free port");
    expect(help).toContain('  {"ready":true}');
    expect(help).toContain("  SHOP_API_PORT  port to listen on\n  LOG_LEVEL      pino level");
  });
});
