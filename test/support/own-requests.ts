import { purchaseBindingMessage } from "@ciba-testbed/shared";
import type { ConsentRecord, ControlClient } from "@ciba-testbed/stack";

/**
 * Whether `record` asks for exactly `item`, a quantity and a product ("3 USB-C cable"), as the
 * agent words it (`purchaseBindingMessage`), with or without its price limit: "1 USB-C cable"
 * is not "11 USB-C cables", and "2 XYZ phone" is not "2 XYZ phone cases".
 */
export function asksToBuy(item: string) {
  const [, qty, product] = /^(\d+) (.+)$/.exec(item) ?? [];
  if (qty === undefined || product === undefined) {
    throw new Error(`"${item}" is no quantity and product, such as "3 USB-C cable"`);
  }
  const question = purchaseBindingMessage({ product, qty: Number(qty) });
  return (record: ConsentRecord) =>
    record.binding_message === question || record.binding_message.startsWith(`${question} for `);
}

/**
 * The consent requests one test makes on a tenant that tests before it used too: it sees only
 * the requests created after `ownRequests` was called, so a request another test or file left
 * pending with the same purchase is never taken for this test's.
 */
export async function ownRequests(control: ControlClient) {
  const earlier = new Set((await control.requests()).map((r) => r.auth_req_id));
  const own = (record: ConsentRecord) => !earlier.has(record.auth_req_id);
  return {
    /** The first pending request of this test's that `match` accepts (`waitForPending`). */
    waitForPending: (match: (record: ConsentRecord) => boolean, timeoutMs?: number) =>
      control.waitForPending((record) => own(record) && match(record), timeoutMs),
    /** Every request of this test's, oldest first. */
    all: async () => (await control.requests()).filter(own),
  };
}

export type OwnRequests = Awaited<ReturnType<typeof ownRequests>>;
