/**
 * Loaded (`node --import`) into every app `pnpm dev` runs in Node's watch mode, before the app.
 * The app tells Node's watcher each file it loads (`watch:require` and `watch:import` messages on
 * `process.send`), and the watcher starts the app again when one changes, its inode's metadata
 * included. pnpm installs a package's files as hard links to its store, which every checkout on
 * the machine shares: a `pnpm install` in another clone or worktree adds or removes links to
 * them, a change of their link count, and started all three services again at once, the
 * tenant's pending requests and the web app's sessions lost. An installed file never changes in
 * place (another version is another path, and so a change to the built file that imports it),
 * so the watcher hears only of the files outside `node_modules`.
 */
import { fileURLToPath } from "node:url";

const INSTALLED = /[\\/]node_modules[\\/]/;

const isInstalled = (file: unknown): boolean => {
  const name = String(file);
  return INSTALLED.test(name.startsWith("file:") ? fileURLToPath(name) : name);
};

/** `message` with the installed files it names left out of its lists of loaded files. */
function withoutInstalledFiles(message: unknown): unknown {
  if (message === null || typeof message !== "object") return message;
  const kept: Record<string, unknown> = { ...message };
  for (const key of ["watch:require", "watch:import"]) {
    const files = kept[key];
    if (Array.isArray(files)) kept[key] = files.filter((file) => !isInstalled(file));
  }
  return kept;
}

const send = process.send?.bind(process);
// Node sets WATCH_REPORT_DEPENDENCIES in the app its watcher runs, and reports only then.
if (process.env.WATCH_REPORT_DEPENDENCIES !== undefined && send !== undefined) {
  process.send = ((message: unknown, ...rest: unknown[]) =>
    (send as (...args: unknown[]) => boolean)(
      withoutInstalledFiles(message),
      ...rest,
    )) as NonNullable<typeof process.send>;
}
