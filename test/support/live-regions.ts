import type { BrowserContext, Page } from "playwright-core";

/** One update of a live region of a page: what a screen reader is told. */
export interface Announcement {
  /** `status` (the status line), `card` (a purchase's card), or the region's id. */
  region: string;
  text: string;
}

/**
 * Records in `window.announced` what the page's live regions are told from now on: the text of
 * each node added to a live region and each text changed in one, outside the parts marked
 * aria-live="off", in order. A string: the pages' CSP allows no eval of a function's source.
 */
const RECORDER = `{
  window.announced = [];
  const live = '[aria-live], [role="status"], [role="alert"], [role="log"]';
  const regionOf = (node) => (node.nodeType === 1 ? node : node.parentElement)?.closest(live);
  const name = (region) =>
    region.id === "status" ? "status" : region.classList.contains("approval") ? "card" : region.id;
  new MutationObserver((records) => {
    for (const record of records) {
      const region = regionOf(record.target);
      if (region === null || region === undefined || region.getAttribute("aria-live") === "off") {
        continue;
      }
      const texts =
        record.type === "characterData"
          ? [record.target.data]
          : [...record.addedNodes].map((node) => node.textContent);
      for (const text of texts) {
        if (text.trim() !== "") window.announced.push({ region: name(region), text });
      }
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
}`;

/** Records what `page`'s live regions are told from now on (see `announcementsOf`). */
export async function recordAnnouncements(page: Page): Promise<void> {
  await page.evaluate(RECORDER);
}

/** Records what the live regions of every page `context` opens from now on are told. */
export async function recordAnnouncementsIn(context: BrowserContext): Promise<void> {
  await context.addInitScript(RECORDER);
}

/** What `page`'s live regions were told since the recording began, in order. */
export function announcementsOf(page: Page): Promise<Announcement[]> {
  return page.evaluate<Announcement[]>("window.announced");
}
