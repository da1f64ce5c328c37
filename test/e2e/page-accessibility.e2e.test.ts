import path from "node:path";

import { startMockAuth0, tenantWith } from "@ciba-testbed/mock-auth0";
import type { RunningMockAuth0 } from "@ciba-testbed/mock-auth0";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { axeViolations } from "../support/axe.js";
import { startChatStack } from "../support/chat-stack.js";
import type { ChatStack } from "../support/chat-stack.js";
import { announcementsOf, recordAnnouncements } from "../support/live-regions.js";
import { asksToBuy, ownRequests } from "../support/own-requests.js";
import { BUYER, SECOND_BUYER } from "../support/scenario.js";
import type { Scenario } from "../support/scenario.js";
import { AGENT_CLIENT } from "../support/tenant-client.js";

/** bcrypt (cost 4) of "right-password", for a user the login page asks for a password. */
const PASSWORD_HASH = "$2b$04$SnIdh9lr.Y0XNP2bNypNIeI.ZkbhvKPTMPVdz7gsC2elOrkezY.sW";

/** What the tests read of a rendered element (the test's types have no DOM). */
interface StyledElement {
  parentElement: StyledElement | null;
  ownerDocument: {
    activeElement: unknown;
    defaultView: { getComputedStyle(element: StyledElement): Record<string, string> };
  };
  closest(selector: string): { getAttribute(name: string): string | null } | null;
}

/** `rgb(r, g, b)` or `rgba(r, g, b, a)` as its channels, alpha last. */
function channels(color: string): [number, number, number, number] {
  const [r = 0, g = 0, b = 0, a = 1] = (color.match(/[\d.]+/g) ?? []).map(Number);
  return [r, g, b, a];
}

/** WCAG 2.2's contrast ratio of two opaque colors (its definition of relative luminance). */
function contrast(foreground: string, background: string): number {
  const luminance = (color: string) => {
    const [r, g, b] = channels(color).map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((x, y) => y - x);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

/**
 * The contrast of `property` (a color of the element: its text, a border) against what is
 * behind the element: the first ancestor's own background (the pages use no images and no
 * translucent backgrounds there), with the element's and its ancestors' opacity applied.
 */
async function contrastOf(target: Locator, property = "color"): Promise<number> {
  const [color, behind, opacity] = await target.evaluate((element: StyledElement, name) => {
    const style = (e: StyledElement) => e.ownerDocument.defaultView.getComputedStyle(e);
    let seen = 1;
    for (let e: StyledElement | null = element; e !== null; e = e.parentElement) {
      seen *= Number(style(e).opacity);
    }
    const start = name === "color" ? element : element.parentElement;
    for (let e = start; e !== null; e = e.parentElement) {
      const background = style(e).backgroundColor ?? "";
      if ((channels(background)[3] ?? 1) > 0) return [style(element)[name] ?? "", background, seen];
    }
    return [style(element)[name] ?? "", "rgb(255, 255, 255)", seen];

    function channels(text: string) {
      return (text.match(/[\d.]+/g) ?? []).map(Number).concat([1, 1, 1, 1]).slice(0, 4);
    }
  }, property);
  const [r, g, b, a] = channels(color);
  const [br, bg, bb] = channels(behind);
  const mix = (c: number, under: number) => c * a * opacity + under * (1 - a * opacity);
  return contrast(`rgb(${mix(r, br)}, ${mix(g, bg)}, ${mix(b, bb)})`, behind);
}

/**
 * The pages a person approves or buys on, in Chromium, with a keyboard and a screen reader in
 * mind (WCAG 2.2 AA): the chat web app, the tenant's login page and its approver page.
 */
describe("the pages, for keyboard and screen-reader users", () => {
  let s: Scenario;
  let stack: ChatStack;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startChatStack("page-accessibility");
    ({ s, baseUrl, browser } = stack);
    await s.policy("manual");
  });
  afterAll(async () => {
    await stack.stop();
  });

  /** A new page of the chat, the buyer logged in through the tenant's login page. */
  const loggedInChat = async () => {
    const page = await browser.newPage();
    await page.goto(baseUrl);
    await page.getByRole("link", { name: "Log in" }).click();
    await page.getByRole("button", { name: /Test Buyer/ }).click();
    await page.getByText(/^Logged in as /).waitFor();
    return page;
  };

  describe("the chat, while a purchase asked for by keyboard waits", () => {
    let chat: Page;

    beforeAll(async () => {
      chat = await browser.newPage();
      await chat.goto(baseUrl);
      await chat.getByRole("link", { name: "Log in" }).click();
      await chat.getByRole("button", { name: /Test Buyer/ }).click();
      await chat.getByText(/^Logged in as /).waitFor();
      await chat.getByRole("textbox", { name: "Message" }).focus();
      await chat.keyboard.type("Buy 2 XYZ phones");
      await chat.keyboard.press("Enter");
      await chat.getByRole("link", { name: "Open the approver page" }).waitFor();
    });

    it("draws the message box's border at 3:1 against the page", async () => {
      const box = chat.getByRole("textbox", { name: "Message" });
      expect(await contrastOf(box, "borderTopColor")).toBeGreaterThanOrEqual(3);
    });

    it("shows the message box's label on the screen at 4.5:1, in the light and the dark scheme, down to a 320 px wide screen", async () => {
      const label = chat.locator('label[for="prompt"]');
      const parts = [label, chat.getByLabel("Message"), chat.getByRole("button", { name: "Send" })];
      try {
        for (const colorScheme of ["light", "dark"] as const) {
          for (const width of [1280, 320]) {
            await chat.emulateMedia({ colorScheme });
            await chat.setViewportSize({ width, height: 720 });
            await expect(label.textContent()).resolves.toBe("Message");
            // Each wholly on the screen, without scrolling sideways (WCAG 1.4.10 at 320 px).
            for (const part of parts) {
              const box = await part.boundingBox();
              expect(box?.x).toBeGreaterThanOrEqual(0);
              expect((box?.x ?? -1) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
              expect(box?.height).toBeGreaterThan(0);
            }
            expect(await contrastOf(label)).toBeGreaterThanOrEqual(4.5);
          }
        }
      } finally {
        await chat.emulateMedia({ colorScheme: null });
        await chat.setViewportSize({ width: 1280, height: 720 });
      }
    });

    it("outlines Send with forced colours on (a contrast theme drops its background)", async () => {
      const send = chat.getByRole("button", { name: "Send" });
      try {
        await chat.emulateMedia({ forcedColors: "active" });
        const border = await send.evaluate((element: StyledElement) => {
          const style = element.ownerDocument.defaultView.getComputedStyle(element);
          return `${String(style.borderTopStyle)} ${String(style.borderTopWidth)}`;
        });
        expect(border).toBe("solid 1px");
        expect(await contrastOf(send, "borderTopColor")).toBeGreaterThanOrEqual(3);
      } finally {
        await chat.emulateMedia({ forcedColors: null });
      }
    });

    it("says that the approver link opens a new tab", async () => {
      const link = chat.getByRole("link", {
        name: "Open the approver page (opens in a new tab)",
        exact: true,
      });
      await expect(link.getAttribute("target")).resolves.toBe("_blank");
    });

    it("announces its card once, not its countdown every second", async () => {
      const live = await chat
        .locator(".countdown")
        .evaluate((element: StyledElement) =>
          element.closest("[aria-live]")?.getAttribute("aria-live"),
        );
      expect(live).toBe("off");
    });

    it("says why a message is not sent when Enter is pressed while the purchase waits, and keeps it in the box", async () => {
      const box = chat.getByRole("textbox", { name: "Message" });
      await box.fill("Buy 1 ABC laptop");
      await box.press("Enter");
      await expect(chat.locator("#status").textContent()).resolves.toBe(
        "Waiting for your approval… Your message is not sent: a purchase waits for your " +
          "approval. Send it once that is decided; it stays in the box.",
      );
      await expect(box.inputValue()).resolves.toBe("Buy 1 ABC laptop");
      expect(await s.stack.control.requests("pending")).toHaveLength(1);
      await box.fill("");
    });

    it("keeps its elements as it updates: the focus stays on the approver link, the chat is not read again", async () => {
      const link = chat.getByRole("link", { name: "Open the approver page" });
      await link.focus();
      const asked = chat.locator("#messages > li").first();
      await asked.evaluate((element) => {
        (element as { kept?: boolean }).kept = true;
      });
      // A second on the clock: the page has rendered the waiting chat again several times.
      const shown = await chat.locator(".countdown").textContent();
      await chat
        .locator(".countdown")
        .filter({ hasNotText: shown ?? "" })
        .waitFor();
      await expect(
        link.evaluate((element: StyledElement) => element.ownerDocument.activeElement === element),
      ).resolves.toBe(true);

      const [pending] = await s.stack.control.requests("pending");
      await s.stack.control.approve(String(pending?.auth_req_id));
      // The card's own line: the announcer says "Purchase: ordered. ..." too, for a moment.
      await chat.getByText("Purchase: ordered", { exact: true }).waitFor();
      await expect(asked.evaluate((element) => (element as { kept?: boolean }).kept)).resolves.toBe(
        true,
      );
      await expect(chat.getByRole("textbox", { name: "Message" }).isEditable()).resolves.toBe(true);
      // Send is back: the note on the message not sent is gone with the purchase.
      await chat.getByRole("button", { name: "Send", disabled: false }).waitFor();
      await expect(chat.locator("#status").textContent()).resolves.toBe("");
    });
  });
  it("keeps the focus in the message box when Send is pressed from the keyboard, and sends a Send pressed twice once", async () => {
    const page = await loggedInChat();
    // The messages the page sent: a chat request that ends with the person's (not a resume).
    const sent: string[] = [];
    page.on("request", (request) => {
      if (request.method() !== "POST" || !request.url().endsWith("/api/chat")) return;
      const { messages } = JSON.parse(request.postData() ?? "{}") as {
        messages: { role: string }[];
      };
      if (messages.at(-1)?.role === "user") sent.push(request.url());
    });
    const box = page.getByRole("textbox", { name: "Message" });
    await box.fill("Buy 4 USB-C cables");
    await page.keyboard.press("Tab");
    await expect(
      page.getByRole("button", { name: "Send" }).evaluate((button) => {
        return button.ownerDocument.activeElement === button;
      }),
    ).resolves.toBe(true);
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await page.locator(".approval.pending").waitFor();
    const request = await s.stack.control.waitForPending((c) =>
      c.binding_message.includes("4 USB-C cables"),
    );
    // The focus went back to the box, not to the page (where a screen reader starts at the top).
    await expect(
      box.evaluate((element) => element.ownerDocument.activeElement === element),
    ).resolves.toBe(true);
    expect(sent).toHaveLength(1);
    const asked = (await s.consentRequests()).filter((c) =>
      c.binding_message.includes("4 USB-C cables"),
    );
    expect(asked).toHaveLength(1);
    // Approved, not denied: the approver page's test below reads the one denial it makes.
    await s.stack.control.approve(request.auth_req_id);
    await page.getByRole("button", { name: "Send", disabled: false }).waitFor();
    await page.close();
  });

  it("tells a screen reader the agent's answer once, whole, and the status line only when it changes: never the person's own message", async () => {
    const page = await loggedInChat();
    await recordAnnouncements(page);
    // Not the request the keyboard chat above asked for the same purchase, if still pending.
    const own = await ownRequests(s.stack.control);
    await page.getByLabel("Message").fill("Buy 2 XYZ phones");
    await page.getByLabel("Message").press("Enter");
    const request = await own.waitForPending(asksToBuy("2 XYZ phone"));
    await page.locator(".approval.pending").waitFor();
    await s.stack.control.approve(request.auth_req_id);
    const answer = page.locator(".message.assistant .text", { hasText: /^Ordered 2 x XYZ phone/ });
    await answer.waitFor();
    await page.getByRole("button", { name: "Send", disabled: false }).waitFor();
    const said = await answer.textContent();
    const announced = await announcementsOf(page);

    expect(said).toMatch(/^Ordered 2 x XYZ phone: order \S+, total 998\.00 USD\.$/);
    // The answer once, when its stream has ended: no piece of it on the way.
    expect(announced.filter(({ text }) => text.includes("Ordered"))).toEqual([
      { region: "announcer", text: said },
    ]);
    expect(announced.map(({ text }) => text)).not.toContain("Buy 2 XYZ phones");
    // The purchase's card: once when it is asked, once when it is decided, by the announcer
    // alone (a card that was a live region of its own was told twice).
    expect(announced.filter(({ region }) => region === "card")).toEqual([]);
    expect(
      announced.filter(({ text }) => text.includes("Waiting for approval")).map(({ text }) => text),
    ).toEqual([`Waiting for approval. ${request.binding_message}.`]);
    expect(
      announced.filter(({ text }) => text.includes("Purchase: ordered")).map(({ text }) => text),
    ).toEqual([`Purchase: ordered. ${request.binding_message}.`]);
    // What the person reads: the card that the purchase they approved was ordered (an approval
    // alone is no order), the answer what the order holds. No line above the card names it again.
    await expect(page.locator(".message.assistant").last().innerText()).resolves.toBe(
      `Purchase: ordered\n${request.binding_message}\n\n${String(said)}`,
    );
    await expect(axeViolations(page)).resolves.toEqual([]);
    // The status line says each thing once, while it lasts: that the approved purchase is being
    // ordered for as long as the shop takes to answer, which this shop may answer too soon for.
    const status = announced.filter(({ region }) => region === "status").map(({ text }) => text);
    const placing = "Approved — placing your order…";
    expect(status).toEqual([
      "The agent is working…",
      "Waiting for your approval…",
      ...(status.includes(placing) ? [placing] : []),
      "The agent is working…",
    ]);
    await page.context().close();
  });
  it("shows the approver page's buttons and outcomes at 4.5:1 in the dark scheme too", async () => {
    const context = await browser.newContext({ colorScheme: "dark" });
    const page = await context.newPage();
    await page.goto(`${s.stack.issuer}approver`);
    await page.getByText("Live", { exact: true }).waitFor();
    await s.tenant.bcAuthorize({
      user: BUYER,
      scope: "openid product:buy",
      bindingMessage: "Dark scheme check",
    });
    const approve = page.getByRole("button", { name: /^Approve: Dark scheme check/ });
    await approve.waitFor();
    expect(await contrastOf(approve)).toBeGreaterThanOrEqual(4.5);

    await page.getByRole("button", { name: /^Deny: Dark scheme check/ }).focus();
    await page.keyboard.press("Enter");
    const denied = page.locator(".history .outcome.denied");
    await denied.waitFor();
    expect(await contrastOf(denied)).toBeGreaterThanOrEqual(4.5);
    await context.close();
  });
  it("shows the login page's email addresses at 4.5:1 on their buttons", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(baseUrl);
    await page.getByRole("link", { name: "Log in" }).click();
    const email = page.getByRole("button", { name: /Test Buyer/ }).locator(".email");
    expect(await contrastOf(email)).toBeGreaterThanOrEqual(4.5);
    await context.close();
  });
  describe("the login page of a user with a password", () => {
    let tenant: RunningMockAuth0;
    let page: Page;
    /** The agent client's callback in the repository's tenant (never reached: no login ends). */
    const CALLBACK = "http://localhost:3000/auth/callback";
    const password = () =>
      page.getByRole("listitem").filter({ hasText: "Second Buyer" }).getByLabel("Password");

    beforeAll(async () => {
      // A tenant of its own, with the stack's certificate: the stack's users have no password.
      tenant = await startMockAuth0({
        tenant: tenantWith({
          users: (users) =>
            users.map((user) =>
              `auth0|${String(user.user_id)}` === SECOND_BUYER
                ? { ...user, password_hash: PASSWORD_HASH }
                : user,
            ),
        }),
        port: 0,
        host: "127.0.0.1",
        certDir: path.dirname(s.stack.caCertPath),
      });
      page = await browser.newPage();
      const authorize = new URL("authorize", tenant.issuer);
      authorize.search = new URLSearchParams({
        response_type: "code",
        client_id: AGENT_CLIENT.client_id,
        redirect_uri: CALLBACK,
        scope: "openid",
        state: "page-accessibility",
      }).toString();
      await page.goto(authorize.href);
    });
    afterAll(async () => {
      await page.context().close();
      await tenant.close();
    });

    it("draws the password box's border at 3:1 against the card", async () => {
      expect(await contrastOf(password(), "borderTopColor")).toBeGreaterThanOrEqual(3);
    });

    it("ties a wrong password's error to the box it was typed in, and puts the focus there", async () => {
      await password().fill("wrong-password");
      await password().press("Enter");
      await page.getByRole("alert").waitFor();
      await expect(password().getAttribute("aria-invalid")).resolves.toBe("true");
      const describedBy = await password().getAttribute("aria-describedby");
      await expect(page.locator(`[id="${String(describedBy)}"]`).textContent()).resolves.toBe(
        "Wrong email or password.",
      );
      await expect(
        password().evaluate(
          (element: StyledElement) => element.ownerDocument.activeElement === element,
        ),
      ).resolves.toBe(true);
    });
  });
});
