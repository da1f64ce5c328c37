import { readFileSync } from "node:fs";
import path from "node:path";

import { afterEach, describe, expect, it, vi } from "vitest";

import { runCli } from "./cli.js";
import { readCorpus, understand, understandReply } from "./test-support/corpus.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The requests a document shows: `pnpm agent ... "<request>"`, `echo "<request>" | pnpm agent`,
 * `agent.run("<request>")`, and a quoted request in prose ("buy two XYZ phones and ...").
 */
function requestsIn(text: string): string[] {
  const flat = text.replace(/\s*\n\s*/g, " ");
  const patterns = [
    /pnpm agent\b[^"\n]*?"((?:[^"\\]|\\.)+)"/g,
    /echo "((?:[^"\\]|\\.)+)" \| pnpm agent/g,
    /\.run\("([^"]+)"\)/g,
    /"((?:buy|order|get|purchase|could you|can you|i need)\b[^"]*)"/gi,
  ];
  const found = patterns.flatMap((pattern) =>
    [...(pattern === patterns[3] ? flat : text).matchAll(pattern)].map(([, request = ""]) =>
      request.replace(/\\(.)/g, "$1"),
    ),
  );
  // "<request>" is a placeholder, not an example.
  return [...new Set(found)].filter((request) => !/^<.*>$/.test(request));
}

async function helpText(): Promise<string> {
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  expect(await runCli(["node", "agent", "--help"], {})).toBe(0);
  return stdout.mock.calls.map(([chunk]) => String(chunk)).join("");
}

const corpus = new Map(readCorpus().map((entry) => [entry.request, entry.expected]));

describe("the documented examples", () => {
  it.each([["README.md"], ["apps/agent/README.md"]])(
    "in %s are in the corpus and read as it says",
    (file) => {
      const requests = requestsIn(read(file));
      expect(requests.length).toBeGreaterThan(0);
      for (const request of requests) {
        expect(
          corpus.has(request),
          `${file}: ${JSON.stringify(request)} is not in the corpus`,
        ).toBe(true);
        expect(understand(request), request).toBe(corpus.get(request));
      }
    },
  );

  it("in pnpm agent --help are in the corpus and read as it says", async () => {
    const requests = requestsIn(await helpText());
    expect(requests).toContain("Buy 2 XYZ phones under $1000 and a USB-C cable");
    for (const request of requests) {
      expect(corpus.has(request), `--help: ${JSON.stringify(request)} is not in the corpus`).toBe(
        true,
      );
      expect(understand(request), request).toBe(corpus.get(request));
    }
  });

  it("in the agent README's table read as the table says", () => {
    // Rows whose second column is a reading: "2 x XYZ phone <= 300 + ...", "? negated".
    const rows = [
      ...read("apps/agent/README.md").matchAll(
        /^\| `([^`]+)` +\| ((?:\d+ x [^|]+?)|(?:\? [a-z_]+)) +\|$/gm,
      ),
    ];
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const [, request = "", documented = ""] of rows) {
      expect(understand(request), request).toBe(documented);
      expect(corpus.get(request), `${request} is not in the corpus as documented`).toBe(documented);
    }
  });

  it("in the agent README's table of replies read as the table says", () => {
    // Rows of a request, the person's reply to the model's question about it, and a reading.
    const rows = [
      ...read("apps/agent/README.md").matchAll(
        /^\| `([^`]+)` +\| `([^`]+)` +\| ((?:\d+ x [^|]+?)|(?:\? [a-z_]+)) +\|$/gm,
      ),
    ];
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [, request = "", reply = "", documented = ""] of rows) {
      expect(understandReply(request, reply), `${request} / ${reply}`).toBe(documented);
    }
  });
});
