/** Runs a task again and again as time passes; returns how to stop it. */
export interface Ticker {
  every(ms: number, task: () => void): () => void;
}

/** Real time: an unref'd interval, so a ticking tenant never keeps a process alive. */
export const systemTicker: Ticker = {
  every(ms, task) {
    const interval = setInterval(task, ms);
    interval.unref();
    return () => {
      clearInterval(interval);
    };
  },
};
