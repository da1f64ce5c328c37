import type { KeyObject } from "node:crypto";
import { Worker } from "node:worker_threads";

/**
 * The thread that makes this process's RSA signatures (RS256: RSASSA-PKCS1-v1_5 with SHA-256),
 * one after another, off the event loop.
 *
 * They were made on libuv's pool (`crypto.sign` with a callback), which has four threads
 * whatever the machine: on two cores a burst of approved polls had four signatures competing
 * with the event loop that answers every other poll. One thread with a queue of its own leaves
 * the loop a core, and takes the next signature as soon as it is done with one, without waiting
 * for the busy loop to hand it over. Started on the first signature, so a tenant that signs
 * nothing (and a fresh one's memory) is as it was; it keeps no process alive while idle.
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
