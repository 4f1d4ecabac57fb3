/**
 * A 5,000-message chat in a real browser: it opens at the newest message with one page
 * of messages fetched; scrolling to the top loads the page before, keeping what the reader
 * looks at in place, until the first message; "Jump to latest" brings the newest back.
 * Search (Ctrl+K) finds a word from message 3 and opens the chat at that message.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TESTS_RUN, saveScreenshot, signedInSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { conversationTexts, messageItems, until } from "../support/chat-page.ts";
import { type SeededChat, seedLongChat } from "../support/seed.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  const COUNT = 5000;
  const text = (i: number) => (i === 2 ? "Remember the quetzalcoatl sculpture in the museum." : i % 2 === 0 ? `Question ${i / 2 + 1}` : `Answer ${(i + 1) / 2}`);

  let web: WebUnderTest;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let seeded: SeededChat;
  /** The GraphQL operations the page sent, by name. */
  const operations: string[] = [];

  beforeAll(async () => {
    web = await startWebUnderTest();
    ({ context, page, pageErrors } = await signedInSession(web, "ada@example.com"));
    const user = await web.app.db.user.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    seeded = await seedLongChat(web.app.db, { userId: user.id, modelId: null, title: "The long one", count: COUNT, text });
    page.on("request", (request) => {
      if (!request.url().endsWith("/graphql")) return;
      const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec((request.postDataJSON() as { query?: string } | null)?.query ?? "")?.[1];
      if (name) operations.push(name);
    });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
  });

  const scroller = () => page.locator(".scroller");
  /** Whether message `index` is (partly) inside the scrolling pane. */
  const isInView = (index: number) =>
    page.locator(`li[data-message-id="${seeded.messageIds[index]}"]`).evaluate((el) => {
      const box = el.getBoundingClientRect();
      const pane = el.closest(".scroller")!.getBoundingClientRect();
      return box.bottom > pane.top && box.top < pane.bottom;
    });

  test(
    "opens at the newest message with one page fetched; scrolling up reaches the first, in order, keeping the reading position",
    async () => {
      operations.length = 0;
      await page.goto(`${web.baseUrl}/chats/${seeded.chatId}`);
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === `Answer ${COUNT / 2}`);
      expect(await isInView(COUNT - 1)).toBe(true);
      expect(await messageItems(page).count()).toBe(50);
      expect(operations.filter((op) => op === "ChatPage" || op === "ChatMessages")).toEqual(["ChatPage"]);
      await saveScreenshot(page, "long-chat-open");

      // Scrolled up a little: "Jump to latest" appears.
      await scroller().evaluate((el) => {
        el.scrollTop = el.scrollHeight - el.clientHeight - 600;
      });
      await page.getByRole("button", { name: /Jump to latest/ }).waitFor();

      // Each page loads above, and the message at the top stays where it was.
      const topId = await messageItems(page).first().getAttribute("data-message-id");
      await scroller().evaluate((el) => {
        el.scrollTop = 0;
      });
      await until(() => messageItems(page).count(), (count) => count === 100);
      const anchor = page.locator(`li[data-message-id="${topId}"]`);
      const top = await anchor.evaluate((el) => el.getBoundingClientRect().top - el.closest(".scroller")!.getBoundingClientRect().top);
      expect(top).toBeGreaterThanOrEqual(-5);
      expect(top).toBeLessThan(page.viewportSize()!.height);

      for (let loaded = 100; loaded < COUNT; ) {
        await scroller().evaluate((el) => {
          el.scrollTop = 0;
        });
        loaded = await until(() => messageItems(page).count(), (count) => count > loaded, 30_000);
      }
      const texts = await conversationTexts(page);
      expect(texts).toEqual(Array.from({ length: COUNT }, (_, i) => text(i)));
      await scroller().evaluate((el) => {
        el.scrollTop = 0;
      });
      await until(() => isInView(0), (visible) => visible);
      await saveScreenshot(page, "long-chat-first-message");

      // Back to the newest. (A CSS locator: Playwright's role queries walk all 5,000 messages' styles.)
      await page.locator("button.jump").click();
      await until(() => isInView(COUNT - 1), (visible) => visible);
      expect(pageErrors).toEqual([]);
    },
    300_000,
  );

  test(
    "search (Ctrl+K) finds a word from message 3 and opens the chat at that message",
    async () => {
      await page.goto(`${web.baseUrl}/chats/${seeded.chatId}`);
      await messageItems(page).last().waitFor();
      await page.keyboard.press("Control+k");
      const dialog = page.getByRole("dialog", { name: "Search chats" });
      await dialog.getByLabel("Search chats").fill("quetzal");
      const hit = dialog.getByRole("option").first();
      await hit.waitFor();
      expect(await hit.locator("mark").textContent()).toBe("quetzalcoatl");
      expect(await hit.locator(".hit-title").textContent()).toBe("The long one");
      await saveScreenshot(page, "long-chat-search");
      await dialog.getByLabel("Search chats").press("Enter");
      await page.waitForURL(`${web.baseUrl}/chats/${seeded.chatId}?m=${seeded.messageIds[2]}`);
      await until(() => isInView(2), (visible) => visible);
      expect(await messageItems(page).first().getAttribute("data-message-id")).toBe(seeded.messageIds[0]);
      // The rest of the chat is below, loaded as the reader scrolls down.
      await scroller().evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await until(() => messageItems(page).count(), (count) => count > 50);
      await saveScreenshot(page, "long-chat-search-opened");
      expect(pageErrors).toEqual([]);
    },
    120_000,
  );
});
