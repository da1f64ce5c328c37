const WINDOW_MS = 60_000;

/** Auth0's limit on backchannel requests per user and minute, as a sliding window. */
export class PerUserRateLimit {
  private readonly recent = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Records a request and returns 0, or the seconds to wait when the user is over the limit. */
  take(userId: string, now: number): number {
    const times = (this.recent.get(userId) ?? []).filter((at) => now - at < WINDOW_MS);
    if (times.length >= this.perMinute) {
      this.recent.set(userId, times);
      const oldest = times[0] ?? now;
      return Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000));
    }
    times.push(now);
    this.recent.set(userId, times);
    return 0;
  }
}
