/**
 * The interrupts `@auth0/ai` throws or hands to `onUnauthorized`, read by their stable `code`
 * strings: `instanceof` breaks when two copies of the SDK are loaded.
 */
export const INTERRUPT = {
  pending: "ASYNC_AUTHORIZATION_AUTHORIZATION_PENDING",
  slowDown: "ASYNC_AUTHORIZATION_AUTHORIZATION_POLLING_ERROR",
  denied: "ASYNC_AUTHORIZATION_ACCESS_DENIED",
  expired: "ASYNC_AUTHORIZATION_AUTHORIZATION_REQUEST_EXPIRED",
  invalidRequest: "ASYNC_AUTHORIZATION_USER_DOES_NOT_HAVE_PUSH_NOTIFICATIONS",
  invalidGrant: "ASYNC_AUTHORIZATION_INVALID_GRANT",
} as const;

/** An interrupt that carries the approval request it is about. */
export interface RequestInterrupt {
  code: string;
  request: { id: string; expiresIn: number; interval?: number };
  /** Seconds, from `slow_down`'s Retry-After header. */
  retryAfter?: number;
}

export function isPollInterrupt(interrupt: RequestInterrupt): boolean {
  return interrupt.code === INTERRUPT.pending || interrupt.code === INTERRUPT.slowDown;
}

/** Reads any SDK interrupt that names its request (pending, slow_down, denied, expired). */
export function asRequestInterrupt(error: unknown): RequestInterrupt | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, request, retryAfter } = error as Record<string, unknown>;
  if (typeof code !== "string" || typeof request !== "object" || request === null) {
    return undefined;
  }
  const { id, expiresIn, interval } = request as Record<string, unknown>;
  if (typeof id !== "string" || typeof expiresIn !== "number") return undefined;
  return {
    code,
    request: { id, expiresIn, ...(typeof interval === "number" ? { interval } : {}) },
    ...(typeof retryAfter === "number" && Number.isFinite(retryAfter) ? { retryAfter } : {}),
  };
}
