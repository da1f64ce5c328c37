import { execFile } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { promisify } from "node:util";

import { round, spread } from "./stats.js";
import type { Spread } from "./stats.js";

const run = promisify(execFile);

/**
 * How fast this machine is while the bench runs, in the two units most targets scale with. The
 * targets are absolute (milliseconds, requests a second), and a shared 2-core machine can be
 * twice as slow from one hour to the next: measured before the first part and after the last,
 * these tell a reader whether two runs, or two machines, can be compared at all.
 */
export interface MachineSpeed {
  /** Wall time of `node -e 0`: the floor under every process start the bench times. */
  nodeStartMs: Spread;
  /** One RS256 signature with a 2048-bit key, in this process: what each issued token costs. */
  rsaSignatureUs: Spread;
}

export interface MachineSpeedOptions {
  /** `node -e 0` runs, one after another. */
  nodeStarts: number;
  /** Batches of signatures; each batch gives one figure, its mean per signature. */
  signatureBatches: number;
  signaturesPerBatch: number;
}

export const MACHINE_SPEED_DEFAULTS: MachineSpeedOptions = {
  nodeStarts: 7,
  signatureBatches: 7,
  signaturesPerBatch: 50,
};

export async function measureMachineSpeed(
  options: MachineSpeedOptions = MACHINE_SPEED_DEFAULTS,
): Promise<MachineSpeed> {
  const starts: number[] = [];
  for (let i = 0; i < options.nodeStarts; i++) {
    const started = performance.now();
    await run(process.execPath, ["-e", "0"], { env: { PATH: process.env.PATH ?? "" } });
    starts.push(performance.now() - started);
  }
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  // A JWT's signing input: a header and a payload of about an access token's size.
  const input = Buffer.from("e".repeat(700), "ascii");
  sign("sha256", input, privateKey);
  const signatures: number[] = [];
  for (let i = 0; i < options.signatureBatches; i++) {
    const started = performance.now();
    for (let j = 0; j < options.signaturesPerBatch; j++) sign("sha256", input, privateKey);
    signatures.push(((performance.now() - started) * 1000) / options.signaturesPerBatch);
  }
  return {
    nodeStartMs: spread(starts.map((ms) => round(ms, 0))),
    rsaSignatureUs: spread(signatures.map((us) => round(us, 0))),
  };
}
