import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { zodToJsonSchema } from "zod-to-json-schema";

import { settingsSchema } from "./settings-schema.js";

/** Where editors find it: `"$schema": "./mock-auth0.schema.json"` in auth0/mock-auth0.json. */
export const SETTINGS_JSON_SCHEMA_FILE = fileURLToPath(
  new URL("../../../../auth0/mock-auth0.schema.json", import.meta.url),
);

/** The JSON Schema of mock-auth0.json, generated from its zod schema (the one mock-auth0 parses with). */
export function settingsJsonSchemaText(): string {
  const generated = zodToJsonSchema(settingsSchema, {
    target: "jsonSchema7",
    $refStrategy: "none",
    // The approver's outcomes are strings that zod turns into objects: describe the text.
    effectStrategy: "input",
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  const schema = {
    $schema,
    title: "mock-auth0.json",
    description:
      "ciba-testbed's own settings for mock-auth0, beside an Auth0 Deploy CLI tenant: client credentials, Guardian push enrolments, the simulated approver and the CIBA speed knobs. Auth0 never reads this file. Generated from apps/mock-auth0/src/tenant/settings-schema.ts: run `pnpm --filter @ciba-testbed/mock-auth0 settings-schema` after changing it.",
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Formatted as the repository formats JSON, so `pnpm format:check` stays quiet.
  const prettier = await import("prettier");
  const options = await prettier.resolveConfig(SETTINGS_JSON_SCHEMA_FILE);
  const text = await prettier.format(settingsJsonSchemaText(), { ...options, parser: "json" });
  writeFileSync(SETTINGS_JSON_SCHEMA_FILE, text);
  process.stdout.write(`wrote ${SETTINGS_JSON_SCHEMA_FILE}\n`);
}
