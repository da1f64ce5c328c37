import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

import type { Metafile } from "esbuild";

/** Licenses whose terms a bundle meets by shipping the notice. Anything else stays external. */
const PERMISSIVE = new Set([
  "0BSD",
  "Apache-2.0",
  "BlueOak-1.0.0",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "CC0-1.0",
  "ISC",
  "MIT",
  "Unlicense",
]);

interface BundledPackage {
  name: string;
  version: string;
  license: string;
  notice: string;
}

/** `a/node_modules/.pnpm/x@1/node_modules/@s/p/lib/i.js` -> `a/node_modules/.pnpm/x@1/node_modules/@s/p`. */
function packageRootOf(file: string): string | undefined {
  const marker = "/node_modules/";
  const at = file.lastIndexOf(marker);
  if (at === -1) return undefined;
  const rest = file.slice(at + marker.length).split("/");
  const depth = rest[0]?.startsWith("@") ? 2 : 1;
  return file.slice(0, at + marker.length) + rest.slice(0, depth).join("/");
}

function licenseOf(manifest: { license?: unknown; licenses?: unknown }): string {
  if (typeof manifest.license === "string") return manifest.license;
  if (Array.isArray(manifest.licenses)) {
    return manifest.licenses.map((l: { type?: string }) => l.type ?? "?").join(" OR ");
  }
  return "UNKNOWN";
}

function isPermissive(expression: string): boolean {
  const spdx = expression.replace(/[()]/g, "").trim();
  // "MIT OR Apache-2.0": either will do; "MIT AND X": both must.
  if (spdx.includes(" OR ")) return spdx.split(" OR ").some((part) => isPermissive(part));
  return spdx.split(" AND ").every((part) => PERMISSIVE.has(part.trim()));
}

/**
 * The third-party packages inside a bundle with their license texts, for the notice file a
 * bundle must ship. Throws when one of them is not under a permissive license: such a package
 * must be listed in `bundle.external` and installed as a dependency instead.
 */
export function bundledPackages(metafile: Metafile, cwd: string): BundledPackage[] {
  const roots = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      // Modules tree-shaken away are in the metafile too, with nothing in the output.
      if (bytesInOutput === 0) continue;
      const root = packageRootOf(path.resolve(cwd, input).split(path.sep).join("/"));
      if (root !== undefined) roots.add(root);
    }
  }
  const found = new Map<string, BundledPackage>();
  const refused: string[] = [];
  for (const root of roots) {
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      name: string;
      version: string;
      license?: unknown;
      licenses?: unknown;
    };
    const license = licenseOf(manifest);
    const key = `${manifest.name}@${manifest.version}`;
    if (!isPermissive(license)) refused.push(`${key} (${license})`);
    const noticeFile = existsSync(root)
      ? readdirSync(root).find((file) => /^(licen[cs]e|copying|notice)/i.test(file))
      : undefined;
    const notice =
      noticeFile === undefined
        ? `License: ${license} (the package ships no license file)`
        : readFileSync(path.join(root, noticeFile), "utf8").trim();
    found.set(key, { name: manifest.name, version: manifest.version, license, notice });
  }
  if (refused.length > 0) {
    throw new Error(
      `Not bundled, their licenses need more than a notice: ${refused.join(", ")}. ` +
        `List them in the package's bundle.external.`,
    );
  }
  return [...found.values()].sort((a, b) =>
    `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`),
  );
}

export function noticeText(packageName: string, packages: BundledPackage[]): string {
  return [
    `${packageName} bundles the following packages. Their licenses and notices follow.`,
    "",
    ...packages.flatMap((p) => [
      "-".repeat(72),
      `${p.name}@${p.version} (${p.license})`,
      "",
      p.notice,
      "",
    ]),
  ].join("\n");
}
