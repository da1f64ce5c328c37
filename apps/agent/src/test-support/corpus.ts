import { readFileSync } from "node:fs";

import { DEFAULT_PRODUCTS } from "@ciba-testbed/shop-api";

import { parsePurchaseRequest, type ParsedRequest } from "../parse-request.js";

/** One phrasing of the corpus and how it must be understood. */
export interface CorpusEntry {
  request: string;
  expected: string;
  line: number;
}

const CORPUS_FILE = new URL("../offline-corpus/corpus.tsv", import.meta.url);

/** `corpus.tsv`: a request, a tab, the expected reading; `#` starts a comment line. */
export function readCorpus(): CorpusEntry[] {
  return readFileSync(CORPUS_FILE, "utf8")
    .split("\n")
    .flatMap((text, index) => {
      if (text.trim() === "" || text.startsWith("#")) return [];
      const [request = "", expected = "", ...rest] = text.split("\t");
      if (rest.length > 0 || expected === "") {
        throw new Error(`corpus.tsv line ${index + 1}: want "<request>\\t<expected>"`);
      }
      return [{ request, expected, line: index + 1 }];
    });
}

/** The corpus's notation: "2 x XYZ phone <= 500 + 1 x USB-C cable", or "? <reason>". */
export function summarize(parsed: ParsedRequest): string {
  if (parsed.kind === "unclear") return `? ${parsed.reason}`;
  return parsed.items
    .map(
      ({ product, qty, priceLimit }) =>
        `${qty} x ${product}${priceLimit === undefined ? "" : ` <= ${priceLimit}`}`,
    )
    .join(" + ");
}

/** How the offline model reads a request against the shop's default catalog. */
export function understand(request: string): string {
  return summarize(parsePurchaseRequest(request, DEFAULT_PRODUCTS));
}
