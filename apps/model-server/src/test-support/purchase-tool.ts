import { tool } from "ai";
import { z } from "zod";

export interface PlacedOrder {
  product: string;
  qty: number;
  priceLimit: number | undefined;
}

/**
 * A quickstart-shaped purchase tool (`{ product, qty, priceLimit? }`) whose execute records the
 * call and answers with `answer`: a fake order by default.
 */
export function fakePurchaseTool(
  answer: (input: PlacedOrder, index: number) => unknown = (input, index) => ({
    id: `order-${index + 1}`,
    status: "confirmed",
    product: { id: "xyz-phone", name: input.product },
    qty: input.qty,
    total: 499 * input.qty,
    currency: "USD",
  }),
) {
  const calls: PlacedOrder[] = [];
  const purchase = tool({
    description: "Tool to buy products online",
    inputSchema: z.object({
      product: z.string(),
      qty: z.number(),
      priceLimit: z.number().optional(),
    }),
    execute: ({ product, qty, priceLimit }) => {
      const input = { product, qty, priceLimit };
      calls.push(input);
      return Promise.resolve(answer(input, calls.length - 1));
    },
  });
  return { purchase, calls };
}
