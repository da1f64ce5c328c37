/**
 * True when AGENT_STORE names a URL (`scheme://...`) rather than a directory. A module of its
 * own, with no imports: build/agent.cjs's launcher reads it at every start (`launchOptions`),
 * and through redis-url.ts it took in the shared package's entry, zod and every schema built
 * when that loads.
 */
export function isStoreUrl(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value);
}
