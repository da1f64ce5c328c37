import { DEFAULT_PRODUCTS } from "@ciba-testbed/shop-api";
import { describe, expect, it } from "vitest";

import { parsePurchaseRequest } from "./parse-request.js";
import { readCorpus, understand } from "./test-support/corpus.js";

const REQUIRED_ACCURACY = 0.97;

const entries = readCorpus();
const results = entries.map((entry) => ({ ...entry, got: understand(entry.request) }));
const misses = results.filter(({ expected, got }) => got !== expected);
const accuracy = (entries.length - misses.length) / entries.length;
const percent = `${(accuracy * 100).toFixed(1)}%`;
const report = [
  `Offline model corpus: ${entries.length - misses.length}/${entries.length} understood (${percent}), ${misses.length} misses`,
  ...misses.map(
    ({ line, request, expected, got }) =>
      `  corpus.tsv:${line} ${JSON.stringify(request)}\n    expected ${expected}\n    got      ${got}`,
  ),
].join("\n");

describe("the offline model's corpus", () => {
  it(`understands at least ${REQUIRED_ACCURACY * 100}% of its phrasings (now ${percent})`, () => {
    // Printed on every run, passing or not: the accuracy and every miss.
    console.info(report);
    expect(entries.length).toBeGreaterThanOrEqual(150);
    expect(accuracy, report).toBeGreaterThanOrEqual(REQUIRED_ACCURACY);
  });

  it("never buys a product the catalog does not list", () => {
    const names = new Set(DEFAULT_PRODUCTS.map((product) => product.name));
    for (const { request } of entries) {
      const parsed = parsePurchaseRequest(request, DEFAULT_PRODUCTS);
      if (parsed.kind === "purchases") {
        for (const item of parsed.items) expect(names, request).toContain(item.product);
      }
    }
  });

  it("has each phrasing once", () => {
    const seen = new Map<string, number>();
    for (const { request, line } of entries) {
      expect(seen.get(request), `line ${line} repeats line ${seen.get(request)}`).toBeUndefined();
      seen.set(request, line);
    }
  });
});
