import { readFile } from "node:fs/promises";
import path from "node:path";

import type { Plugin } from "esbuild";

/**
 * Workspace code finds its files relative to its own source file (`new URL("../../public/",
 * import.meta.url)`). In a bundle every module shares the bundle's URL, so each workspace
 * module gets its original place back: `import.meta.url` becomes the URL its file would have
 * in a copy of the repository laid out under the bundle's folder. The build copies the files
 * the code reads (the package's `bundle.assets`) to those same places.
 */
export function workspaceModulesPlugin(repoRoot: string, packageDir: string): Plugin {
  const isWorkspaceSource = (file: string) =>
    file.startsWith(repoRoot) && !file.includes(`${path.sep}node_modules${path.sep}`);
  const sharedDir = path.join(repoRoot, "packages", "shared") + path.sep;
  return {
    name: "workspace-modules",
    setup(build) {
      // Another workspace package is imported for a few of its exports (the model server uses
      // the agent's request parser): its modules have no import-time effects the bundle needs,
      // so the ones whose exports go unused (the agent's SDKs) are left out.
      build.onResolve({ filter: /^@ciba-testbed\/|^\.\.?\// }, async (args) => {
        if (args.pluginData === "resolving" || !isWorkspaceSource(args.importer)) return undefined;
        const result = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: "resolving",
        });
        if (result.errors.length > 0 || result.external) return result;
        const fromOtherPackage =
          isWorkspaceSource(result.path) && !result.path.startsWith(packageDir + path.sep);
        return fromOtherPackage && !result.path.startsWith(sharedDir)
          ? { ...result, sideEffects: false }
          : result;
      });
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!isWorkspaceSource(args.path)) return undefined;
        const source = await readFile(args.path, "utf8");
        if (!source.includes("import.meta.url")) return { contents: source, loader: "ts" };
        const fromBundle = `./${path.relative(repoRoot, args.path).split(path.sep).join("/")}`;
        return {
          contents: source.replaceAll(
            "import.meta.url",
            `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
          ),
          loader: "ts",
        };
      });
    },
  };
}
