import type { BackchannelRequest, Decision } from "../backchannel/backchannel-request.js";
import type { BackchannelStore, DecideResult } from "../backchannel/backchannel-store.js";
import type { TenantDirectory } from "../tenant/tenant-directory.js";
import { randomId } from "../random-id.js";

/** Where the email's link points: Auth0's path, with the link's token as `consent`. */
export const CONSENT_PATH = "/bc-verify";

/** 256 bits from the CSPRNG, URL-safe: a link nobody can guess. */
const newToken = () => randomId();

/**
 * The email Auth0 sends for a request on the email channel (its "Asynchronous Approval"
 * template): to the person's verified address, the `binding_message` as the request code, and
 * a link to `/bc-verify?consent=…`. Auth0 does not publish its default wording; the subject
 * and text here are the testbed's. `link` is null once the link can no longer be used.
 */
export interface ConsentEmailJson {
  to: string;
  subject: string;
  request_code: string;
  link: string | null;
  sent_at: string;
}

/**
 * The email channel, simulated: no mail leaves the machine. When a request on the email
 * channel is created, its email is "sent" (the approver page shows it) with a consent link.
 * A link stands for one pending request, is used up by the decision taken through it, and
 * dies with its request (decided elsewhere, or expired). Links exist for pending email
 * requests only, so their number is bounded by the tenant's open requests.
 */
export class ConsentEmails {
  private readonly tokenById = new Map<string, string>();
  private readonly idByToken = new Map<string, string>();

  constructor(
    private readonly issuer: string,
    private readonly directory: TenantDirectory,
    private readonly store: BackchannelStore,
  ) {
    store.on("change", this.onChange);
  }

  /** The email sent for a request on the email channel; undefined for any other channel. */
  emailFor(request: BackchannelRequest): ConsentEmailJson | undefined {
    if (request.channel !== "email") return undefined;
    const client = this.directory.clients.get(request.clientId);
    const token = this.tokenById.get(request.authReqId);
    const link = new URL(CONSENT_PATH.slice(1), this.issuer);
    if (token !== undefined) link.searchParams.set("consent", token);
    return {
      to: request.userEmail,
      subject: `${client?.name ?? request.clientId} asks for your approval`,
      request_code: request.bindingMessage,
      link: token === undefined ? null : link.href,
      sent_at: new Date(request.createdAt).toISOString(),
    };
  }

  /** The pending request a link stands for, without using the link up. */
  find(token: string): BackchannelRequest | undefined {
    const id = this.idByToken.get(token);
    const request = id === undefined ? undefined : this.store.get(id);
    return request?.status === "pending" ? request : undefined;
  }

  /** Decides the request through its link, which is then used up whatever the outcome. */
  use(token: string, decision: Decision, now: number): DecideResult {
    const id = this.idByToken.get(token);
    if (id === undefined) return { ok: false, reason: "unknown" };
    this.revoke(id);
    return this.store.decide(id, decision, "email-link", now);
  }

  private readonly onChange = (request: BackchannelRequest): void => {
    if (request.channel !== "email") return;
    if (request.status !== "pending") {
      this.revoke(request.authReqId);
      return;
    }
    if (this.tokenById.has(request.authReqId)) return;
    const token = newToken();
    this.tokenById.set(request.authReqId, token);
    this.idByToken.set(token, request.authReqId);
  };

  private revoke(authReqId: string): void {
    const token = this.tokenById.get(authReqId);
    if (token === undefined) return;
    this.tokenById.delete(authReqId);
    this.idByToken.delete(token);
  }
}
