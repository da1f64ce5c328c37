import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { describe, expect, it } from "vitest";

/**
 * docs/auth0-fidelity.md stays true: every row names what Auth0 does with a source, a status,
 * and the tests that pin it, and every test it names exists. A test renamed or deleted, or a
 * row added without a source or a test, fails here.
 */
const DOC = path.join(REPO_ROOT, "docs", "auth0-fidelity.md");
const HEADER = ["behaviour", "Auth0", "mock-auth0", "status", "pinned by"];
const STATUSES = ["same", "deliberate difference", "differs", "unverified"] as const;

interface FidelityRow {
  line: number;
  section: string;
  behaviour: string;
  auth0: string;
  mock: string;
  status: string;
  pinnedBy: string;
  /** Cells in the row: 5, unless a bare `|` split one. */
  width: number;
}

/** A table row's cells; `\|` inside a cell is a literal bar. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));
}

function fidelityRows(text: string): FidelityRow[] {
  const rows: FidelityRow[] = [];
  let section = "";
  let inTable = false;
  text.split("\n").forEach((line, index) => {
    if (line.startsWith("## ")) section = line.slice(3).trim();
    if (!line.startsWith("|")) {
      inTable = false;
      return;
    }
    const row = cells(line);
    if (row.join("|") === HEADER.join("|")) {
      inTable = true;
      return;
    }
    if (!inTable || /^-+$/.test(row[0] ?? "")) return;
    const [behaviour = "", auth0 = "", mock = "", status = "", pinnedBy = ""] = row;
    rows.push({
      line: index + 1,
      section,
      behaviour,
      auth0,
      mock,
      status,
      pinnedBy,
      width: row.length,
    });
  });
  return rows;
}

function statusOf(row: FidelityRow): (typeof STATUSES)[number] | undefined {
  // The longest name first: "deliberate difference" before "differs".
  return STATUSES.find((status) => row.status.startsWith(status));
}

/** Where a path of the "pinned by" column lives, as "How to read it" says. */
function resolveTestFile(name: string): string | undefined {
  const candidates = name.startsWith("e2e/")
    ? [path.join("test", name)]
    : [name, path.join("apps", "mock-auth0", "src", name), path.join("apps", "agent", "src", name)];
  return candidates.map((c) => path.join(REPO_ROOT, c)).find((file) => existsSync(file));
}

/** The string literals of a test file: where its test names are. */
function literals(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) {
    found.push((match[1] ?? match[2] ?? "").replace(/\\(.)/g, "$1"));
  }
  return found;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether `name` is a test of the file: a literal as written; with "…" the parts around it in
 * one literal, in order ("…too large" for "refuses requested_expiry that is too large"); or one
 * case of an `it.each` whose name has `%s`, `%j`, `%d` or `$field` in it.
 */
function namesATest(name: string, source: string): boolean {
  const parts = name.split("…").filter((part) => part !== "");
  return literals(source).some((literal) => {
    if (literal === name) return true;
    if (name.includes("…")) {
      let from = 0;
      for (const part of parts) {
        const at = literal.indexOf(part, from);
        if (at < 0) return false;
        from = at + part.length;
      }
      return parts.length > 0;
    }
    if (!/%[sjdi]|\$\w/.test(literal)) return false;
    const pattern = literal
      .split(/(%[sjdi]|\$[\w.]+)/)
      .map((piece, i) => (i % 2 === 1 ? ".+" : escape(piece)))
      .join("");
    return new RegExp(`^${pattern}$`).test(name);
  });
}

/** The tests a "pinned by" cell names: `file` › "name", "name"; `file` › "name". */
function pinnedTests(cell: string): { file: string; names: string[] }[] {
  return cell
    .split(/;\s*(?=`)/)
    .map((group) => {
      const file = /^`([^`]+)`/.exec(group.trim())?.[1] ?? "";
      const names = [...group.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? "");
      return { file, names };
    })
    .filter((pin) => pin.file !== "" || pin.names.length > 0);
}

const rows = fidelityRows(readFileSync(DOC, "utf8"));
const where = (row: FidelityRow) => `docs/auth0-fidelity.md:${row.line} (${row.behaviour})`;

describe("docs/auth0-fidelity.md", () => {
  it("has rows", () => {
    expect(rows.length).toBeGreaterThan(50);
  });

  it("gives every row five cells, a behaviour, what the mock does, and one of the four statuses", () => {
    const bad = rows.filter(
      (row) =>
        row.width !== HEADER.length ||
        row.behaviour === "" ||
        row.mock === "" ||
        statusOf(row) === undefined,
    );
    expect(bad.map(where)).toEqual([]);
  });

  it("names a source for what Auth0 does in every row: a [short name], a link, or a docs path", () => {
    const bad = rows.filter((row) => !/\[[^\]]+\]/.test(row.auth0));
    expect(bad.map(where)).toEqual([]);
  });

  it("pins every row with a test file and a test name", () => {
    const bad = rows.filter((row) => {
      const pins = pinnedTests(row.pinnedBy);
      return pins.length === 0 || pins.some((pin) => pin.file === "" || pin.names.length === 0);
    });
    expect(bad.map(where)).toEqual([]);
  });

  it("names only test files and tests that exist", () => {
    const missing: string[] = [];
    for (const row of rows) {
      for (const { file, names } of pinnedTests(row.pinnedBy)) {
        const resolved = resolveTestFile(file);
        if (resolved === undefined) {
          missing.push(`${where(row)}: no file ${file}`);
          continue;
        }
        const source = readFileSync(resolved, "utf8");
        for (const name of names) {
          if (!namesATest(name, source)) missing.push(`${where(row)}: ${file} › "${name}"`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("states the counts the table has", () => {
    const text = readFileSync(DOC, "utf8");
    const count = (status: (typeof STATUSES)[number]) =>
      rows.filter((row) => statusOf(row) === status).length;
    const counts =
      /^(\d+) rows: \*\*(\d+) same\*\*, \*\*(\d+) deliberate differences?\*\*, \*\*(\d+) differ\*\*, \*\*(\d+) unverified\*\*/m.exec(
        text,
      );
    expect(counts?.slice(1).map(Number)).toEqual([
      rows.length,
      count("same"),
      count("deliberate difference"),
      count("differs"),
      count("unverified"),
    ]);
  });
});

describe("the fidelity table's checks", () => {
  const source = [
    'it("refuses requested_expiry that is too large", () => {});',
    'it.each([["garbage", "x"]])("refuses %s as invalid_token", () => {});',
  ].join("\n");

  it("finds a name as written, with an ellipsis, or as one case of it.each", () => {
    expect(namesATest("refuses requested_expiry that is too large", source)).toBe(true);
    expect(namesATest("…too large", source)).toBe(true);
    expect(namesATest("refuses garbage as invalid_token", source)).toBe(true);
  });

  it("refuses a name that no test has", () => {
    expect(namesATest("refuses requested_expiry that is too small", source)).toBe(false);
    expect(namesATest("…too small", source)).toBe(false);
    expect(namesATest("accepts garbage", source)).toBe(false);
  });

  it("reads the files and names of a pinned-by cell", () => {
    expect(
      pinnedTests('`routes/a.test.ts` › "one", "…two"; `e2e/b.e2e.test.ts` › "three" (2 cases)'),
    ).toEqual([
      { file: "routes/a.test.ts", names: ["one", "…two"] },
      { file: "e2e/b.e2e.test.ts", names: ["three"] },
    ]);
    expect(pinnedTests("none yet")).toEqual([]);
  });
});
