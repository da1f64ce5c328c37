/**
 * `pnpm exec tsx scripts/bench/profile-summary.ts <file.cpuprofile> [rows]`: where a V8 CPU profile
 * (from `pnpm bench --profile <dir>`) spends its time, by package and by function, self and
 * inclusive.
 */
import { readFileSync } from "node:fs";

import { z } from "zod";

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type CallFrame = z.infer<typeof profileSchema>["nodes"][number]["callFrame"];

const USAGE = "usage: pnpm exec tsx scripts/bench/profile-summary.ts <file.cpuprofile> [rows]\n";
const [file, rowsArg] = process.argv.slice(2);
if (file === "--help" || file === "-h") {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (file === undefined) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const profile = profileSchema.parse(JSON.parse(readFileSync(file, "utf8")));

const shortUrl = (url: string) =>
  url
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")
    .replace(/^.*\/(apps|packages|scripts)\//, "$1/");
const frameName = (frame: CallFrame) =>
  `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;

function packageOf(frame: CallFrame): string {
  const dependency = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(
    frame.url,
  );
  if (dependency?.[1]) return dependency[1];
  if (frame.url.startsWith("node:")) return "node (core)";
  const ours = /\/((?:apps|packages|scripts)\/[^/]+)\//.exec(frame.url);
  if (ours?.[1]) return ours[1];
  return frame.url === "" ? frame.functionName : frame.url;
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);

const selfTime = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
  total += delta;
});

const add = (map: Map<string, number>, key: string, value: number) =>
  map.set(key, (map.get(key) ?? 0) + value);
const selfByPackage = new Map<string, number>();
const selfByFunction = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, time] of selfTime) {
  const node = byId.get(id);
  if (!node) continue;
  add(selfByPackage, packageOf(node.callFrame), time);
  add(selfByFunction, frameName(node.callFrame), time);
  const seen = new Set<string>();
  for (
    let current: number | undefined = id;
    current !== undefined;
    current = parentOf.get(current)
  ) {
    const frame = byId.get(current)?.callFrame;
    if (!frame) break;
    const name = frameName(frame);
    if (!seen.has(name)) add(inclusive, name, time);
    seen.add(name);
  }
}

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    process.stdout.write(`${((time / total) * 100).toFixed(1).padStart(6)}%  ${name}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print("Self time by package", selfByPackage);
print("Self time by function", selfByFunction);
print("Inclusive time by function", inclusive);
