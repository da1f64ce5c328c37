import { readFileSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";

const MARKER = "<!-- testkit-example -->";

/** The README's testkit example: the first fenced block after its marker, as written. */
export function readmeExample(): string {
  const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
  const after = readme.slice(readme.indexOf(MARKER) + MARKER.length);
  const block = /```ts\n([\s\S]*?)\n```/.exec(after);
  if (!readme.includes(MARKER) || block?.[1] === undefined) {
    throw new Error(`README.md has no \`\`\`ts block after ${MARKER}`);
  }
  return `${block[1]}\n`;
}

const NAMED_EXAMPLE = /<!-- example: ([\w.-]+) -->\s*```(?:ts|js)\n([\s\S]*?)\n```/g;

/**
 * A README's examples that are files of a project, each a fenced block after an
 * `<!-- example: <file name> -->` marker, as written: file name -> text.
 */
export function readmeExampleFiles(readmePath: string): Map<string, string> {
  const readme = readFileSync(path.join(REPO_ROOT, readmePath), "utf8");
  const files = new Map<string, string>();
  for (const [, name = "", text = ""] of readme.matchAll(NAMED_EXAMPLE))
    files.set(name, `${text}\n`);
  if (files.size === 0) throw new Error(`${readmePath} has no <!-- example: <file> --> blocks`);
  return files;
}

/**
 * A fenced block of `lang` under `heading` in a README of the repository, as written: the first,
 * or the one `nth` (from 0) of that language after the heading.
 */
export function readmeBlockUnder(
  readmePath: string,
  heading: string,
  lang: BlockLanguage,
  nth = 0,
): string {
  const readme = readFileSync(path.join(REPO_ROOT, readmePath), "utf8");
  const found = blockUnder(readme, heading, lang, nth);
  if (found === undefined) throw new Error(`${readmePath} has no ${lang} block under "${heading}"`);
  return found.text;
}

/** The languages of the fenced blocks `readmeBlockUnder` reads. */
export type BlockLanguage = "sh" | "ts" | "js" | "yaml" | "dotenv" | "text" | "json" | "sql";

/**
 * Where `readmeBlockUnder` finds its block in `readme`'s text: the index of its opening fence,
 * and its text. test/readme-blocks.test.ts asks it which block each test reads.
 */
export function blockUnder(
  readme: string,
  heading: string,
  lang: BlockLanguage,
  nth = 0,
): { index: number; text: string } | undefined {
  const at = readme.indexOf(heading);
  if (at === -1) return undefined;
  const blocks = [
    ...readme.slice(at).matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g")),
  ];
  const block = blocks[nth];
  return block?.[1] === undefined ? undefined : { index: at + block.index, text: block[1] };
}

/** The index of the opening fence of each block `readmeExampleFiles` reads in `readme`. */
export function exampleFileBlocks(readme: string): number[] {
  return [...readme.matchAll(NAMED_EXAMPLE)].map((match) => match.index + match[0].indexOf("```"));
}

/** The index of the opening fence of the block `readmeExample` reads in README.md's text. */
export function testkitExampleBlock(readme: string): number | undefined {
  const at = readme.indexOf(MARKER);
  const fence = readme.indexOf("```ts\n", at);
  return at === -1 || fence === -1 ? undefined : fence;
}

/**
 * The JSON answers a README's shell example prints, one after another (curl prints no newline
 * after a body, so they may share a line).
 */
export function printedAnswers(stdout: string): Record<string, unknown>[] {
  return stdout
    .replace(/}\s*{/g, "}\n{")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
