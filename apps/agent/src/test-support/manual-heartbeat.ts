import type { Heartbeat } from "../web/event-stream.js";

/** A heartbeat the test beats by hand (`beat()`), and whether the stream stopped it. */
export function manualHeartbeat() {
  const beats = new Set<() => void>();
  const state = { started: 0, stopped: 0 };
  const heartbeat: Heartbeat = (beat) => {
    state.started++;
    beats.add(beat);
    return () => {
      state.stopped++;
      beats.delete(beat);
    };
  };
  const beatAll = () => {
    for (const beat of beats) beat();
  };
  return { heartbeat, state, beat: beatAll };
}
