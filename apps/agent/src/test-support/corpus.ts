import { readFileSync } from "node:fs";

import { DEFAULT_PRODUCTS } from "@ciba-testbed/shop-api";

import { askingAnswer, readReply } from "../follow-up.js";
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

/**
 * How the offline model reads `reply` after `previous`, to which it answered `answer` (by
 * default what it answers to `previous` on its own: its question, or no text for a purchase).
 */
export function understandReply(previous: string, reply: string, answer?: string): string {
  const asked = parsePurchaseRequest(previous, DEFAULT_PRODUCTS);
  const own = asked.kind === "unclear" ? askingAnswer(asked) : undefined;
  const earlier = [{ request: previous, answer: answer ?? own }];
  return summarize(readReply(reply, earlier, DEFAULT_PRODUCTS).parsed);
}
