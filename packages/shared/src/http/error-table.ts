import { OAuthError } from "../oauth-error.js";

/** One error an app answers with: the HTTP status, the spec's `error` code, and when it happens. */
export interface ErrorSpec {
  status: number;
  code: string;
  /** When the app answers with it; documentation (e.g. OpenAPI), not the response's text. */
  when: string;
}

export type ErrorFactory = (description: string, headers?: Record<string, string>) => OAuthError;

export type ErrorFactories<T extends Record<string, ErrorSpec>> = {
  readonly [K in keyof T]: ErrorFactory;
};

/**
 * An app's error vocabulary as one table: each entry makes a factory
 * (`errors.invalidRequest("…")`), and the same table documents the API (the shop's OpenAPI
 * error list is generated from it), so the two cannot drift.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(
  table: T,
): ErrorFactories<T> & { readonly table: T } {
  const factories = Object.fromEntries(
    Object.entries(table).map(([name, spec]) => [
      name,
      ((description, headers) =>
        new OAuthError(spec.status, spec.code, description, headers)) satisfies ErrorFactory,
    ]),
  ) as ErrorFactories<T>;
  return { ...factories, table };
}
