#!/usr/bin/env node
// `pnpm agent` finds no script of that name and runs this bin instead, as `pnpm exec` would:
// then pnpm prints no `> ciba-testbed@ agent` banner on stdout and no `ELIFECYCLE` line, and
// the exit code is the agent's own. It runs the built agent (build/agent.cjs) in this same
// process, rebuilding it first when a source changed.
import { ensureBuilt, runEntry } from "../../../scripts/build.js";

await ensureBuilt();
await runEntry("agent", process.argv.slice(2));
