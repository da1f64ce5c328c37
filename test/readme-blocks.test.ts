import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

import { blockUnder, exampleFileBlocks, testkitExampleBlock } from "./support/readme-example.js";
import type { BlockLanguage } from "./support/readme-example.js";

/**
 * Every README example is run by a test: each fenced block of README.md, apps/<app>/README.md,
 * packages/<package>/README.md and docs/<page>.md is read by a test (through
 * test/support/readme-example.ts, whose calls are found here in the tests' sources) or is
 * named below as no example, with the reason. A block added with neither fails here.
 */

/** Blocks that are no example to run, by file and first line, each with why. */
const NOT_EXAMPLES: readonly { file: string; firstLine: string; reason: string }[] = [
  {
    file: "README.md",
    firstLine: "npm install -g pnpm@10.34.8 && pnpm install",
    reason:
      "the machine's set-up, which every test run follows; its second line, pnpm demo, is run by test/e2e/demo.e2e.test.ts",
  },
  {
    file: "README.md",
    firstLine: "sequenceDiagram",
    reason: "Mermaid diagrams of the flow (two), drawn by GitHub, not run",
  },
  {
    file: "README.md",
    firstLine:
      "npx auth0-deploy-cli@8.44.0 import --config_file config.json --input_file auth0/tenant.yaml",
    reason:
      "imports into a real Auth0 tenant, which these machines do not reach; test/e2e/deploy-cli-tenant.e2e.test.ts checks the file it imports with the Deploy CLI's own schema",
  },
  {
    file: "README.md",
    firstLine: "for dir in apps/mock-auth0 apps/shop-api apps/model-server packages/testkit; do",
    reason:
      "test/e2e/testkit-pack.e2e.test.ts packs the same four packages (one recursive pnpm pack, the same tarballs) and installs them with npm in one command, as the block does, into a project of its own rather than ~/my-agent",
  },
];

interface Block {
  file: string;
  /** The index of its opening fence in the file's text. */
  index: number;
  line: number;
  lang: string;
  firstLine: string;
}

/** The Markdown files whose blocks are examples. */
function documents(): string[] {
  const inFolder = (folder: string, pick: (name: string) => boolean) =>
    readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true })
      .filter((entry) => pick(entry.name))
      .map((entry) => path.posix.join(folder, entry.name));
  const readmes = (folder: string) =>
    readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.posix.join(folder, entry.name, "README.md"))
      .filter((file) => {
        try {
          readFileSync(path.join(REPO_ROOT, file));
          return true;
        } catch {
          return false;
        }
      });
  return [
    "README.md",
    ...readmes("apps"),
    ...readmes("packages"),
    ...inFolder("docs", (name) => name.endsWith(".md")),
  ];
}

const text = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");

/** Each fenced block of `file` (CommonMark: ``` or ~~~, indented in a list item or not). */
function blocksOf(file: string): Block[] {
  const lines = text(file).split("\n");
  const starts: number[] = [];
  lines.reduce((at, line) => (starts.push(at), at + line.length + 1), 0);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(\s*)(`{3,}|~{3,})([^`\s]*)/.exec(lines[i] ?? "");
    if (open === null) continue;
    const [, indent = "", fence = "", lang = ""] = open;
    blocks.push({
      file,
      index: (starts[i] ?? 0) + indent.length,
      line: i + 1,
      lang,
      firstLine: (lines[i + 1] ?? "").trim(),
    });
    // Its closing fence: the next line that starts with the same fence.
    i += 1;
    while (i < lines.length && !(lines[i] ?? "").trim().startsWith(fence)) i += 1;
  }
  return blocks;
}

/** The test sources: test/ and each package's own tests. */
function testSources(): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(path.join(REPO_ROOT, folder), { withFileTypes: true })) {
      const file = path.posix.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && entry.name !== "fixtures") walk(file);
      } else if (entry.name.endsWith(".ts") && file !== "test/support/readme-example.ts") {
        found.push(file);
      }
    }
  };
  walk("test");
  for (const group of ["apps", "packages"]) {
    for (const entry of readdirSync(path.join(REPO_ROOT, group), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.posix.join(group, entry.name, "src"));
    }
  }
  return found;
}

const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
/** `readmeBlockUnder("<file>", "<heading>", "<lang>"[, <nth>])`, its arguments written out. */
const LITERAL_CALL = new RegExp(
  String.raw`readmeBlockUnder\(\s*(${STRING}),\s*(${STRING}),\s*"(\w+)"(?:,\s*(\d+))?,?\s*\)`,
  "g",
);

/** Each block the tests read, as `<file>@<index of its fence>`, and the calls it cannot tell. */
function blocksReadByTests(): { read: Set<string>; unreadable: string[] } {
  const read = new Set<string>();
  const unreadable: string[] = [];
  for (const source of testSources()) {
    const code = text(source);
    if (source === "test/readme-blocks.test.ts") continue;
    const calls = code.match(/readmeBlockUnder\(/g)?.length ?? 0;
    const literal = [...code.matchAll(LITERAL_CALL)];
    if (literal.length !== calls) {
      unreadable.push(`${source}: a readmeBlockUnder call whose arguments are not all written out`);
    }
    for (const [, fileArg = "", headingArg = "", lang = "", nth = "0"] of literal) {
      const file = JSON.parse(fileArg) as string;
      const heading = JSON.parse(headingArg) as string;
      const found = blockUnder(text(file), heading, lang as BlockLanguage, Number(nth));
      if (found === undefined) unreadable.push(`${source}: no ${lang} block under "${heading}"`);
      else read.add(`${file}@${String(found.index)}`);
    }
    for (const [, file = ""] of code.matchAll(/readmeExampleFiles\(\s*(".*?")\s*\)/g)) {
      const name = JSON.parse(file) as string;
      for (const index of exampleFileBlocks(text(name))) read.add(`${name}@${String(index)}`);
    }
    if (code.includes("readmeExample()")) {
      const index = testkitExampleBlock(text("README.md"));
      if (index !== undefined) read.add(`README.md@${String(index)}`);
    }
  }
  return { read, unreadable };
}

const listed = (
  list: readonly { file: string; firstLine: string }[],
  { file, firstLine }: Block,
): boolean => list.some((entry) => entry.file === file && entry.firstLine === firstLine);

describe("the documents' fenced blocks", () => {
  const blocks = documents().flatMap(blocksOf);
  const { read, unreadable } = blocksReadByTests();

  it("are each read by a test, or named as no example with the reason", () => {
    expect(unreadable).toEqual([]);
    const unread = blocks
      .filter((block) => !read.has(`${block.file}@${String(block.index)}`))
      .filter((block) => !listed(NOT_EXAMPLES, block))
      .map(({ file, line, lang, firstLine }) => `${file}:${String(line)} ${lang} ${firstLine}`);
    expect(unread).toEqual([]);
  });

  it("name no block a test reads as no example, and none that is gone", () => {
    const stale = NOT_EXAMPLES.filter(
      (entry) =>
        !blocks.some(
          (block) => listed([entry], block) && !read.has(`${block.file}@${String(block.index)}`),
        ),
    );
    expect(stale).toEqual([]);
  });
});
