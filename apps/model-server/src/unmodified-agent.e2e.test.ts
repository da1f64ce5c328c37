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
const { text, steps } = await generateText({
  model: openai("gpt-4o-mini"),
  system: "You are an assistant. Invoke the tool if needed, then respond with a past-tense confirmation.",
  prompt: process.argv[1],
  tools: { shop_online: shopOnlineTool },
  stopWhen: stepCountIs(5),
});
console.log(JSON.stringify({ text, input: steps[0].toolCalls[0]?.input }));
`;

it("drives an unmodified @ai-sdk/openai agent through OPENAI_BASE_URL alone", async () => {
  const { stdout } = await run(
    process.execPath,
    ["--input-type=module", "-e", AGENT, "Buy 2 XYZ phones under $1200"],
    {
      cwd: PACKAGE_DIR,
      env: {
        PATH: process.env.PATH ?? "",
        OPENAI_BASE_URL: server.baseURL,
        OPENAI_API_KEY: "test",
      },
    },
  );
  expect(JSON.parse(stdout)).toEqual({
    text: "Ordered 2 x XYZ phone (at most 1200 USD): order ORD-1.",
    input: { product: "XYZ phone", qty: 2, priceLimit: 1200 },
  });
});
