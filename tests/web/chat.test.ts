/**
 * The conversation in a real browser against the real server and the loopback provider:
 * a new chat from "New chat" with the default model, a reply that grows token by token,
 * Stop (the button and Esc), following a reply again after a reload, a failed reply and
 * its regeneration, the order of 120 messages sent in one visit, Markdown with highlighted
 * code and copy buttons, and an XSS corpus that stays inert in replies, titles and models.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT_MS,
  BROWSER_TESTS_RUN,
  saveScreenshot,
  signedInSession,
  startWebUnderTest,
  type WebUnderTest,
} from "../support/browser.ts";
import {
  composerBox,
  conversationTexts,
  messageItems,
  replyItems,
  send,
  sendButton,
  stopButton,
  textOf,
  until,
  words,
} from "../support/chat-page.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import type { TestClient } from "../support/app.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  /** The provider's model id that the scripts below drive. */
  const SCRIPTED_MODEL = "storyteller";

  let web: WebUnderTest;
  let provider: FakeProvider;
  let baseUrl: string;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let api: TestClient;

  beforeAll(async () => {
    provider = await startFakeProvider();
    web = await startWebUnderTest();
    ({ baseUrl } = web);
    ({ context, page, pageErrors, client: api } = await signedInSession(web, "ada@example.com"));
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
    await api.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
      input: { name: "Storyteller", providerModelId: SCRIPTED_MODEL, baseUrl: provider.url, description: "Tells stories", bestUseCases: "bedtime" },
    });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  async function newChat() {
    await page.goto(`${baseUrl}/`);
    await page.getByRole("heading", { name: "Ask Storyteller" }).waitFor();
  }

  test(
    "New chat opens at once with the default model; a message gets a reply that grows token by token, then shows its usage",
    async () => {
      await newChat();
      // The header says which model answers, what it is for, and that it has no prices.
      await page.getByText("Storyteller · Tells stories").waitFor();
      await page.getByText("Best for: bedtime · No prices set").waitFor();

      const fullText = words(20);
      provider.script(SCRIPTED_MODEL, { text: fullText, delayMsPerToken: 40 });
      await send(page, "Hello");

      // The user's message is there at once, the chat is made and listed; the reply grows while the provider still sends.
      await messageItems(page).first().getByText("Hello", { exact: true }).waitFor();
      await page.waitForURL(/\/chats\/\w+$/);
      await page.getByRole("navigation", { name: "Chats" }).getByRole("link", { name: "Hello" }).waitFor();
      expect(await composerBox(page).inputValue()).toBe("");
      const reply = replyItems(page).last();
      await reply.waitFor();
      const samples: string[] = [];
      await until(
        async () => {
          const text = await textOf(reply);
          if (text && text !== samples.at(-1)) samples.push(text);
          return text;
        },
        (text) => text === fullText,
      );
      const partial = samples.filter((text) => text.length < fullText.length);
      expect(partial.length).toBeGreaterThanOrEqual(2);
      for (const [i, text] of samples.entries()) {
        expect(fullText.startsWith(text)).toBe(true);
        if (i > 0) expect(text.length).toBeGreaterThan(samples[i - 1]!.length);
      }

      // Finished: usage under the reply with "—" for the unknown cost, no more "writing…", Send is back.
      await reply.getByText(/Tokens: \d+ in, 20 out · cost — · first token \d+ (ms|s) · [\d.]+ (ms|s) in all/).waitFor();
      expect(await reply.getByText("writing…").count()).toBe(0);
      expect(await sendButton(page).isEnabled()).toBe(true);
      await saveScreenshot(page, "chat-reply");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "Stop stays on screen while a reply streams and ends it as stopped, keeping the text; Esc stops too",
    async () => {
      const fullText = words(300, "slow");
      provider.script(SCRIPTED_MODEL, { text: fullText, delayMsPerToken: 40 });
      await send(page, "Tell me a long story");

      const reply = replyItems(page).last();
      await reply.getByText("writing…").waitFor();
      await until(() => textOf(reply), (text) => text.split(" ").length >= 3);
      // Stop is in the window, not somewhere below it.
      const box = await stopButton(page).boundingBox();
      const viewport = page.viewportSize()!;
      expect(box && box.y >= 0 && box.y + box.height <= viewport.height).toBe(true);
      await stopButton(page).click();

      await reply.getByText("stopped").waitFor();
      const kept = await textOf(reply);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(fullText.length);
      expect(fullText.startsWith(kept.replace(/\s+/g, " "))).toBe(true);
      expect(await stopButton(page).count()).toBe(0);
      expect(await sendButton(page).isEnabled()).toBe(true);

      // It stays stopped: no more text arrives, and the server kept it that way.
      await Bun.sleep(300);
      expect(await textOf(reply)).toBe(kept);
      await page.reload();
      await replyItems(page).last().getByText("stopped").waitFor();
      expect(await textOf(replyItems(page).last())).toBe(kept);

      // Esc does the same.
      provider.script(SCRIPTED_MODEL, { text: words(300, "again"), delayMsPerToken: 40 });
      await send(page, "Another long one");
      // The new reply, not the one stopped above (still the last on screen until the new one shows).
      await until(() => textOf(replyItems(page).last()), (text) => text.startsWith("again1") && text.split(" ").length >= 3);
      await page.keyboard.press("Escape");
      await replyItems(page).last().getByText("stopped").waitFor();
      // Stopped where it was, on the server too: no more text arrives.
      const stoppedAt = await textOf(replyItems(page).last());
      expect(stoppedAt.startsWith("again1")).toBe(true);
      expect(stoppedAt.split(" ").length).toBeLessThan(300);
      await saveScreenshot(page, "chat-stopped");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "a reply still being written when the page opens goes on growing",
    async () => {
      const fullText = words(40, "late");
      provider.script(SCRIPTED_MODEL, { text: fullText, delayMsPerToken: 40 });
      await send(page, "Keep going");
      await until(() => textOf(replyItems(page).last()), (text) => text.startsWith("late1") && text.split(" ").length >= 3);

      await page.reload();
      const reply = replyItems(page).last();
      await reply.getByText("writing…").waitFor();
      expect((await textOf(reply)).length).toBeLessThan(fullText.length);
      await until(() => textOf(reply), (text) => text === fullText);
      await reply.getByText(/Tokens: \d+ in, 40 out/).waitFor();
      await saveScreenshot(page, "chat-late-join");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "a streaming reply is followed while the reader is at the bottom, and not once they scroll up to read",
    async () => {
      await newChat();
      provider.script(SCRIPTED_MODEL, {});
      for (let i = 1; i <= 12; i++) {
        await send(page, `filler ${i} ${"so the chat is taller than the window ".repeat(3)}`);
        await until(() => conversationTexts(page), (texts) => texts.at(-1)?.startsWith(`You said: filler ${i}`) ?? false);
      }
      const scroller = page.locator(".scroller");
      const distanceFromBottom = () => scroller.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
      provider.script(SCRIPTED_MODEL, { text: Array.from({ length: 30 }, (_, i) => `Line ${i + 1} of a long reply.\n\n`).join(""), delayMsPerToken: 30 });
      await send(page, "Write many lines");
      const reply = replyItems(page).last();
      await until(() => textOf(reply), (text) => text.includes("Line 5 "));
      // At the bottom: the view follows the growing reply.
      expect(await distanceFromBottom()).toBeLessThan(80);
      // Scrolled up to read: it stays where the reader put it, and offers to jump back.
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.getByRole("button", { name: /Jump to latest/ }).waitFor();
      await until(() => textOf(reply), (text) => text.includes("Line 25 "));
      expect(await scroller.evaluate((el) => el.scrollTop)).toBe(0);
      await page.getByRole("button", { name: /Jump to latest/ }).click();
      await until(distanceFromBottom, (distance) => distance < 80);
      await until(() => textOf(reply), (text) => text.includes("Line 30 "));
      expect(await distanceFromBottom()).toBeLessThan(80);
      await saveScreenshot(page, "chat-follow");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "a failed reply says why under it, keeps the user's message, and can be regenerated",
    async () => {
      await newChat();
      provider.script(SCRIPTED_MODEL, { error: { status: 401 } });
      await send(page, "Are you there?");

      const reply = replyItems(page).last();
      await reply.getByText("failed", { exact: true }).waitFor();
      await reply.getByText(/rejected the API key \(401\)\. Check the model's API key\./).waitFor();
      await messageItems(page).getByText("Are you there?", { exact: true }).waitFor();
      await saveScreenshot(page, "chat-failed");

      provider.script(SCRIPTED_MODEL, { text: "Yes, I am here.", delayMsPerToken: 10 });
      await reply.getByRole("button", { name: "Regenerate" }).click();
      await until(() => textOf(replyItems(page).last()), (text) => text === "Yes, I am here.");
      expect(await replyItems(page).count()).toBe(1);
      expect(await page.getByText(/rejected the API key/).count()).toBe(0);
      // The failed try is kept as the first version.
      await replyItems(page).last().getByText("2 / 2").waitFor();
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "120 messages sent in one visit stay in order, and come back in order after a reload",
    async () => {
      await newChat();
      provider.script(SCRIPTED_MODEL, {});
      const expected: string[] = [];
      for (let i = 1; i <= 120; i++) {
        await send(page, `message ${i}`);
        expected.push(`message ${i}`, `You said: message ${i}`);
        await until(() => conversationTexts(page), (texts) => texts.at(-1) === `You said: message ${i}`);
      }
      expect(await conversationTexts(page)).toEqual(expected);
      // The composer stays at the bottom of the window however long the chat is.
      const box = await composerBox(page).boundingBox();
      expect(box!.y + box!.height).toBeLessThanOrEqual(page.viewportSize()!.height);
      await saveScreenshot(page, "chat-120-messages");

      // After a reload the newest page shows; scrolling up brings back the rest, in order.
      await page.reload();
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: message 120");
      await until(
        async () => {
          await page.locator(".scroller").evaluate((el) => {
            el.scrollTop = 0;
          });
          return conversationTexts(page);
        },
        (texts) => texts.length === expected.length,
        60_000,
      );
      expect(await conversationTexts(page)).toEqual(expected);
      expect(pageErrors).toEqual([]);
    },
    240_000,
  );

  test(
    "replies are Markdown: headings, lists, tables, links to new tabs, quotes, code highlighted with a language and Copy",
    async () => {
      await newChat();
      const markdown = [
        "## Plan",
        "",
        "Some **bold** and `inline code`, a [link](https://example.com/docs).",
        "",
        "- first",
        "- second",
        "",
        "> a quote",
        "",
        "| Day | Place |",
        "| --- | ----- |",
        "| 1 | Lisbon |",
        "",
        "```python",
        "def greet(name):",
        "    return f'Hello {name}'",
        "```",
      ].join("\n");
      provider.script(SCRIPTED_MODEL, { tokens: [markdown] });
      await send(page, "Give me markdown");
      const reply = replyItems(page).last();
      await reply.getByRole("heading", { name: "Plan", level: 2 }).waitFor();
      expect(await reply.locator(".markdown strong").textContent()).toBe("bold");
      expect(await reply.getByRole("listitem").allInnerTexts()).toEqual(["first", "second"]);
      expect((await reply.locator("blockquote").textContent())?.trim()).toBe("a quote");
      expect(await reply.getByRole("cell", { name: "Lisbon" }).count()).toBe(1);
      const link = reply.getByRole("link", { name: "link" });
      expect(await link.getAttribute("href")).toBe("https://example.com/docs");
      expect(await link.getAttribute("target")).toBe("_blank");
      expect(await link.getAttribute("rel")).toContain("noopener");

      // The code block: its language, highlighted (loaded when it appeared), and copied exactly.
      const block = reply.locator(".code-block");
      expect(await block.locator(".code-lang").textContent()).toBe("python");
      await block.locator("code.hljs .hljs-keyword").first().waitFor();
      expect(await block.locator(".hljs-keyword").first().textContent()).toBe("def");
      await block.getByRole("button", { name: "Copy" }).click();
      await block.getByRole("button", { name: "Copied" }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("def greet(name):\n    return f'Hello {name}'");
      // And the whole reply.
      await reply.getByRole("button", { name: "Copy message" }).click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(markdown);
      await saveScreenshot(page, "chat-markdown");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "an XSS corpus in replies, chat titles and model fields stays inert text",
    async () => {
      const attacks = [
        `<img src=x onerror="window.__xss=1">`,
        `<script>window.__xss=2</script>`,
        `[click me](javascript:window.__xss=3)`,
        `<a href="javascript:window.__xss=4">link</a>`,
        `<svg onload="window.__xss=5"></svg>`,
        `<iframe src="javascript:window.__xss=6"></iframe>`,
        `![pic](javascript:window.__xss=7)`,
        "<details open ontoggle=\"window.__xss=8\">x</details>",
        `<style>body{display:none}</style>`,
      ];
      const dialogs: string[] = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await api.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
        input: {
          name: `<img src=x onerror="window.__xss=9">Evil`,
          providerModelId: SCRIPTED_MODEL,
          baseUrl: provider.url,
          description: `<script>window.__xss=10</script>`,
          bestUseCases: `<b onmouseover="window.__xss=11">hover</b>`,
        },
      });
      await newChat();
      provider.script(SCRIPTED_MODEL, { tokens: [attacks.join("\n\n")] });
      await send(page, `<img src=x onerror="window.__xss=12"> title attack`);
      const reply = replyItems(page).last();
      await until(() => textOf(reply), (text) => text.includes("javascript"));
      await page.waitForURL(/\/chats\//);
      await page.getByRole("link", { name: "Models" }).click();
      await page.getByRole("heading", { name: "Models", level: 1 }).waitFor();
      await page.goBack();
      await replyItems(page).last().waitFor();
      for (const link of await replyItems(page).last().getByRole("link").all()) {
        expect(await link.getAttribute("href")).not.toMatch(/^javascript:/i);
      }
      // The title and the text show the markup as text.
      await page.getByRole("heading", { name: /<img src=x onerror=.*title attack/ }).waitFor();
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await page.locator('ol[aria-label="Messages"] script, ol[aria-label="Messages"] iframe, ol[aria-label="Messages"] svg').count()).toBe(0);
      expect(await page.locator("[onerror], [onload], [ontoggle], [onmouseover]").count()).toBe(0);
      expect(await page.locator("body").isVisible()).toBe(true);
      expect(dialogs).toEqual([]);
      await saveScreenshot(page, "chat-xss");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

});
