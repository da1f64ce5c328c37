/**
 * How many test files run at once: VITEST_MAX_WORKERS when set, else one per core. A value that
 * is not a whole number of 1 or more stops the run naming the variable: Vitest would take
 * `Number("abc")` (NaN) or `Number("0")` without a word and run with its own idea of it.
 * An empty or blank value counts as unset, as for every variable the apps read.
 */
export function maxWorkers(value: string | undefined, cores: number): number {
  const text = value?.trim() ?? "";
  if (text === "") return cores;
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new Error(
      `VITEST_MAX_WORKERS must be a whole number of test files to run at once, 1 or more (got ${JSON.stringify(value)})`,
    );
  }
  return Number(text);
}
