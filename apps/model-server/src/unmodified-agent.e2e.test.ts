import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, expect, it } from "vitest";

import { startModelServer } from "./server.js";
import type { RunningModelServer } from "./server.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

let server: RunningModelServer;
beforeAll(async () => {
  server = await startModelServer();
});
afterAll(async () => {
  await server.close();
});

// A quickstart-style agent in plain Node ESM: the default `openai` provider, configured by the
// environment alone.
const AGENT = `
import { openai } from "@ai-sdk/openai";
import { generateText, stepCountIs, tool } from "ai";
import { z } from "zod";

const shopOnlineTool = tool({
  description: "Tool to buy products online",
  inputSchema: z.object({ product: z.string(), qty: z.number(), priceLimit: z.number().optional() }),
  execute: async ({ product, qty, priceLimit }) => ({ orderId: "ORD-1", product, qty, priceLimit }),
});
for (const prompt of JSON.parse(process.argv[1])) {
  const { text, steps } = await generateText({
    model: openai("gpt-4o-mini"),
    system: "You are an assistant. Invoke the tool if needed, then respond with a past-tense confirmation.",
    prompt,
    tools: { shop_online: shopOnlineTool },
    stopWhen: stepCountIs(5),
  });
  console.log(JSON.stringify({ text, input: steps[0].toolCalls[0]?.input }));
}
`;

/** Runs the agent once over `prompts`, in one process; one JSON line per prompt. */
async function runAgent(prompts: string[]) {
  const { stdout } = await run(
    process.execPath,
    ["--input-type=module", "-e", AGENT, JSON.stringify(prompts)],
    {
      cwd: PACKAGE_DIR,
      env: {
        PATH: process.env.PATH ?? "",
        OPENAI_BASE_URL: server.baseURL,
        OPENAI_API_KEY: "test",
      },
    },
  );
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as unknown);
}

/** The first test's prompt, and the second test's prompts with the arguments each must give. */
const FIRST_PROMPT = "Buy 2 XYZ phones under $1200";
const PHRASINGS: [string, Record<string, unknown>][] = [
  ["Buy 2 XYZ phones", { product: "XYZ phone", qty: 2 }],
  [
    "Could you order three XYZ phones for me? Keep it under 5000 dollars.",
    { product: "XYZ phone", qty: 3, priceLimit: 5000 },
  ],
  ["Please purchase a USB-C cable", { product: "USB-C cable", qty: 1 }],
  ["I'd like to buy 4 XYZ phones under $3,000", { product: "XYZ phone", qty: 4, priceLimit: 3000 }],
  ["get me a dozen AA batteries for $20", { product: "AA battery", qty: 12, priceLimit: 20 }],
  ["Order one XYZ phone, max 600 USD", { product: "XYZ phone", qty: 1, priceLimit: 600 }],
];
/**
 * The agent's replies to the prompts of both tests, in one process started by the first test
 * that asks: loading the AI SDK costs the process more CPU than all its prompts. Each prompt is
 * its own `generateText` call, so no reply depends on another.
 */
let replies: Promise<unknown[]> | undefined;
const allReplies = () =>
  (replies ??= runAgent([FIRST_PROMPT, ...PHRASINGS.map(([prompt]) => prompt)]));

it(
  "drives an unmodified @ai-sdk/openai agent through OPENAI_BASE_URL alone",
  { timeout: 60_000 },
  async () => {
    expect((await allReplies()).slice(0, 1)).toEqual([
      {
        text: "Ordered 2 x XYZ phone (at most 1200 USD): order ORD-1.",
        input: { product: "XYZ phone", qty: 2, priceLimit: 1200 },
      },
    ]);
  },
);

it(
  "calls the tool with the right arguments for the ways people ask",
  { timeout: 60_000 },
  async () => {
    const replied = (await allReplies()).slice(1);
    expect(replied.map((reply) => (reply as { input: unknown }).input)).toEqual(
      PHRASINGS.map(([, input]) => input),
    );
  },
);
