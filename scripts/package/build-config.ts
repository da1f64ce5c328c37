import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { z } from "zod";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A publishable package's `bundle` field in its package.json: what its build bundles and what
 * stays a real dependency. `.pnpmfile.cjs` reads the same field when packing, so the published
 * manifest lists exactly the dependencies left outside the bundle.
 */
export const bundleFieldSchema = z
  .object({
    /** Entry points, relative to the package: each becomes `dist/<name>.js`. */
    entries: z.record(z.string()),
    /** Dependencies left out of the bundle (they stay in the published `dependencies`). */
    external: z.array(z.string()).default([]),
    /**
     * Files and folders the code reads at run time, relative to the repository: copied to the
     * same place under `dist/`, where the bundle's `import.meta.url` mapping looks for them.
     */
    assets: z.array(z.string()).default([]),
    /**
     * Folders the build makes, for the code to read at run time: the folder (relative to the
     * repository, placed under `dist/` as an asset is) -> the module (relative to the package)
     * whose named export `generate(folder)` fills it. For what the package can compute from
     * its dependencies but should not at every start of a fresh install.
     */
    generated: z.record(z.string()).default({}),
  })
  .strict();

export type BundleField = z.output<typeof bundleFieldSchema>;

export interface PackageManifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  bundle?: unknown;
}

export function readManifest(packageDir: string): PackageManifest {
  return JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as PackageManifest;
}

export function bundleFieldOf(manifest: PackageManifest): BundleField {
  const parsed = bundleFieldSchema.safeParse(manifest.bundle);
  if (!parsed.success) {
    throw new Error(
      `${manifest.name}: package.json "bundle" is invalid: ${parsed.error.issues
        .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
        .join("; ")}`,
    );
  }
  return parsed.data;
}
