import type { KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * A thread that makes RSA signatures (RS256: RSASSA-PKCS1-v1_5 with SHA-256) one after another,
 * off the event loop; the process signs on up to two (`SigningThreads`, below).
 *
 * They were made on libuv's pool (`crypto.sign` with a callback), which has four threads
 * whatever the machine: on two cores a burst of approved polls had four signatures competing
 * with the event loop that answers every other poll. A thread with a queue of its own takes the
 * next signature as soon as it is done with one, without waiting for the busy loop to hand it
 * over. Started on its first signature, so a tenant that signs nothing (and a fresh one's
 * memory) is as it was; it keeps no process alive while idle.
 */
const SOURCE = `
const { parentPort } = require("node:worker_threads");
const { sign } = require("node:crypto");
parentPort.on("message", ({ id, input, key }) => {
  try {
    const signature = sign("sha256", Buffer.from(input, "ascii"), key).toString("base64url");
    parentPort.postMessage({ id, signature });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Answer {
  id: number;
  signature?: string;
  error?: string;
}

interface Waiting {
  resolve: (signature: string) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  /** The signatures it owes, by id. */
  owed: Map<number, Waiting>;
}

export class SigningThread {
  private thread: Thread | undefined;
  private nextId = 0;

  /** The signatures asked of this thread and not answered yet. */
  get owed(): number {
    return this.thread?.owed.size ?? 0;
  }

  /** The base64url signature of `input` (ASCII) with `key`. */
  sign(input: string, key: KeyObject): Promise<string> {
    const { worker, owed } = (this.thread ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      owed.set(id, { resolve, reject });
      // Alive while a signature is owed, as a pending `crypto.sign` callback keeps it.
      if (owed.size === 1) worker.ref();
      worker.postMessage({ id, input, key });
    });
  }

  private start(): Thread {
    const worker = new Worker(SOURCE, { eval: true });
    const thread: Thread = { worker, owed: new Map() };
    const { owed } = thread;
    worker.unref();
    worker.on("message", (answer: Answer) => {
      const waiting = owed.get(answer.id);
      if (waiting === undefined) return;
      owed.delete(answer.id);
      if (owed.size === 0) worker.unref();
      if (answer.signature !== undefined) waiting.resolve(answer.signature);
      else waiting.reject(new Error(`signing failed: ${answer.error ?? "no signature"}`));
    });
    // A thread that died fails what it owed; the next signature starts another.
    const end = (error: Error) => {
      if (this.thread === thread) this.thread = undefined;
      for (const { reject } of owed.values()) reject(error);
      owed.clear();
    };
    worker.on("error", end);
    worker.on("exit", (code) => {
      end(new Error(`the signing thread exited (code ${String(code)})`));
    });
    return thread;
  }
}

/**
 * The process's signing threads: each signature goes to the thread that owes the fewest (the
 * first of them on a tie), so one thread makes every signature while signatures come one at a
 * time, and a second starts on the first signature asked while the first thread is busy.
 *
 * Two threads, or one on a single core. A CIBA answer with an ID token needs two signatures, and
 * two threads make them at once. Under load, approvals come due in bursts: with one thread, a
 * burst's signatures waited in its queue while it shared two cores with the event loop and the
 * clients (under the bench's 500 flows, a signature waited 100-200 ms in the median). The
 * bench's 500 flows in flight on a 2-core AMD EPYC, one thread and two alternating in 15 pairs
 * of runs of 3,000 flows (a slow hour of that machine): p99 of the answers that issue tokens
 * 838 -> 760 ms (lower in 11 pairs), of pending answers 416 -> 415 ms; 1,341 -> 1,299 polls/s
 * (lower in 11 pairs) and the same tenant CPU per flow in the median (more in 11 pairs: the
 * second thread's isolate). A small gain, bought with a little throughput. More threads than
 * cores competed with the event loop instead (libuv's four).
 */
export class SigningThreads {
  private readonly first = new SigningThread();
  private readonly threads: SigningThread[];

  constructor(size = Math.min(2, availableParallelism())) {
    this.threads = [this.first];
    for (let i = 1; i < size; i++) this.threads.push(new SigningThread());
  }

  /** What each thread owes: the signatures asked of it and not answered yet. */
  get owed(): number[] {
    return this.threads.map((thread) => thread.owed);
  }

  /** The base64url signature of `input` (ASCII) with `key`. */
  sign(input: string, key: KeyObject): Promise<string> {
    let least = this.first;
    for (const thread of this.threads) if (thread.owed < least.owed) least = thread;
    return least.sign(input, key);
  }
}
