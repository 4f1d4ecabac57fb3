/**
 * The chat list in the sidebar, in a real browser: newest first, grouped Today /
 * Yesterday / Previous 7 days / Older, more chats loaded as the list is scrolled, filtered
 * by where chats come from, and each row's menu: rename, export as Markdown and JSON,
 * delete after a confirmation.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, saveScreenshot, signedInSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { until } from "../support/chat-page.ts";
import { seedLongChat } from "../support/seed.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  let web: WebUnderTest;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let userId: string;

  const DAY = 86_400_000;
  /** Noon, `daysAgo` calendar days before today (so the group does not depend on the hour the test runs). */
  const daysAgo = (days: number) => {
    const now = new Date();
    return new Date(now.getFullYear(), now.getMonth(), now.getDate() - days, 12, 0, 0);
  };

  beforeAll(async () => {
    web = await startWebUnderTest();
    ({ context, page, pageErrors } = await signedInSession(web, "ada@example.com"));
    userId = (await web.app.db.user.findUniqueOrThrow({ where: { email: "ada@example.com" } })).id;
    const db = web.app.db;
    // 90 old chats (more than two pages of the list), then one per group, one from the glasses.
    for (let i = 1; i <= 90; i++) {
      await db.chat.create({ data: { userId, title: `Archive ${String(i).padStart(2, "0")}`, updatedAt: new Date(daysAgo(30).getTime() - i * DAY) } });
    }
    await db.chat.create({ data: { userId, title: "Last week", updatedAt: daysAgo(4) } });
    await db.chat.create({ data: { userId, title: "From the glasses", source: "GLASSES", updatedAt: daysAgo(1) } });
    await seedLongChat(db, { userId, modelId: null, title: "Trip to Lisbon", count: 4, start: new Date(Date.now() - 60_000) });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
  });

  const chats = () => page.getByRole("navigation", { name: "Chats" });
  const group = (name: string) => chats().getByRole("list", { name: `${name} chats` });
  const row = (title: string) => chats().getByRole("listitem").filter({ has: page.getByRole("link", { name: title }) });

  test(
    "newest first, grouped by day, more loaded on scrolling, filtered by source",
    async () => {
      await page.goto(`${web.baseUrl}/`);
      await group("Today").getByRole("link", { name: "Trip to Lisbon" }).waitFor();
      await group("Yesterday").getByRole("link", { name: "From the glasses" }).waitFor();
      await group("Previous 7 days").getByRole("link", { name: "Last week" }).waitFor();
      expect(await chats().getByRole("heading").allTextContents()).toEqual(["Today", "Yesterday", "Previous 7 days", "Older"]);
      const firstPage = await group("Older").getByRole("listitem").count();
      expect(firstPage).toBeLessThan(90);

      // Scrolling to the end of the list loads the rest, in order.
      await until(
        async () => {
          await chats().evaluate((el) => {
            el.scrollTop = el.scrollHeight;
          });
          return group("Older").getByRole("listitem").count();
        },
        (count) => count === 90,
      );
      const titles = await group("Older").getByRole("link").allTextContents();
      expect(titles.map((t) => t.trim())).toEqual(Array.from({ length: 90 }, (_, i) => `Archive ${String(i + 1).padStart(2, "0")}`));
      await saveScreenshot(page, "sidebar-groups");

      await page.getByRole("button", { name: "Glasses", exact: true }).click();
      await until(() => chats().getByRole("listitem").count(), (count) => count === 1);
      await row("From the glasses").getByText("Glasses", { exact: true }).waitFor();
      await page.getByRole("button", { name: "All", exact: true }).click();
      await until(() => chats().getByRole("listitem").count(), (count) => count > 3);
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "a row's menu renames, exports as Markdown and JSON, and deletes after a confirmation",
    async () => {
      await page.goto(`${web.baseUrl}/`);
      await row("Trip to Lisbon").getByRole("button", { name: "Options for Trip to Lisbon" }).click();
      await page.getByRole("menuitem", { name: "Rename" }).click();
      const input = chats().getByLabel("Chat title");
      await input.fill("Lisbon and Porto");
      await input.press("Enter");
      await row("Lisbon and Porto").waitFor();
      const chat = await web.app.db.chat.findFirstOrThrow({ where: { title: "Lisbon and Porto" } });

      for (const [item, name, check] of [
        ["Export as Markdown", "Lisbon-and-Porto.md", (text: string) => expect(text).toStartWith("# Lisbon and Porto\n")],
        ["Export as JSON", "Lisbon-and-Porto.json", (text: string) => expect(JSON.parse(text).messages).toHaveLength(4)],
      ] as const) {
        await row("Lisbon and Porto").getByRole("button", { name: "Options for Lisbon and Porto" }).click();
        const download = page.waitForEvent("download");
        await page.getByRole("menuitem", { name: item }).click();
        const file = await download;
        expect(file.suggestedFilename()).toBe(name);
        check(readFileSync((await file.path())!, "utf8"));
      }

      // Opened, then deleted from its row: asked first, then gone, and the page leaves it.
      await row("Lisbon and Porto").getByRole("link").click();
      await page.waitForURL(`${web.baseUrl}/chats/${chat.id}`);
      await row("Lisbon and Porto").getByRole("button", { name: "Options for Lisbon and Porto" }).click();
      await page.getByRole("menuitem", { name: "Delete" }).click();
      const dialog = page.getByRole("dialog", { name: "Delete this chat?" });
      await dialog.getByText("“Lisbon and Porto” and all its messages").waitFor();
      await saveScreenshot(page, "sidebar-delete");
      await dialog.getByRole("button", { name: "Delete chat" }).click();
      await page.waitForURL(`${web.baseUrl}/`);
      await until(() => row("Lisbon and Porto").count(), (count) => count === 0);
      expect(await web.app.db.chat.count({ where: { id: chat.id } })).toBe(0);
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
