import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Script } from "node:vm";

import { afterEach, describe, expect, it } from "vitest";

import { PREBUILT_CHAT_CLIENT_FORMAT } from "./chat-client-build.js";
import {
  ChatScriptCompileError,
  bundleChatClient,
  chatClientScript,
  readPrebuiltChatClient,
} from "./client-bundle.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A file holding `content` (JSON unless a string), in a folder of its own. */
function fileWith(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), "chat-client-"));
  dirs.push(dir);
  const file = path.join(dir, "chat-client.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

const RECORD = {
  format: PREBUILT_CHAT_CLIENT_FORMAT,
  text: "console.log('built');",
  sources: [
    { file: "/repo/client/chat.ts", modifiedAt: 10 },
    { file: "/repo/pnpm-lock.yaml", modifiedAt: 20 },
  ],
};

describe("the chat page's script the build bundled", () => {
  it("is read with each source's time as the build saw it", async () => {
    await expect(readPrebuiltChatClient(fileWith(RECORD))).resolves.toEqual({
      text: "console.log('built');",
      sources: ["/repo/client/chat.ts", "/repo/pnpm-lock.yaml"],
      stamps: [10, 20],
    });
  });

  it("is none where there is no file, no JSON, or a record of another format", async () => {
    const missing = path.join(path.dirname(fileWith("")), "no-such-file.json");
    for (const file of [
      missing,
      fileWith("{ not json"),
      fileWith({ ...RECORD, format: PREBUILT_CHAT_CLIENT_FORMAT + 1 }),
      fileWith({ ...RECORD, sources: [{ file: "/repo/client/chat.ts" }] }),
    ]) {
      await expect(readPrebuiltChatClient(file)).resolves.toBeUndefined();
    }
  });

  it("is served without bundling while its sources are as the build read them, and bundled again once one changed", async () => {
    const changedAt = new Map([
      ["/repo/client/chat.ts", 10],
      ["/repo/pnpm-lock.yaml", 20],
    ]);
    let bundles = 0;
    let lookups = 0;
    const script = chatClientScript(
      () => {
        bundles += 1;
        return Promise.resolve({ text: `bundled ${String(bundles)}`, sources: [] });
      },
      (file) => Promise.resolve(changedAt.get(file)),
      () => {
        lookups += 1;
        return readPrebuiltChatClient(fileWith(RECORD));
      },
    );
    // Requests at once share the one lookup.
    await expect(Promise.all([script(), script(), script()])).resolves.toEqual([
      RECORD.text,
      RECORD.text,
      RECORD.text,
    ]);
    expect([bundles, lookups]).toEqual([0, 1]);
    // A new install (the lockfile) changes what the script bundles from the packages.
    changedAt.set("/repo/pnpm-lock.yaml", 21);
    await expect(script()).resolves.toBe("bundled 1");
    await expect(script()).resolves.toBe("bundled 1");
    expect([bundles, lookups]).toEqual([1, 1]);
  });

  it("is bundled at the first request where the build's is stale or missing", async () => {
    for (const prebuilt of [
      () =>
        readPrebuiltChatClient(
          fileWith({ ...RECORD, sources: [{ file: "/gone", modifiedAt: 1 }] }),
        ),
      () => Promise.resolve(undefined),
      () => Promise.reject(new Error("unreadable")),
    ]) {
      let bundles = 0;
      const script = chatClientScript(
        () => {
          bundles += 1;
          return Promise.resolve({ text: "bundled", sources: [] });
        },
        () => Promise.resolve(undefined),
        prebuilt,
      );
      await expect(script()).resolves.toBe("bundled");
      expect(bundles).toBe(1);
    }
  });
});

describe("the chat page's script when it does not compile", () => {
  it("fails to bundle with esbuild's errors, each naming its file from the repository and its line", async () => {
    const file = path.join(path.dirname(fileWith("")), "chat.ts");
    writeFileSync(file, "export const fine = 1;\nexport const broken: number = ;\n");
    const failure = await bundleChatClient(file).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChatScriptCompileError);
    const shown = path.relative(path.resolve(import.meta.dirname, "../../../.."), file);
    expect((failure as ChatScriptCompileError).errors).toEqual([
      `${shown.split(path.sep).join("/")}:2: Unexpected ";"`,
    ]);
  });

  it("is answered with a script that shows the errors, reported in one line once until they change, and bundled again at each request", async () => {
    let errors = ['apps/agent/src/web/client/chat.ts:9: Unexpected ";"'];
    let bundles = 0;
    const reports: (readonly string[])[] = [];
    const script = chatClientScript(
      () => {
        bundles += 1;
        return Promise.reject(new ChatScriptCompileError(errors));
      },
      () => Promise.resolve(undefined),
      () => Promise.resolve(undefined),
      (reported) => reports.push(reported),
    );
    const answer = await script();
    expect(() => new Script(answer)).not.toThrow();
    expect(answer).toContain(JSON.stringify(errors));
    expect(answer).toContain("The chat page's script does not compile");
    await expect(script()).resolves.toBe(answer);
    expect([bundles, reports]).toEqual([2, [errors]]);
    errors = ["apps/agent/src/web/client/chat.ts:9: Expected identifier"];
    await script();
    expect(reports).toEqual([reports[0], errors]);
  });

  it("leaves any other failure to the app's error handler", async () => {
    const script = chatClientScript(
      () => Promise.reject(new Error("esbuild is not installed")),
      () => Promise.resolve(undefined),
      () => Promise.resolve(undefined),
      () => {
        throw new Error("not reported here");
      },
    );
    await expect(script()).rejects.toThrow("esbuild is not installed");
  });
});
