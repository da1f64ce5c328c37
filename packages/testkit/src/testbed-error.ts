/**
 * The codes of the testkit's failures, each stable across versions, for a test that asserts
 * which failure it met (`rejects.toMatchObject({ code: "TESTBED_TENANT_UNREACHABLE" })`) rather
 * than matching the wording of its message, which names the next step and may be reworded.
 */
export type TestbedErrorCode =
  /** A call to the testbed's tenant got no whole answer: refused, reset, or no TLS of the tenant's. */
  | "TESTBED_TENANT_UNREACHABLE"
  /** Something at the tenant's address answered, but not as mock-auth0 answers (no JSON). */
  | "TESTBED_NOT_THE_TENANT"
  /** approve, deny, expire or request named a request the tenant does not have. */
  | "TESTBED_NO_SUCH_REQUEST"
  /** approve, deny or expire named a request that is no longer pending. */
  | "TESTBED_REQUEST_NOT_PENDING"
  /** The tenant's control API refused a call otherwise (its answer's description says why). */
  | "TESTBED_TENANT_REFUSED"
  /** startTestbed's or ensureTestbedCa's options: `TestbedOptionsError`, its `problems`. */
  | "TESTBED_INVALID_OPTIONS"
  /** A filter, a wait's options or an id the approver cannot use: `RequestFilterError`. */
  | "TESTBED_INVALID_ARGUMENTS"
  /** The tenant or the shop exited after its start, or the testbed's stop() stopped it. */
  | "TESTBED_SERVER_GONE"
  /** waitForRequest ended with no request: its timeout, a refusal, the agent's end, an abort. */
  | "TESTBED_NO_REQUEST"
  /** waitForRequest found a request whose binding message does not name its details. */
  | "TESTBED_MESSAGE_MISMATCH"
  /** waitForAgent's agent did not finish within its timeout. */
  | "TESTBED_AGENT_TIMEOUT"
  /** shop.orders() named a user who is not one of the tenant's people. */
  | "TESTBED_UNKNOWN_USER"
  /** The shop's admin route refused the testbed or answered no orders. */
  | "TESTBED_SHOP_REFUSED";

/**
 * Marks a TestbedError of any copy of the testkit: the package's ESM and CommonJS builds each
 * define the class, and a test that imports one may meet an error thrown by the other.
 */
const TESTBED_ERROR = Symbol.for("@ciba-testbed/testkit:TestbedError");

/** A failure of the testbed's servers or of a call to them, with its stable `code`. */
export class TestbedError extends Error {
  readonly [TESTBED_ERROR] = true;

  constructor(
    readonly code: TestbedErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TestbedError";
  }

  /** `instanceof` holds for the error of either build (ESM or CommonJS), not of this one only. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== TestbedError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[TESTBED_ERROR] === true
    );
  }
}
