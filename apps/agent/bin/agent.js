#!/usr/bin/env node
// `pnpm agent` finds no script of that name and runs this bin instead, as `pnpm exec` would:
// then pnpm prints no `> ciba-testbed@ agent` banner on stdout and no `ELIFECYCLE` line, and
// the exit code is the agent's own. tsx's loader, registered here, runs the TypeScript
// sources in this same process.
await import("tsx");
await import("../src/main.ts");
