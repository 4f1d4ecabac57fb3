/**
 * Edits and versions in a real browser: editing a question sends it as version 2 with a
 * new reply, ‹ › switches back to version 1 (its reply and what followed come back), the
 * provider was sent the right branch each time, and regenerating keeps the earlier reply
 * as a version. Screenshots go to test-results/screenshots.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, saveScreenshot, signedInSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { conversationTexts, messageItems, replyItems, send, until } from "../support/chat-page.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  let web: WebUnderTest;
  let provider: FakeProvider;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    provider = await startFakeProvider();
    web = await startWebUnderTest();
    const session = await signedInSession(web, "ada@example.com");
    ({ context, page, pageErrors } = session);
    await session.client.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
      input: { name: "Echo", providerModelId: "echo", baseUrl: provider.url },
    });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  /** What the provider was sent last: the conversation's texts. */
  const lastPrompt = () =>
    (provider.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body as { messages: { content: string }[] }).messages.map((m) => m.content);

  async function exchange(text: string) {
    await send(page, text);
    await until(() => conversationTexts(page), (texts) => texts.at(-1) === `You said: ${text}`);
  }

  test(
    "edit a question: version 2 with a new reply; ‹ switches back to version 1 and its continuation; the provider got each branch",
    async () => {
      await page.goto(`${web.baseUrl}/`);
      await exchange("Name a colour");
      await exchange("Name a fruit");
      await exchange("Name a city");

      // Edit the second question.
      const question = messageItems(page).nth(2);
      await question.getByRole("button", { name: "Edit" }).click();
      const editor = question.getByLabel("Edited message");
      expect(await editor.inputValue()).toBe("Name a fruit");
      await editor.fill("Name a yellow fruit");
      await question.getByRole("button", { name: "Save and send" }).click();
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: Name a yellow fruit");
      expect(await conversationTexts(page)).toEqual(["Name a colour", "You said: Name a colour", "Name a yellow fruit", "You said: Name a yellow fruit"]);
      expect(lastPrompt()).toEqual(["Name a colour", "You said: Name a colour", "Name a yellow fruit"]);
      const edited = messageItems(page).nth(2);
      await edited.getByText("2 / 2").waitFor();
      await saveScreenshot(page, "versions-edited");

      // Back to version 1: its reply and what followed it.
      await edited.getByRole("button", { name: "Previous version" }).click();
      await until(() => conversationTexts(page), (texts) => texts.length === 6);
      expect(await conversationTexts(page)).toEqual([
        "Name a colour",
        "You said: Name a colour",
        "Name a fruit",
        "You said: Name a fruit",
        "Name a city",
        "You said: Name a city",
      ]);
      await messageItems(page).nth(2).getByText("1 / 2").waitFor();

      // It stays the version shown after a reload, and a new message continues it.
      await page.reload();
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: Name a city");
      await exchange("And a river?");
      expect(lastPrompt()).toEqual([
        "Name a colour",
        "You said: Name a colour",
        "Name a fruit",
        "You said: Name a fruit",
        "Name a city",
        "You said: Name a city",
        "And a river?",
      ]);

      // Forward to version 2 again.
      await messageItems(page).nth(2).getByRole("button", { name: "Next version" }).click();
      await until(() => conversationTexts(page), (texts) => texts.length === 4 && texts[2] === "Name a yellow fruit");
      await saveScreenshot(page, "versions-switched");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "regenerate keeps the earlier reply: ‹ 1 / 2 › between the two",
    async () => {
      await page.goto(`${web.baseUrl}/`);
      provider.scriptNext({ text: "First answer." });
      await send(page, "Tell me something");
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "First answer.");
      provider.scriptNext({ text: "Second answer." });
      await replyItems(page).last().getByRole("button", { name: "Regenerate" }).click();
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "Second answer.");
      expect(await replyItems(page).count()).toBe(1);
      const reply = replyItems(page).last();
      await reply.getByText("2 / 2").waitFor();
      await reply.getByRole("button", { name: "Previous version" }).click();
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "First answer.");
      await replyItems(page).last().getByText("1 / 2").waitFor();
      await saveScreenshot(page, "versions-regenerated");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
