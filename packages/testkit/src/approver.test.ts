import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runInNewContext } from "node:vm";

import { ManualClock, SigningKeys, startMockAuth0, tenantWith } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import { LOCAL_DEFAULTS, SHOP_API_AUDIENCE } from "@ciba-testbed/shared";
import { DEFAULT_CERT_DIR } from "@ciba-testbed/shared/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { controlApiApprover } from "./approver.js";
import type { Approver } from "./approver.js";
import { httpsJson } from "./https-json.js";
import { RequestFilterError } from "./request-filter.js";
import { TestbedError } from "./testbed-error.js";
import { UNTRUSTED_CA_FIX } from "./untrusted-ca.js";

const USER = LOCAL_DEFAULTS.userId;
const SECOND_USER = "auth0|second-user";

// The tenant in this process, on a manual clock: `created_at` is what the test says.
let tenant: RunningMockAuth0;
let caPem: string;
const clock = new ManualClock(Date.parse("2030-01-01T12:00:00Z"));

beforeAll(async () => {
  tenant = await startMockAuth0({
    // Many requests for one person at one instant: Auth0's per-person limit is not the subject.
    tenant: tenantWith({
      settings: (settings) => ({
        ...settings,
        ciba: { ...(settings.ciba as object), perUserRequestsPerMinute: null },
      }),
    }),
    port: 0,
    host: "127.0.0.1",
    certDir: DEFAULT_CERT_DIR,
    clock,
    keys: await SigningKeys.create(),
  });
  caPem = readFileSync(tenant.caCertPath, "utf8");
});
afterAll(() => tenant.close());

/**
 * The test's time for the approver's timeouts: each wait between two looks moves it on, and
 * first does the next of `meanwhile`, what happens while the approver waits.
 */
let testTime = 0;
const approverOnTestTime = (...meanwhile: (() => Promise<unknown>)[]): Approver =>
  controlApiApprover({
    issuer: tenant.issuer,
    caPem,
    now: () => testTime,
    delay: async (ms) => {
      await meanwhile.shift()?.();
      testTime += ms;
    },
  });

let approver: Approver;
beforeEach(() => {
  approver = approverOnTestTime();
  // Each test starts with no request pending.
  for (const request of tenant.store.list({ statuses: ["pending"], limit: 1_000 }).requests) {
    tenant.store.expire(request.authReqId, clock.now());
  }
});

/** What an agent does first: a backchannel request for `user`; resolves with its auth_req_id. */
async function ask(bindingMessage: string, user: string = USER): Promise<string> {
  const answer = await bcAuthorize({ binding_message: bindingMessage, user });
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
  return (answer.body as { auth_req_id: string }).auth_req_id;
}

/** `/bc-authorize` as the agent client sends it, with `changes` (a wrong audience, ...). */
function bcAuthorize(changes: Record<string, string> & { user?: string }) {
  const { user = USER, ...params } = changes;
  return httpsJson(new URL("bc-authorize", tenant.issuer), {
    method: "POST",
    ca: caPem,
    json: {
      client_id: LOCAL_DEFAULTS.clientId,
      client_secret: LOCAL_DEFAULTS.clientSecret,
      scope: "openid product:buy",
      audience: SHOP_API_AUDIENCE,
      login_hint: JSON.stringify({ format: "iss_sub", iss: tenant.issuer, sub: user }),
      binding_message: "Do you want to buy 2 XYZ phone",
      ...params,
    },
  });
}

describe("waitForRequest", () => {
  it("hands each request out once: the next test never gets the one a failed test left pending", async () => {
    // Test A waits for its request, then fails before deciding it.
    const left = await ask("Do you want to buy 3 XYZ phone");
    expect((await approver.waitForRequest({ user: USER })).auth_req_id).toBe(left);

    // Test B's agent asks for its own purchase; B gets that one, not A's.
    const own = await ask("Do you want to buy 1 USB-C cable");
    const got = await approver.waitForRequest({ user: USER });
    expect(got).toMatchObject({
      auth_req_id: own,
      binding_message: "Do you want to buy 1 USB-C cable",
    });
  });

  it("gives two waits at once one request each", async () => {
    const ids = [
      await ask("Do you want to buy 1 AA battery"),
      await ask("Do you want to buy 2 AA battery"),
    ];
    const [first, second] = await Promise.all([
      approver.waitForRequest({ user: USER }),
      approver.waitForRequest({ user: USER }),
    ]);
    expect([first.auth_req_id, second.auth_req_id].sort()).toEqual([...ids].sort());
  });

  it("says, when it times out, which matching requests it handed out already", async () => {
    const taken = await ask("Do you want to buy 4 XYZ phone");
    await approver.waitForRequest({ bindingMessage: "Do you want to buy 4 XYZ phone" });
    testTime = 0;

    await expect(
      approver.waitForRequest(
        { bindingMessage: "Do you want to buy 4 XYZ phone" },
        { timeoutMs: 200 },
      ),
    ).rejects.toThrow(
      `No consent request matching {"status":"pending","bindingMessage":"Do you want to buy 4 XYZ phone"} within 200 ms; ` +
        `1 match but an earlier waitForRequest had them already, and each request is handed out once: ` +
        `${taken} "Do you want to buy 4 XYZ phone" (pending)`,
    );
  });

  it("counts a request handed out and decided since by its status, not as handed out", async () => {
    const taken = await ask("Do you want to buy 7 XYZ phone");
    await approver.waitForRequest({ bindingMessage: "Do you want to buy 7 XYZ phone" });
    await approver.approve(taken);
    testTime = 0;

    const waiting = approver.waitForRequest(
      { bindingMessage: "Do you want to buy 7 XYZ phone" },
      { timeoutMs: 200 },
    );

    await expect(waiting).rejects.toThrow(
      ` within 200 ms; 1 match but an earlier waitForRequest had them, and they were decided since by the test it returned to`,
    );
    await expect(waiting).rejects.not.toThrow(/handed out once/);
  });

  it("says a request an earlier test's wait took and denied was that wait's doing, not an approver policy's", async () => {
    testTime = 0;
    approver = approverOnTestTime(async () => {
      await ask("Do you want to buy 6 AA battery");
      // The earlier test's wait, still running after its test ended, takes it; its test denies it.
      const stale = await approver.waitForRequest({ user: USER });
      await approver.deny(stale.auth_req_id);
    });

    const waiting = approver.waitForRequest(
      { bindingMessage: "Do you want to buy 6 AA battery" },
      { timeoutMs: 200 },
    );

    await expect(waiting).rejects.toThrow(
      "1 match but an earlier waitForRequest had them, and they were decided since by the test it returned to (a wait from an earlier test that outlived it, one Vitest stopped at its timeout: pass the test's signal as { signal }): ",
    );
    await expect(waiting).rejects.not.toThrow("approver policy");
  });

  it("says, when it times out, which request came before the wait and which was decided during it", async () => {
    const earlier = await ask("Do you want to buy 8 XYZ phone");
    await approver.approve(earlier);
    testTime = 0;
    // Another test's request, decided before this wait: not the approver policy's doing.
    await expect(
      approver.waitForRequest(
        { bindingMessage: "Do you want to buy 8 XYZ phone" },
        { timeoutMs: 200 },
      ),
    ).rejects.toThrow(
      `; 1 match but for the status: approved (decided before the wait began: at once by an approver policy, or another test's request, which a filter with since leaves out): ${earlier} "Do you want to buy 8 XYZ phone" (approved), there before the wait began`,
    );

    let during = "";
    const waiting = approverOnTestTime(async () => {
      during = await ask("Do you want to buy 8 XYZ phone");
      await approver.deny(during);
    }).waitForRequest({ bindingMessage: "Do you want to buy 8 XYZ phone" }, { timeoutMs: 200 });
    await expect(waiting).rejects.toThrow(
      /; 2 match but for the status: approved, denied \(an approver policy that decides at once\?\): \S+ "Do you want to buy 8 XYZ phone" \(denied\), \S+ "Do you want to buy 8 XYZ phone" \(approved\), there before the wait began$/,
    );
    await expect(waiting).rejects.toThrow(
      `: ${during} "Do you want to buy 8 XYZ phone" (denied), `,
    );
  });

  it("names, when it times out, a pending request that differs only in its user or binding message", async () => {
    const otherUser = await ask("Do you want to buy 9 XYZ phone", SECOND_USER);
    const otherWords = await ask("Do you want to buy 9 XYZ phones");
    testTime = 0;

    await expect(
      approver.waitForRequest(
        { user: USER, bindingMessage: "Do you want to buy 9 XYZ phone" },
        { timeoutMs: 200 },
      ),
    ).rejects.toThrow(
      `within 200 ms; 1 match but for the user: ${otherUser} for ${SECOND_USER} "Do you want to buy 9 XYZ phone" (pending), there before the wait began` +
        `; 1 match but for the binding message: ${otherWords} "Do you want to buy 9 XYZ phones" (pending), there before the wait began`,
    );
  });

  it("with since, passes over requests created before that time", async () => {
    const before = await ask("Do you want to buy 5 XYZ phone");
    clock.advance(1_000);
    const since = new Date(clock.now());
    const after = await ask("Do you want to buy 6 XYZ phone");

    expect((await approver.requests({ since })).map((r) => r.auth_req_id)).toEqual([after]);
    expect((await approver.waitForRequest({ user: USER, since })).auth_req_id).toBe(after);
    expect(
      (await approver.requests({ since: since.getTime() - 1_000, status: "pending" })).map(
        (r) => r.auth_req_id,
      ),
    ).toEqual([before, after]);
    await expect(approver.requests({ since: "yesterday" })).rejects.toThrow(
      'since must be a Date, a time in ms or an ISO string, not "yesterday"',
    );
  });
});

describe("waitForRequest, for a binding message that disagrees with authorization_details", () => {
  /** An agent's request whose details buy `quantity` of `product`, whatever its message says. */
  const askFor = async (bindingMessage: string, product: string, quantity: number) => {
    const answer = await bcAuthorize({
      binding_message: bindingMessage,
      authorization_details: JSON.stringify([
        { type: "product_purchase", product, quantity, currency: "USD" },
      ]),
    });
    if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
    return (answer.body as { auth_req_id: string }).auth_req_id;
  };

  it("fails with the tenant's sentence and expires the request, so no test approves one cable for five laptops", async () => {
    const id = await askFor("Do you want to buy 1 USB-C cable", "ABC laptop", 5);

    const failed = approver.waitForRequest({ user: USER });
    await expect(failed).rejects.toMatchObject({ code: "TESTBED_MESSAGE_MISMATCH" });
    await expect(failed).rejects.toThrow(
      `Consent request ${id} asks the person to approve "Do you want to buy 1 USB-C cable" for ` +
        'authorization_details [{"type":"product_purchase","product":"ABC laptop","quantity":5,' +
        '"currency":"USD"}]: The binding message does not name the product "ABC laptop" or the ' +
        "quantity 5 (it says 1) of authorization_details",
    );
    expect((await approver.request(id)).status).toBe("expired");
    // Handed out once, as every request: a later wait does not get it either.
    await expect(
      approver.waitForRequest(
        { status: "expired", where: (request) => request.auth_req_id === id },
        { timeoutMs: 100 },
      ),
    ).rejects.toThrow("an earlier waitForRequest had them already");
  });

  it("hands it out with allowMessageMismatch, its message_mismatch set; a request that agrees has null", async () => {
    const mismatched = await askFor("Do you want to buy 1 USB-C cable", "ABC laptop", 5);
    const got = await approver.waitForRequest({ user: USER }, { allowMessageMismatch: true });
    expect(got).toMatchObject({ auth_req_id: mismatched, status: "pending" });
    expect(got.message_mismatch).toMatch(/does not name the product "ABC laptop"/);

    const agreeing = await askFor("Do you want to buy 2 XYZ phone", "XYZ phone", 2);
    expect(await approver.waitForRequest({ user: USER })).toMatchObject({
      auth_req_id: agreeing,
      message_mismatch: null,
    });
    await expect(
      approver.waitForRequest({ user: USER }, { allowMessageMismatch: "yes" as never }),
    ).rejects.toThrow('allowMessageMismatch must be true or false, not "yes"');
  });
});

describe("expirePending", () => {
  it("ends the pending requests that match, and leaves the rest", async () => {
    const mine = await ask("Do you want to buy 7 XYZ phone");
    const decided = await ask("Decided before the agent finished");
    await approver.approve(decided);
    const theirs = await ask("Do you want to buy 9 XYZ phone", SECOND_USER);

    const expired = await approver.expirePending({ user: USER });

    expect(expired.map((r) => [r.auth_req_id, r.status])).toEqual([[mine, "expired"]]);
    expect((await approver.request(decided)).status).toBe("approved");
    expect((await approver.request(theirs)).status).toBe("pending");
    expect((await approver.expirePending()).map((r) => r.auth_req_id)).toEqual([theirs]);
  });
});

describe("a filter from JavaScript, misspelt", () => {
  it("fails loudly in every call that takes one, instead of matching every request", async () => {
    const first = await ask("first one");
    const second = await ask("second one");
    const typo = { binding_message: "second one" } as never;
    const named = "binding_message is no filter key: did you mean bindingMessage?";

    await expect(approver.requests(typo)).rejects.toThrow(named);
    await expect(approver.waitForRequest(typo)).rejects.toThrow(named);
    await expect(approver.expirePending(typo)).rejects.toThrow(named);
    await expect(approver.requests({ status: "pendng" as never })).rejects.toThrow(
      'status must be one of pending, approved, denied, expired, consumed, or a list of them, not "pendng"',
    );
    await expect(
      approver.waitForRequest({ where: (() => Promise.resolve(false)) as never }),
    ).rejects.toThrow("where must return true or false, not a Promise");
    await expect(
      approver.waitForRequest({ agent: Promise.resolve(), timeoutMs: 1_000 } as never),
    ).rejects.toThrow("agent and timeoutMs are options of waitForRequest, not filter keys");
    await expect(
      approver.waitForRequest({ user: USER }, { timeoutMs: Number.NaN }),
    ).rejects.toThrow("timeoutMs must be a finite number of milliseconds above 0, not NaN");

    // Nothing was expired, and nothing handed out.
    expect((await approver.request(first)).status).toBe("pending");
    expect((await approver.request(second)).status).toBe("pending");
    expect((await approver.waitForRequest({ bindingMessage: "second one" })).auth_req_id).toBe(
      second,
    );
  });
});

describe("a filter key given as undefined", () => {
  it("fails every call that takes a filter, naming the key, instead of matching any value of it", async () => {
    const denied = await ask("Do you want to buy 2 XYZ phone");
    await approver.deny(denied);
    const theirs = await ask("Do you want to buy 3 XYZ phone", SECOND_USER);
    // `testbed.usr`, an unset environment variable: an explicit undefined, not a missing key.
    const unset = undefined as unknown as string;

    const waitStatus = approver.waitForRequest({ status: undefined } as never, { timeoutMs: 100 });
    await expect(waitStatus).rejects.toThrow(RequestFilterError);
    await expect(waitStatus).rejects.toThrow(
      "status is undefined: leave status out to wait for a pending request",
    );
    await expect(approver.waitForRequest({ user: unset }, { timeoutMs: 100 })).rejects.toThrow(
      "user is undefined: leave user out to match any person, or give the value you meant",
    );
    await expect(
      approver.expirePending({ user: unset, bindingMessage: unset as never }),
    ).rejects.toThrow(
      /user is undefined: .*\n.*bindingMessage is undefined: leave bindingMessage out to match any binding message/,
    );
    await expect(approver.requests({ clientId: unset, since: unset })).rejects.toThrow(
      /clientId is undefined: .*\n.*since is undefined: leave since out to match every request/,
    );

    // Nothing was expired, and nothing handed out.
    expect((await approver.request(theirs)).status).toBe("pending");
    expect((await approver.waitForRequest({ user: SECOND_USER })).auth_req_id).toBe(theirs);
    expect((await approver.request(denied)).status).toBe("denied");
  });
});

describe("waitForRequest, when no request will come", () => {
  const at = () => new Date(clock.now()).toISOString();

  it("fails as soon as the tenant refuses the agent's /bc-authorize, with the tenant's answer", async () => {
    testTime = 0;
    approver = approverOnTestTime(() => bcAuthorize({ audience: "shop-api" }));

    await expect(approver.waitForRequest({ user: USER })).rejects.toThrow(
      `No consent request matching {"status":"pending","user":"auth0|testbed-user"}: the tenant ` +
        `refused /bc-authorize: 403 access_denied "Service not found: shop-api" (user ` +
        `auth0|testbed-user, client ciba-testbed-agent, audience shop-api, binding message ` +
        `"Do you want to buy 2 XYZ phone") at ${at()}`,
    );
    // At once, not after the 15 s timeout.
    expect(testTime).toBe(50);
  });

  it("names other people's refusals, and those before the wait, only when it times out", async () => {
    await bcAuthorize({ client_secret: "wrong" });
    testTime = 0;
    approver = approverOnTestTime(() => bcAuthorize({ user: "auth0|nobody" }));

    await expect(
      approver.waitForRequest({ user: SECOND_USER }, { timeoutMs: 200 }),
    ).rejects.toThrow(
      `; the tenant refused /bc-authorize meanwhile: 400 unknown_user_id "User ID ` +
        `is malformed or unknown" (user auth0|nobody, client ciba-testbed-agent, audience ` +
        `sample-shop-api, binding message "Do you want to buy 2 XYZ phone") at ${at()}`,
    );

    approver = approverOnTestTime();
    await expect(approver.waitForRequest({ user: USER }, { timeoutMs: 100 })).rejects.toThrow(
      /within 100 ms; .*the tenant refused \/bc-authorize before the wait began: 401 invalid_client "Client authentication failed: unknown client_id or wrong client_secret"/,
    );
  });

  it("with failOnRefusal: false, waits on for the agent's next try", async () => {
    approver = approverOnTestTime(
      () => bcAuthorize({ audience: "shop-api" }),
      () => ask("Do you want to buy 3 AA battery"),
    );
    const request = await approver.waitForRequest({ user: USER }, { failOnRefusal: false });
    expect(request.binding_message).toBe("Do you want to buy 3 AA battery");
  });

  it("fails at once with the agent's error when the agent fails first", async () => {
    testTime = 0;
    const crash = new Error("Command failed: node agent.js\nTypeError: fetch failed");
    await expect(
      approver.waitForRequest({ user: USER }, { agent: Promise.reject(crash) }),
    ).rejects.toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /^No consent request matching \{"status":"pending","user":"auth0\|testbed-user"\}: the agent failed first: Command failed: node agent.js\nTypeError: fetch failed(;|$)/,
        ) as string,
        cause: crash,
      }),
    );
    expect(testTime).toBeLessThanOrEqual(50);
  });

  it("names what fetch's bare 'fetch failed' hides, and the fix for a CA the agent does not trust", async () => {
    testTime = 0;
    // What undici throws for a tenant whose CA the agent's process was not started with.
    const tls = Object.assign(new Error("unable to verify the first certificate"), {
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    const crash = new TypeError("fetch failed", { cause: tls });
    await expect(
      approver.waitForRequest({ user: USER }, { agent: Promise.reject(crash) }),
    ).rejects.toThrow(
      expect.objectContaining({
        message: expect.stringContaining(
          `: the agent failed first: fetch failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate (${UNTRUSTED_CA_FIX})`,
        ) as string,
      }),
    );
    // Another cause is named, with no word of the CA.
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4010"), {
      code: "ECONNREFUSED",
    });
    const failed = approver.waitForRequest(
      { user: USER },
      { agent: Promise.reject(new TypeError("fetch failed", { cause: refused })) },
    );
    await expect(failed).rejects.toThrow(
      /: the agent failed first: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:4010(;|$)/,
    );
    await expect(failed).rejects.not.toThrow(/NODE_EXTRA_CA_CERTS/);
  });

  it("reads an error made in another realm (a Jest test file's context) as an error", async () => {
    testTime = 0;
    // Node's own errors, seen from a context whose Error is another: not instanceof Error.
    const crash = runInNewContext(
      'new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4010"), { code: "ECONNREFUSED" }) })',
    ) as Error;
    expect(crash instanceof Error).toBe(false);
    await expect(
      approver.waitForRequest({ user: USER }, { agent: Promise.reject(crash) }),
    ).rejects.toThrow(
      /: the agent failed first: fetch failed: connect ECONNREFUSED 127\.0\.0\.1:4010(;|$)/,
    );
  });

  /** A wait whose agent failed on a certificate Node did not trust, the testbed's CA `caCertPath`. */
  const untrustedWait = (caCertPath: string) => {
    const tls = Object.assign(new Error("unable to verify the first certificate"), {
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    const withPath = controlApiApprover({
      issuer: tenant.issuer,
      caPem,
      caCertPath,
      now: () => testTime,
      delay: (ms) => {
        testTime += ms;
        return Promise.resolve();
      },
    });
    return withPath.waitForRequest(
      { user: USER },
      { agent: Promise.reject(new TypeError("fetch failed", { cause: tls })) },
    );
  };

  it("says the variable came too late, not to set it, when this process's NODE_EXTRA_CA_CERTS holds the testbed's CA", async () => {
    // A Jest globalSetup's ensureTestbedCa and NODE_EXTRA_CA_CERTS, read by Jest's own process
    // (in band: one test file, or --runInBand), which started before the setup set it.
    testTime = 0;
    const caCertPath = tenant.caCertPath;
    const certDir = path.dirname(caCertPath);
    vi.stubEnv("NODE_EXTRA_CA_CERTS", caCertPath);
    try {
      const failed = untrustedWait(caCertPath);
      await expect(failed).rejects.toThrow(
        "(the agent does not trust the tenant's CA, though this process's NODE_EXTRA_CA_CERTS " +
          `names testbed.caCertPath (${caCertPath}): Node reads that ` +
          "variable only as a process starts, and it was set after this one started (as a " +
          "globalSetup sets it for Jest in band, which includes any run of a single test " +
          "file, and for Vitest's threads and vmThreads pools), or named no file yet then; " +
          `start the test runner with it set (MOCK_AUTH0_CERT_DIR=${certDir} ` +
          `npx mock-auth0 --make-ca, then NODE_EXTRA_CA_CERTS=${caCertPath} ` +
          "before the runner's command), or run the agent as a child process with testbed.env())",
      );
      await expect(failed).rejects.not.toThrow("globalSetup with ensureTestbedCa");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("reads what the file NODE_EXTRA_CA_CERTS names holds, not its path: a bundle with the testbed's CA trusts it", async () => {
    // The CI runner's system bundle and the tenant's CA, as ensureTestbedCa and env() write it:
    // it was 'two different CA files'.
    testTime = 0;
    const folder = mkdtempSync(path.join(tmpdir(), "ciba-testkit-untrusted-"));
    try {
      const bundle = path.join(folder, "node-extra-ca-certs.pem");
      const server = readFileSync(path.join(path.dirname(tenant.caCertPath), "localhost.pem"));
      writeFileSync(bundle, `${server.toString()}${caPem}`);
      vi.stubEnv("NODE_EXTRA_CA_CERTS", bundle);
      await expect(untrustedWait(tenant.caCertPath)).rejects.toThrow(
        `(the agent does not trust the tenant's CA, though this process's NODE_EXTRA_CA_CERTS names ${bundle}, which holds testbed.caCertPath's certificate (${tenant.caCertPath}): Node reads that variable only as a process starts`,
      );
    } finally {
      vi.unstubAllEnvs();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("says what the agent answered when it finished without a request", async () => {
    await expect(
      approver.waitForRequest(
        { user: USER },
        { agent: Promise.resolve({ text: "Nothing to buy" }) },
      ),
    ).rejects.toThrow(': the agent finished first, with {"text":"Nothing to buy"}');
  });

  it("names the certificate and the fix when an agent finished with fetch failed and this process does not trust the tenant", async () => {
    // This test process started without the tenant's CA, as a Vitest threads pool's worker does.
    // What @auth0/ai makes of the tool's fetch failed: a result, not a rejection.
    const finished = {
      text: 'Could not buy 2 x XYZ phone: {"unauthorized":"ERROR","message":"fetch failed"}',
    };
    const failed = approver.waitForRequest({ user: USER }, { agent: Promise.resolve(finished) });
    await expect(failed).rejects.toThrow(
      /: the agent finished first, with .*fetch failed.*; this process does not trust the tenant's certificate \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)\): if the agent runs in it, the agent does not trust the tenant's CA: its process must start with NODE_EXTRA_CA_CERTS/,
    );
  });

  it("says what came close when the agent finished first: its request decided at once", async () => {
    // An approver that approves at once: the agent is done, its request no longer pending.
    const decided = await ask("Decided before the agent finished");
    await approver.approve(decided);
    await expect(
      approver.waitForRequest(
        { bindingMessage: "Decided before the agent finished" },
        { agent: Promise.resolve({ outcome: "ORDERED" }) },
      ),
    ).rejects.toThrow(
      /: the agent finished first, with \{"outcome":"ORDERED"\}; \d+ match but for the status: approved /,
    );
  });

  it("still hands out the request an agent made before it finished", async () => {
    const id = await ask("Do you want to buy 4 AA battery");
    const request = await approver.waitForRequest(
      { user: USER },
      { agent: Promise.resolve({ text: "Bought" }) },
    );
    expect(request.auth_req_id).toBe(id);
  });

  it("ends when its signal is aborted", async () => {
    const controller = new AbortController();
    approver = approverOnTestTime(() => {
      controller.abort(new Error("test over"));
      return Promise.resolve();
    });
    await expect(
      approver.waitForRequest({ user: USER }, { signal: controller.signal }),
    ).rejects.toThrow(": the wait was aborted (Error: test over)");
  });
});

describe("approve, deny, expire and request", () => {
  it("refuse the request itself in place of its id, naming the id to pass, before they call the tenant", async () => {
    const id = await ask("Do you want to buy 1 AA battery");
    const request = await approver.waitForRequest({ user: USER });
    // From JavaScript, where no type check catches it: it was sent as `[object Object]`.
    const given = request as unknown as string;
    for (const call of ["approve", "deny", "expire", "request"] as const) {
      const error = await approver[call](given).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestFilterError);
      expect((error as Error).message).toBe(
        `Invalid ${call} argument:\n  - authReqId must be the request's auth_req_id, a string, ` +
          `not the request itself: ${call}(request.auth_req_id), with the request ` +
          "waitForRequest or requests() gave",
      );
    }
    await expect(approver.request(id)).resolves.toMatchObject({ status: "pending" });
  });

  it("have stable codes, as a wait that ends without a request has", async () => {
    await expect(
      approver.waitForRequest({ user: "auth0|nobody" }, { timeoutMs: 100 }),
    ).rejects.toMatchObject({ name: "TestbedError", code: "TESTBED_NO_REQUEST" });
  });

  it("name a request the tenant does not have, and what to pass instead, with a stable code", async () => {
    const error = await approver.approve("no-such-request").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestbedError);
    expect(error).toMatchObject({ code: "TESTBED_NO_SUCH_REQUEST", status: 404 });
    expect((error as Error).message).toBe(
      'approver.approve("no-such-request"): the tenant has no consent request no-such-request ' +
        "(No backchannel request no-such-request): pass the auth_req_id of a request this " +
        "testbed's tenant holds, as waitForRequest or requests() give it; a request of another " +
        "testbed, or of one started before, is not this tenant's",
    );
  });

  it("say a request is no longer pending, and where to see why, with a stable code", async () => {
    const id = await ask("Do you want to buy 2 AA battery");
    await approver.deny(id);
    for (const call of ["approve", "deny", "expire"] as const) {
      const error = await approver[call](id).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "TESTBED_REQUEST_NOT_PENDING", status: 409 });
      expect((error as Error).message).toMatch(
        new RegExp(
          `^approver\\.${call}\\("${id}"\\): The request is already denied; only pending ` +
            `requests can be (decided|expired)\\. It was decided or expired before this call: ` +
            "by an approver policy that decides at once \\(startTestbed's approver option, " +
            "setPolicy\\), an earlier call, or its own expiry; approver\\.request\\(id\\) shows " +
            "its timeline, and a test that decides a request itself keeps the approver on manual$",
        ),
      );
    }
  });
});
