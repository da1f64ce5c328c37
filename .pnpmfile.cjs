// @ts-check
/**
 * `pnpm pack` / `pnpm publish`: a package whose build bundles its dependencies (a `bundle`
 * field in its package.json, see scripts/package/build-config.ts) is published with only the
 * dependencies its bundle leaves out (`bundle.external`), so installing it fetches nothing it
 * already carries. Workspace-only fields are dropped from the published manifest.
 */
/** @param {Record<string, any>} pkg */
function beforePacking(pkg) {
  const bundle = pkg.bundle;
  if (bundle === undefined) return pkg;
  const external = new Set(bundle.external ?? []);
  const kept = Object.entries(pkg.dependencies ?? {}).filter(([name]) => external.has(name));
  pkg.dependencies = Object.fromEntries(kept);
  delete pkg.devDependencies;
  delete pkg.scripts;
  delete pkg.bundle;
  return pkg;
}

module.exports = { hooks: { beforePacking } };
