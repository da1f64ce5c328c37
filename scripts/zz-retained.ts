import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureLocalCertificates } from "../apps/mock-auth0/src/certificates.js";
import { builtEntry } from "./build.js";
import { writeBenchSettings } from "./bench/bench-tenant.js";
import { CibaClient } from "./bench/ciba-client.js";
import { mockAuth0Command, oidcProviderCommand, startTenant } from "./bench/tenant-processes.js";
import { residentBytes } from "./bench/rss.js";

const N = Number(process.env.N ?? 20000);
const dir = await mkdtemp(path.join(tmpdir(), "zz-ret-"));
const certDir = path.join(dir, "certs");
const made = await ensureLocalCertificates(certDir);
const ca = await readFile(made.caCertPath, "utf8");
const settingsFile = await writeBenchSettings(path.join(dir, "s.json"), {
  approver: { default: "manual", rules: [] },
  ciba: { intervalSeconds: 0.1, maxOpenRequests: 1_000_000, maxStoredRequests: 1_000_000 },
});
const flags = ["--expose-gc", "--import", builtEntry("bench-gc-on-signal"), "--import", "/tmp/memsig.mjs", ...(process.env.XFLAGS ? process.env.XFLAGS.split(" ") : [])];
for (const cmd of [await mockAuth0Command({ settingsFile, certDir, flags }), await oidcProviderCommand({ certDir, approveAfterMs: undefined, flags })]) {
  const t = await startTenant(cmd);
  const mem = () => new Promise<{ heapUsed: number }>((resolve) => {
    const on = (chunk: Buffer) => {
      const line = chunk.toString().split("\n").find((l) => l.startsWith('{"benchMemoryAfterGc"'));
      if (line) { t.child.stderr!.off("data", on); resolve(JSON.parse(line).benchMemoryAfterGc); }
    };
    t.child.stderr!.on("data", on);
    process.kill(t.pid, "SIGUSR2");
  });
  const client = new CibaClient(t.issuer, ca);
  const conns = Array.from({ length: 20 }, () => client.connection());
  await Promise.all(conns.map((c) => c.backchannelAuthorize("warm up")));
  const before = await mem();
  let sent = 0;
  await Promise.all(conns.map(async (c) => { while (sent < N) { sent++; const a = await c.backchannelAuthorize(`Do you want to buy ${sent % 9 + 1} XYZ phones`); if (a.status !== 200) throw new Error(JSON.stringify(a)); } }));
  const raw = await new Promise<string>((resolve) => { const on = (chunk: Buffer) => { const line = chunk.toString().split("\n").find((l) => l.startsWith('{"zzMem"')); if (line) { t.child.stderr!.off("data", on); resolve(line); } }; t.child.stderr!.on("data", on); process.kill(t.pid, "SIGWINCH"); });
  console.log(cmd.name, raw);
  const after = await mem();
  console.log(cmd.name, "bytes/request", Math.round((after.heapUsed - before.heapUsed) / N), "rss MiB", Math.round(((await residentBytes(t.pid)) ?? 0) / 1048576));
  client.close();
  await t.stop();
}
