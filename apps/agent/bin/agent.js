#!/usr/bin/env node
// `pnpm agent` finds no script of that name and runs this bin instead, as `pnpm exec` would:
// then pnpm prints no `> ciba-testbed@ agent` banner on stdout and no `ELIFECYCLE` line, and
// the exit code is the agent's own. It runs the built agent (build/agent.cjs) in this same
// process, building the agent's own files first when one of their sources changed (another
// entry's sources, the shop's, are no concern of the agent's: `ensureAgentBuilt`).
import { ensureAgentBuiltOrSay, runEntry } from "../../../scripts/build.js";

const args = process.argv.slice(2);
if (await ensureAgentBuiltOrSay(args)) await runEntry("agent", args);
