import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import { REPO_ROOT } from "@ciba-testbed/stack";
import { afterEach, describe, expect, it } from "vitest";

import { check } from "../scripts/check.js";

// `pnpm check` on a small project of its own: a tsconfig, an eslint.config.js with typed rules,
// and the files below. It lives under the repository's node_modules so that its config finds
// typescript-eslint, and where nothing else lints or formats.
const CONFIG = `import tseslint from "typescript-eslint";
export default tseslint.config({
  files: ["**/*.ts"],
  extends: [tseslint.configs.strictTypeChecked],
  languageOptions: { parserOptions: { project: ["./tsconfig.json"], tsconfigRootDir: import.meta.dirname } },
});
`;
const TSCONFIG = JSON.stringify({
  compilerOptions: {
    strict: true,
    noEmit: true,
    module: "nodenext",
    target: "es2022",
    // Without it TypeScript also reads the DOM's declarations (lib.dom.d.ts, about 1 MB) for
    // every program: a second of CPU over this file's checks, for code that uses none of them.
    lib: ["es2022"],
    types: [],
    skipLibCheck: true,
  },
  include: ["*.ts"],
});

function project(files: Record<string, string>, tsconfig = TSCONFIG): string {
  const parent = path.join(REPO_ROOT, "node_modules", ".cache");
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, "check-test-"));
  dirs.push(dir);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(path.join(dir, "eslint.config.js"), CONFIG);
  writeFileSync(path.join(dir, "tsconfig.json"), tsconfig);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(dir: string) {
  let output = "";
  const code = await check(dir, ["tsconfig.json"], { write: (text: string) => (output += text) });
  return { code, output };
}

describe("pnpm check: typecheck and lint on one program", () => {
  it("passes a project that both accept", async () => {
    const { code, output } = await run(
      project({
        "ok.ts": "export function total(a: number): number {\n  return a;\n}\n",
      }),
    );
    expect(output).toMatch(/typecheck: passed .* lint \(2 files\): passed/);
    expect(code).toBe(0);
  });

  it("fails on a type error, printed as tsc prints it", async () => {
    const { code, output } = await run(
      project({ "bad.ts": 'export const count: number = "three";\n' }),
    );
    expect(output).toContain(
      "bad.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.",
    );
    expect(output).toContain("typecheck: failed");
    expect(code).toBe(1);
  });

  it("fails on a typed lint rule, which needs the checked program's types", async () => {
    const { code, output } = await run(
      project({
        "floating.ts":
          "async function save(): Promise<void> {\n  await Promise.resolve();\n}\nexport function go(): void {\n  save();\n}\n",
      }),
    );
    expect(output).toContain("@typescript-eslint/no-floating-promises");
    expect(output).toMatch(/typecheck: passed .* lint \(2 files\): failed/);
    expect(code).toBe(1);
  });
});

describe("pnpm check again: only what can answer differently is checked again", () => {
  const LOAD = "export function load(): number {\n  return 1;\n}\n";
  const USE = 'import { load } from "./load.js";\nexport function go(): void {\n  load();\n}\n';

  it("reuses both verdicts when nothing changed, and still reports what failed", async () => {
    const dir = project({
      "load.ts": LOAD,
      "bad.ts": 'export const count: number = "three";\n',
    });
    const first = await run(dir);
    expect(first.output).toMatch(/typecheck: failed .* lint \(3 files\): passed/);
    const again = await run(dir);
    expect(again.output).toContain("nothing changed since the last check");
    expect(again.output).toContain("bad.ts(1,14): error TS2322");
    expect(again.code).toBe(1);

    writeFileSync(path.join(dir, "bad.ts"), "export const count = 3;\n");
    const fixed = await run(dir);
    expect(fixed.output).toMatch(/typecheck: passed .* lint \(3 files\): passed/);
    expect(fixed.output).toMatch(/ 1 linted again/);
    expect(fixed.code).toBe(0);
  });

  it("lints a file again when a type it uses changed, though its own text did not", async () => {
    const dir = project({ "load.ts": LOAD, "use.ts": USE });
    expect((await run(dir)).code).toBe(0);

    // use.ts is unchanged, but the call it makes now drops a promise.
    writeFileSync(
      path.join(dir, "load.ts"),
      "export async function load(): Promise<number> {\n  return Promise.resolve(1);\n}\n",
    );
    const { code, output } = await run(dir);
    expect(output).toContain("use.ts");
    expect(output).toContain("@typescript-eslint/no-floating-promises");
    expect(output).toMatch(/ 2 linted again/);
    expect(code).toBe(1);
  });

  it("lints again a file that a changed type reaches through a re-export", async () => {
    // TypeScript checks use.ts again here, but lists only load.ts and index.ts as affected: the
    // declarations index.ts exports (`export * from`) read the same.
    const dir = project({
      "load.ts": LOAD,
      "index.ts": 'export * from "./load.js";\n',
      "use.ts": USE.replace("./load.js", "./index.js"),
    });
    expect((await run(dir)).code).toBe(0);

    writeFileSync(
      path.join(dir, "load.ts"),
      "export async function load(): Promise<number> {\n  return Promise.resolve(1);\n}\n",
    );
    const { code, output } = await run(dir);
    expect(output).toContain("use.ts");
    expect(output).toContain("@typescript-eslint/no-floating-promises");
    expect(code).toBe(1);
  });

  it("with isolatedModules, lints again the files that import a changed file", async () => {
    // As in this repository's tsconfig: TypeScript then lists only the changed file as affected.
    const isolated = TSCONFIG.replace('"strict":true', '"strict":true,"isolatedModules":true');
    const dir = project(
      {
        "load.ts":
          "export async function load(): Promise<number> {\n  return Promise.resolve(1);\n}\n",
        "use.ts": USE,
      },
      isolated,
    );
    const first = await run(dir);
    expect(first.output).toContain("@typescript-eslint/no-floating-promises");
    expect(first.code).toBe(1);

    // The change to load.ts fixes use.ts, whose text is the same.
    writeFileSync(path.join(dir, "load.ts"), LOAD);
    const fixed = await run(dir);
    expect(fixed.output).not.toContain("no-floating-promises");
    expect(fixed.output).toMatch(/ 2 linted again/);
    expect(fixed.code).toBe(0);
  });

  it("checks again when a file is added, or a package.json changes how modules load", async () => {
    const dir = project({ "load.ts": LOAD, "use.ts": USE });
    expect((await run(dir)).code).toBe(0);

    writeFileSync(path.join(dir, "late.ts"), "export const late: string = 4;\n");
    const added = await run(dir);
    expect(added.output).toContain("late.ts(1,14): error TS2322");
    expect(added.code).toBe(1);

    rmSync(path.join(dir, "late.ts"));
    expect((await run(dir)).code).toBe(0);
    // As CommonJS, the ESM-only `import.meta` is an error.
    writeFileSync(path.join(dir, "meta.ts"), "export const here = import.meta;\n");
    expect((await run(dir)).code).toBe(0);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "commonjs" }));
    const commonjs = await run(dir);
    expect(commonjs.output).toContain("meta.ts(1,21): error TS1470");
    expect(commonjs.code).toBe(1);
  });

  it("lints everything again when the lint configuration changed", async () => {
    const dir = project({ "load.ts": LOAD, "use.ts": USE });
    expect((await run(dir)).code).toBe(0);

    writeFileSync(
      path.join(dir, "eslint.config.js"),
      CONFIG.replace(
        "extends: [tseslint.configs.strictTypeChecked],",
        'extends: [tseslint.configs.strictTypeChecked],\n  rules: { "no-restricted-syntax": ["error", "ReturnStatement"] },',
      ),
    );
    const { code, output } = await run(dir);
    expect(output).toMatch(/0 files type-checked again .* 3 linted again/);
    expect(output).toContain("no-restricted-syntax");
    expect(code).toBe(1);
  });
});
