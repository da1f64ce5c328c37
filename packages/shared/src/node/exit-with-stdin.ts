/**
 * Once stdin ends (its other end closed: the parent that started this process exited, was
 * killed, or closed it on purpose), the process sends itself SIGTERM, so it stops the way every
 * server stops on a signal (`closeOnSignals`). A parent's exit hook cannot do this when the
 * parent dies of a signal or `kill -9`; the kernel closes its end of the pipe whatever happens.
 * The parent holds that end: the testkit for its servers (`--exit-with-stdin`), the stack's
 * supervisor for every process it starts. Until it ends, stdin keeps the process running.
 */
export function stopWhenStdinCloses(): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.kill(process.pid, "SIGTERM");
  };
  process.stdin.once("end", stop);
  process.stdin.once("error", stop);
  process.stdin.resume();
}
