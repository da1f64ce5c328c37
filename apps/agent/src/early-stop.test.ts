import { afterEach, describe, expect, it, vi } from "vitest";

import { releaseEarlyStop, stopEarly, STOP_SIGNALS } from "./early-stop.js";

afterEach(() => {
  releaseEarlyStop();
  vi.restoreAllMocks();
});

describe("a signal before the run takes the signals", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s says in one line that nothing was sent, and exits %i", (signal, code) => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const exit = vi.spyOn(process, "exit").mockImplementation(() => undefined as never);
    stopEarly();

    process.emit(signal, signal);

    expect(stderr.mock.calls.map(([text]) => String(text))).toEqual([
      `Stopped by ${signal} before the run began: nothing was sent, and nothing was ordered (exit ${String(code)}).\n`,
    ]);
    expect(exit).toHaveBeenCalledWith(code);
  });

  it("hands the signals back once released, and one early stop replaces another", () => {
    const before = STOP_SIGNALS.map((signal) => process.listenerCount(signal));
    const said: string[] = [];
    vi.spyOn(process, "exit").mockImplementation(() => undefined as never);

    stopEarly(() => said.push("first"));
    stopEarly(() => said.push("second"));
    process.emit("SIGINT", "SIGINT");
    releaseEarlyStop();

    expect(said).toEqual(["second"]);
    expect(STOP_SIGNALS.map((signal) => process.listenerCount(signal))).toEqual(before);
  });
});
