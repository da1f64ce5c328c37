import { ManualClock } from "@ciba-testbed/shared";
import { describe, expect, it } from "vitest";

import { tenantWith } from "../tenant/load-tenant.js";
import { PollingWatch, agentPolling, pollingDeadline } from "./agent-polling.js";
import { BackchannelStore } from "./backchannel-store.js";

function storeWithRequests(count: number) {
  const clock = new ManualClock();
  const store = new BackchannelStore(tenantWith({}).ciba, clock);
  const ids = Array.from({ length: count }, (_, i) => {
    const created = store.create({
      authReqId: `req-${i}`,
      clientId: "ciba-testbed-agent",
      userId: "auth0|testbed-user",
      scope: ["openid"],
      audience: undefined,
      bindingMessage: `Request ${i}`,
      authorizationDetails: undefined,
      requestedExpiry: undefined,
      channel: "guardian-push",
      userEmail: "buyer@example.com",
      approverOutcome: { action: "manual" },
      expiresInSeconds: 300,
    });
    if (!created.ok) throw new Error("store full");
    return created.request.authReqId;
  });
  return { clock, store, ids };
}

describe("agent polling", () => {
  it("counts a request as polled for three intervals after its last poll, or its creation", () => {
    const { clock, store, ids } = storeWithRequests(1);
    const request = store.get(ids[0]!)!;
    expect(pollingDeadline(request)).toBe(request.createdAt + 3 * request.intervalMs);
    expect(agentPolling(request, pollingDeadline(request))).toBe(true);
    expect(agentPolling(request, pollingDeadline(request) + 1)).toBe(false);

    clock.advance(10_000);
    store.poll(request.authReqId, "ciba-testbed-agent");
    expect(pollingDeadline(request)).toBe(clock.now() + 3 * request.intervalMs);
    expect(agentPolling(request, clock.now())).toBe(true);
    store.decide(request.authReqId, "deny", "control-api");
    expect(agentPolling(request, clock.now())).toBeUndefined();
  });

  it("does not report requests already quiet when the watch starts, until they are polled again", () => {
    const { clock, store, ids } = storeWithRequests(4);
    const interval = store.get(ids[0]!)!.intervalMs;
    store.poll(ids[3]!, "ciba-testbed-agent");
    clock.advance(3 * interval + 1);
    store.poll(ids[0]!, "ciba-testbed-agent");
    // ids[1], ids[2] were never polled and ids[3] not since: all three are quiet already.
    const watch = new PollingWatch(
      ids.map((id) => store.get(id)!),
      clock.now(),
    );
    clock.advance(3 * interval + 1);
    expect(watch.take(clock.now(), 10).map((r) => r.authReqId)).toEqual([ids[0]]);
    store.poll(ids[1]!, "ciba-testbed-agent");
    watch.polledNow(store.get(ids[1]!)!);
    expect(watch.take(clock.now(), 10).map((r) => r.authReqId)).toEqual([ids[1]]);
    clock.advance(3 * interval + 1);
    expect(watch.take(clock.now(), 10).map((r) => r.authReqId)).toEqual([ids[1]]);
  });

  it("reports the polled and the quiet requests in batches of at most `limit`", () => {
    const { clock, store, ids } = storeWithRequests(5);
    const watch = new PollingWatch(
      ids.map((id) => store.get(id)!),
      clock.now(),
    );
    expect(watch.take(clock.now(), 10)).toEqual([]);

    const interval = store.get(ids[0]!)!.intervalMs;
    clock.advance(3 * interval + 1);
    const quiet = [...watch.take(clock.now(), 3), ...watch.take(clock.now(), 3)];
    expect(quiet.map((r) => r.authReqId).sort()).toEqual([...ids].sort());
    expect(watch.take(clock.now(), 3)).toEqual([]);

    store.poll(ids[2]!, "ciba-testbed-agent");
    watch.polledNow(store.get(ids[2]!)!);
    expect(watch.take(clock.now(), 3).map((r) => r.authReqId)).toEqual([ids[2]]);
    // Polled again, it is watched again: it goes quiet once more three intervals later.
    clock.advance(3 * interval + 1);
    expect(watch.take(clock.now(), 3).map((r) => r.authReqId)).toEqual([ids[2]]);
  });
});
