import { stat } from "node:fs/promises";

import { bundleChatClient, readPrebuiltChatClient } from "../apps/agent/src/web/client-bundle.js";
import { describe, expect, it } from "vitest";

// The build (global setup) bundles the chat page's script for the web app to serve: it must be
// the script the web app would bundle itself, recorded with the times of today's sources.
describe("the chat page's script in build/", () => {
  it("is the one the web app bundles, from the sources as they are now, the lockfile among them", async () => {
    const prebuilt = await readPrebuiltChatClient();
    expect(prebuilt).toBeDefined();
    const bundled = await bundleChatClient();
    expect(prebuilt?.text).toBe(bundled.text);
    expect(prebuilt?.sources.filter((file) => !file.endsWith("pnpm-lock.yaml")).sort()).toEqual(
      [...bundled.sources].sort(),
    );
    expect(prebuilt?.sources.some((file) => file.endsWith("pnpm-lock.yaml"))).toBe(true);
    const now = await Promise.all(
      (prebuilt?.sources ?? []).map(async (file) => (await stat(file)).mtimeMs),
    );
    expect(now).toEqual(prebuilt?.stamps);
  });
});
