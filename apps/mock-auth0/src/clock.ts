/** Milliseconds since the epoch. Injected so expiry and polling are tested without sleeping. */
export interface Clock {
  now(): number;
}

/** Runs a task again and again as time passes; returns how to stop it. */
export interface Ticker {
  every(ms: number, task: () => void): () => void;
}

export const systemClock: Clock = { now: () => Date.now() };

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

/**
 * A clock that only moves when told to, for tests. As a ticker it runs every task once each
 * time it is advanced, whatever the task's period: time moves in the steps the test chooses.
 */
export class ManualClock implements Clock, Ticker {
  private readonly tasks = new Set<() => void>();

  constructor(private current = Date.parse("2026-01-01T00:00:00Z")) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
    for (const task of [...this.tasks]) task();
  }

  every(_ms: number, task: () => void): () => void {
    const own = () => {
      task();
    };
    this.tasks.add(own);
    return () => {
      this.tasks.delete(own);
    };
  }
}
