/**
 * When this process sent each approval request still open, on its monotonic clock: a later
 * call of the same process that resumes the request (the web app's next chat request) then
 * measures the expiry from the send, as the call that sent it would have, and can tell a
 * denial from an expiry. Another process's requests are not here: its clock is not this one's.
 * An entry goes once its request has expired, so only open requests are kept.
 */
export class SentRequests {
  private readonly sent = new Map<string, { at: number; endsAt: number }>();

  /** Request `authReqId`, expiring `expiresIn` seconds after it, was sent at `at` (monotonic). */
  note(authReqId: string, at: number, expiresIn: number): void {
    for (const [id, entry] of this.sent) if (entry.endsAt <= at) this.sent.delete(id);
    this.sent.set(authReqId, { at, endsAt: at + expiresIn * 1000 });
  }

  /** When (monotonic) this process sent `authReqId`; undefined if it did not, or forgot it. */
  sentAt(authReqId: string): number | undefined {
    return this.sent.get(authReqId)?.at;
  }
}
