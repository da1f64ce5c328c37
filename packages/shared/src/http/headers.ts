/**
 * How many times a header came in `rawHeaders`. Node keeps only the first of some headers
 * (Authorization among them) and joins others with commas, so `req.headers` cannot tell a
 * request that sent a header twice: a proxy in front that reads the last one would act on a
 * value this server never saw.
 */
export function countHeader(rawHeaders: readonly string[], lowerName: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name?.length === lowerName.length && name.toLowerCase() === lowerName) count += 1;
  }
  return count;
}
