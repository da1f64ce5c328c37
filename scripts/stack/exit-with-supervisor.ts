/**
 * Loaded first (`node --import`) into every process the supervisor starts: its stdin is a pipe
 * the supervisor holds (and writes to only for a child that reads it), so the pipe ends only
 * when the supervisor is gone, whatever ended it (`kill -9`, an IDE's hard stop, the OOM killer:
 * no exit hook runs then), and this process stops as on SIGTERM, as the testkit's servers do
 * (`--exit-with-stdin`).
 *
 * In watch mode (`pnpm dev`) this process is the app Node's watcher runs, on the watcher's
 * stdin, as is every app the watcher starts again after a change. The watcher then reports the
 * app's end on its stdout, a pipe whose reader was the supervisor: the write fails (EPIPE) and
 * ends the watcher too.
 */
import { stopWhenStdinCloses } from "@ciba-testbed/shared/node/exit-with-stdin";

stopWhenStdinCloses();
