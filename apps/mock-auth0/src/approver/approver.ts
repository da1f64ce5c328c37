import type { ApproverOutcome } from "./outcome.js";
import { chooseOutcome } from "./policy.js";
import type { ApproverPolicy, ConsentRequest } from "./policy.js";

/**
 * The simulated person behind every consent request: asked once per request, it answers now,
 * later, never, or leaves the decision to the control API / approver page.
 */
export interface Approver {
  onRequest(request: ConsentRequest): ApproverOutcome;
}

/** An approver driven by rules, whose policy tests replace at run time. */
export class PolicyApprover implements Approver {
  constructor(private current: ApproverPolicy) {}

  get policy(): ApproverPolicy {
    return this.current;
  }

  setPolicy(policy: ApproverPolicy): void {
    this.current = policy;
  }

  onRequest(request: ConsentRequest): ApproverOutcome {
    return chooseOutcome(this.current, request);
  }
}
