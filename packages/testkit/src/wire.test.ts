import type {
  ControlRefusalJson,
  ControlRequestDetailJson,
  ControlRequestJson,
  ControlUserJson,
} from "@ciba-testbed/mock-auth0";
import type { OrderJson } from "@ciba-testbed/shop-api";
import { describe, expectTypeOf, it } from "vitest";

import type {
  ApproverOutcome,
  ConsentEvent,
  ConsentRequest,
  ShopOrder,
  TenantRefusal,
  TenantUser,
} from "./wire.js";

// Checked by the type checker (`pnpm typecheck`): the testkit's published types are the servers'
// wire types, so a field the servers change or drop fails here first.
describe("the testkit's wire types", () => {
  it("are what mock-auth0's control API and the shop API serialize", () => {
    expectTypeOf<ControlRequestJson>().toExtend<ConsentRequest>();
    expectTypeOf<ControlRequestDetailJson["timeline"][number]>().toExtend<ConsentEvent>();
    expectTypeOf<OrderJson>().toExtend<ShopOrder>();
    expectTypeOf<ControlRefusalJson>().toExtend<TenantRefusal>();
    expectTypeOf<ControlUserJson>().toExtend<TenantUser>();
  });

  it("spell the approver's outcomes, so a typo fails to compile", () => {
    expectTypeOf<"approve-after:500">().toExtend<ApproverOutcome>();
    expectTypeOf<"manual">().toExtend<ApproverOutcome>();
    expectTypeOf<"aprove">().not.toExtend<ApproverOutcome>();
    expectTypeOf<"approve-after:soon">().not.toExtend<ApproverOutcome>();
  });
});
