import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { serializeError } from "@ciba-testbed/shared/http";
import { BUILD_DIR, LAZY_SOURCE_MAPS } from "../scripts/build.js";

// The servers run from their build without Node's source maps (LAZY_SOURCE_MAPS): the stacks
// they log are mapped to the TypeScript by their loggers' error serializer.
const SERVERS = [
  {
    server: "shop-api",
    text: "shop-api could not listen",
    source: "apps/shop-api/src/serve.ts",
  },
  {
    server: "mock-auth0",
    text: "mock-auth0 failed to start",
    source: "apps/mock-auth0/src/main.ts",
  },
] as const;

/** A stack frame at the built code that says `text`, as Node prints it. */
function builtFrame(text: string): string {
  for (const file of readdirSync(BUILD_DIR).filter((name) => name.endsWith(".js"))) {
    const lines = readFileSync(path.join(BUILD_DIR, file), "utf8").split("\n");
    const row = lines.findIndex((line) => line.includes(text));
    if (row === -1) continue;
    const column = lines[row]!.indexOf(text) + 1;
    return `    at Server.<anonymous> (${path.join(BUILD_DIR, file)}:${String(row + 1)}:${String(column)})`;
  }
  throw new Error(`no built file says "${text}"`);
}

/** `run` with Node's own stack mapping `enabled` or not; the process's setting is restored. */
function withNodeMapping<T>(enabled: boolean, run: () => T): T {
  const before = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(enabled);
  try {
    return run();
  } finally {
    process.setSourceMapsEnabled(before);
  }
}

describe.each(SERVERS)("$server's logged errors", ({ server, text, source }) => {
  it("run without Node's source maps", () => {
    expect(LAZY_SOURCE_MAPS.has(server)).toBe(true);
  });

  it("point the stack at the TypeScript source when Node does not map it", () => {
    const error = new Error("listen EADDRINUSE");
    error.stack = `Error: listen EADDRINUSE\n${builtFrame(text)}`;
    const logged = withNodeMapping(false, () => serializeError(error));
    expect(logged).toMatchObject({ type: "Error", message: "listen EADDRINUSE" });
    const [first, frame, ...rest] = logged.stack.split("\n");
    expect([first, rest]).toEqual(["Error: listen EADDRINUSE", []]);
    expect(frame).toMatch(/^ {4}at Server\.<anonymous> \(.+:\d+:\d+\)$/);
    expect(frame).toContain(`(${path.resolve(BUILD_DIR, "..", source)}:`);
  });

  it("leave the stack as it is when Node maps stacks itself", () => {
    const error = new Error("listen EADDRINUSE");
    error.stack = `Error: listen EADDRINUSE\n${builtFrame(text)}`;
    expect(withNodeMapping(true, () => serializeError(error)).stack).toBe(error.stack);
  });
});
