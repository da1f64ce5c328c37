import { writeFile, rm } from "node:fs/promises";
import path from "node:path";

import { systemClock } from "@ciba-testbed/shared";
import { makeScratchFolder } from "@ciba-testbed/shared/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { bundleChatClient, chatClientScript } from "../../apps/agent/src/web/client-bundle.js";
import { LoginSessions } from "../../apps/agent/src/web/login-sessions.js";
import { startWebAppAlone, type WebAppAlone } from "../support/web-app-alone.js";

/**
 * The chat page in Chromium while its script does not compile (`pnpm dev` with an edit of
 * apps/agent/src/web/client/chat.ts that breaks it, or a run of the agent that built without
 * it): the web app, in this process, bundles a script that does not compile at the page's
 * request, as it bundles chat.ts when the build has none current.
 */
describe("the chat page whose script does not compile", () => {
  let alone: WebAppAlone;
  let scratch: string;
  const reports: (readonly string[])[] = [];

  beforeAll(async () => {
    scratch = await makeScratchFolder("ciba-chat-script-error-");
    const entry = path.join(scratch, "chat.ts");
    await writeFile(entry, "export const fine = 1;\nexport const broken: number = ;\n");
    alone = await startWebAppAlone("s".repeat(32), {
      sessions: new LoginSessions(systemClock),
      clientScript: chatClientScript(
        () => bundleChatClient(entry),
        undefined,
        () => Promise.resolve(undefined),
        (errors) => reports.push(errors),
      ),
    });
  });

  afterAll(async () => {
    await alone.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it("says so on the page, with esbuild's error, file and line, and the log gets one line of it", async () => {
    const { browser, baseUrl } = alone;
    const page = await browser.newPage();
    const logged: string[] = [];
    page.on("console", (message) => logged.push(`${message.type()}: ${message.text()}`));
    const answer = page.waitForResponse(`${baseUrl}/assets/chat.js`);
    await page.goto(baseUrl);
    const alert = page.getByRole("alert");
    await alert.getByRole("heading", { name: "The chat page's script does not compile" }).waitFor();
    const where = `${path
      .relative(path.resolve(import.meta.dirname, "../.."), path.join(scratch, "chat.ts"))
      .split(path.sep)
      .join("/")}:2: Unexpected ";"`;
    await expect(alert.textContent()).resolves.toContain(where);
    await expect(alert.textContent()).resolves.toContain(
      "Correct the error below, then reload this page.",
    );
    // The hint that asks for a purchase goes: nothing can be asked.
    await expect(page.getByText("Ask for a purchase").isVisible()).resolves.toBe(false);
    const response = await answer;
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toMatch(/^text\/javascript/);
    expect(logged).toContainEqual(
      expect.stringContaining(`error: The chat page's script does not compile:\n${where}`),
    );
    // Reloaded, the page says it again; the log does not.
    await page.reload();
    await alert.getByRole("heading", { name: "The chat page's script does not compile" }).waitFor();
    expect(reports).toEqual([[where]]);
    await page.close();
  });
});
