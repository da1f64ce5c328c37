import { ensureBuilt } from "../../scripts/build.js";

/**
 * Before any test file: tests start the servers and the agent from `build/`, so it must hold
 * today's sources. Nothing to do when `pnpm test` (or `pnpm install`) has just built it.
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
