import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { DEPLOY_CLI_VERSION, deployCliAjv } from "./deploy-cli.js";
import { schemaValidations } from "./accepted-data.js";
import {
  deployCliSchemaProblems,
  packageSchema,
  sliceSchema,
  writeDeployCliSchema,
} from "./deploy-cli-schema.js";
import { keywordReplace } from "./keywords.js";

const SAMPLES: Record<string, unknown>[] = [
  {
    clients: [
      { name: "A", grant_types: ["client_credentials"], app_type: "regular_web" },
      { name: "B", organization_usage: "sometimes", token_quota: { client_credentials: {} } },
    ],
    resourceServers: [{ name: "API", identifier: "x", scopes: [{ value: "a" }], extra: 1 }],
    clientGrants: [{ client_id: "A", audience: "x", scope: ["a", "a"] }],
    guardianFactors: [{ name: "push-notification", enabled: true }, { name: "carrier-pigeon" }],
    hooks: [{ name: "h", triggerId: "credentials-exchange" }],
  },
  { tenant: { friendly_name: "t", country_codes: { list: ["usa"], mode: "allow" } } },
  { clients: [{ description: "no name" }], typo: [] },
  { actions: [{ name: "a", code: "x" }, { name: "b" }] },
];

/** What ajv 6 says about `data` under `schema`, comparable across compiles. */
function verdict(schema: object, data: unknown) {
  const validate = deployCliAjv().compile(schema);
  const valid = validate(structuredClone(data));
  return {
    valid,
    errors: (validate.errors ?? [])
      .map((e) => `${e.dataPath} ${e.keyword} ${JSON.stringify(e.params)}`)
      .sort(),
  };
}

describe("the Deploy CLI's schema, as mock-auth0 applies it", () => {
  it("gives the verdict and the errors of the whole schema, compiling only what a file uses", () => {
    // `prompts` (8 MB of its 8.1) takes seconds to compile, so the whole schema here goes without it.
    const { properties, ...root } = packageSchema() as { properties: Record<string, unknown> };
    const { prompts: _prompts, ...rest } = properties;
    const whole = { ...root, properties: rest };
    const verdicts = SAMPLES.map((sample) => verdict(whole, sample));
    SAMPLES.forEach((sample, i) => {
      expect(verdict(sliceSchema(whole, [sample]) as object, sample)).toEqual(verdicts[i]);
    });
    // The samples are mostly wrong, in as many ways as possible.
    expect(verdicts.map((v) => v.valid)).toEqual([false, false, false, false]);
    expect(verdicts.flatMap((v) => v.errors).length).toBeGreaterThan(6);
    expect(deployCliSchemaProblems(SAMPLES[0]!).map((p) => p.message)).toContain(
      'must be one of "deny", "allow", "require"',
    );
  });

  it("validates an export with a prompts section, compiling a sliver of its 8 MB schema", () => {
    const valid = {
      universal_login_experience: "new",
      customText: { en: { login: { login: {} } } },
    };
    const invalid = { universal_login_experience: "newest" };
    // `prompts` alone compiles in seconds: what a file is checked against is the part of it
    // that the file's own keys reach.
    const prompts = (packageSchema() as { properties: Record<string, unknown> }).properties.prompts;
    const size = (schema: unknown) => JSON.stringify(schema).length;
    expect(size(prompts)).toBeGreaterThan(1_000_000);
    for (const sample of [valid, invalid]) {
      expect(size(sliceSchema(prompts, [sample]))).toBeLessThan(1_000);
    }
    expect(deployCliSchemaProblems({ prompts: valid })).toEqual([]);
    expect(deployCliSchemaProblems({ prompts: invalid })).toEqual([
      {
        path: ["prompts", "universal_login_experience"],
        message: 'must be one of "new", "classic"',
      },
    ]);
  });

  it("replaces keywords exactly as the pinned Deploy CLI does", () => {
    const requireHere = createRequire(import.meta.url);
    const deployCli = requireHere("auth0-deploy-cli/lib/tools/utils") as {
      keywordReplace(input: string, mappings: Record<string, unknown>): string;
    };
    const mappings = {
      DOMAIN: "app.example.com",
      CALLBACKS: ["https://app.example.com/cb", "https://app.example.com/cb?x=$&"],
      PORT: 3000,
      FLAGS: { a: true },
      EMPTY: "",
    };
    const inputs = [
      "callbacks: @@CALLBACKS@@\nweb_origins: '@@CALLBACKS@@'\nx: \"@@CALLBACKS@@\"",
      "url: https://##DOMAIN##:##PORT##/cb  # ##DOMAIN## twice, ##UNKNOWN## left",
      '{"flags": @@FLAGS@@, "empty": "##EMPTY##", "same": "##DOMAIN####DOMAIN##"}',
      "no keywords at all",
    ];
    for (const input of inputs) {
      expect(keywordReplace(input, mappings)).toBe(deployCli.keywordReplace(input, mappings));
    }
    expect(keywordReplace("##A##", {})).toBe(deployCli.keywordReplace("##A##", {}));
  });

  it("accepts data it accepted before without validating it again", () => {
    // Data no earlier run saw: a client named by a fresh UUID.
    const data = { clients: [{ name: `client ${randomUUID()}`, app_type: "non_interactive" }] };
    const before = schemaValidations();
    expect(deployCliSchemaProblems(data, true)).toEqual([]);
    expect(schemaValidations()).toBe(before + 1);
    expect(deployCliSchemaProblems(structuredClone(data), true)).toEqual([]);
    expect(schemaValidations()).toBe(before + 1);
    // Without `remember` (a tenant made in a test), nothing is looked up.
    expect(deployCliSchemaProblems(data)).toEqual([]);
    expect(schemaValidations()).toBe(before + 2);
  });

  it("writes the schema as the published package carries it: an index and a file per section", () => {
    const root = mkdtempSync(path.join(tmpdir(), "deploy-cli-schema-"));
    try {
      const dir = writeDeployCliSchema(root);
      expect(dir).toBe(path.join(root, DEPLOY_CLI_VERSION));
      const read = (name: string) => readFileSync(path.join(dir, `${name}.json`), "utf8");
      const { properties, ...rest } = packageSchema();
      const sections = properties as Record<string, unknown>;
      expect(JSON.parse(read("index"))).toEqual({
        root: rest,
        sections: Object.keys(sections),
      });
      expect(readdirSync(dir).sort()).toEqual(
        ["index", ...Object.keys(sections)].map((name) => `${name}.json`).sort(),
      );
      for (const [name, schema] of Object.entries(sections)) {
        expect(read(name), name).toBe(JSON.stringify(schema));
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("validates refused data, and data JSON cannot stand for, every time", () => {
    const refused = {
      clients: [{ name: `client ${randomUUID()}`, organization_usage: "sometimes" }],
    };
    const dated = { clients: [{ name: `client ${randomUUID()}`, made: new Date(0) }] };
    const before = schemaValidations();
    for (let i = 0; i < 2; i++) {
      expect(deployCliSchemaProblems(refused, true).map((p) => p.path)).toEqual([
        ["clients", 0, "organization_usage"],
      ]);
      expect(deployCliSchemaProblems(dated, true)).toEqual([]);
    }
    expect(schemaValidations()).toBe(before + 4);
  });
});
