/** Whether a value read from JSON or thrown is an object whose members may be read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
