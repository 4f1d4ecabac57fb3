/**
 * The conversation view in a real browser against the real server and the loopback
 * test provider: send a message and watch the reply being written token by token,
 * stop a reply, follow a reply again after a reload, and see a failed reply's reason
 * (then regenerate it).
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { BROWSER_TESTS_RUN, openBrowserSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  /** Per test: each is a whole walk through the UI, many steps long. */
  const TEST_TIMEOUT_MS = 30_000;
  /** The provider's model id that the scripts below drive. */
  const SCRIPTED_MODEL = "storyteller";

  let web: WebUnderTest;
  let provider: FakeProvider;
  let baseUrl: string;
  /** One browser profile for the whole file: the tests carry on in the account the first one makes. */
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    provider = await startFakeProvider();
    web = await startWebUnderTest();
    ({ baseUrl } = web);
    ({ context, page, pageErrors } = await openBrowserSession(web.browser));
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  /** "Word1 word2 … wordN.": N tokens by the provider's rule (one per word). */
  const words = (n: number, stem = "word") => `${Array.from({ length: n }, (_, i) => `${stem}${i + 1}`).join(" ")}.`;

  const messageList = () => page.getByRole("list", { name: "Messages" });
  const replies = () => messageList().getByRole("listitem").filter({ has: page.getByText("Assistant", { exact: true }) });
  const lastReply = () => replies().last();
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright Locator.innerText: the rendered text a user reads.
  const textOf = async (message: Locator) => ((await message.locator(".content").count()) ? await message.locator(".content").innerText() : "");
  const composerBox = () => page.getByLabel("Message", { exact: true });
  const sendButton = () => page.getByRole("button", { name: "Send", exact: true });

  async function startChat(title: string) {
    await page.goto(`${baseUrl}/`);
    await page.getByLabel("Title").fill(title);
    await page.getByRole("button", { name: "Start chat" }).click();
    await page.getByRole("list", { name: "Your chats" }).getByRole("link", { name: title }).click();
    await page.getByRole("heading", { name: title }).waitFor();
  }

  async function send(text: string) {
    await composerBox().fill(text);
    await composerBox().press("Enter");
  }

  /** With AIUI_SCREENSHOT_DIR set, saves the whole page there as NAME.png (to look at the result). */
  async function screenshot(name: string) {
    const dir = process.env.AIUI_SCREENSHOT_DIR;
    if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
  }

  /** Polls `read` until `done` holds for its value, failing after `timeoutMs`. */
  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`Gave up waiting; last value: ${JSON.stringify(value)}`);
      await Bun.sleep(25);
    }
  }

  test(
    "a message gets a reply that grows token by token, then shows its usage",
    async () => {
      await page.goto(`${baseUrl}/`);
      await page.waitForURL(`${baseUrl}/signin`);
      await page.getByRole("button", { name: "Create an account" }).click();
      await page.getByLabel("Display name").fill("Ada");
      await page.getByLabel("Email").fill("ada@example.com");
      await page.getByLabel("Password").fill("correct horse battery staple");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByText("Signed in as Ada").waitFor();

      // A model pointing at the loopback provider, through the form.
      const addModel = page.getByRole("form", { name: "Add a model" });
      await addModel.getByLabel("Name").fill("Storyteller");
      await addModel.getByLabel("Model id").fill(SCRIPTED_MODEL);
      await addModel.getByLabel("Base URL").fill(provider.url);
      await addModel.getByRole("button", { name: "Add model" }).click();
      await page.getByRole("list", { name: "Your models" }).getByText("Storyteller", { exact: true }).waitFor();

      await startChat("Streaming");

      // The new chat has no model yet: without a choice the server says so next to the picker,
      // and the message goes back into the composer.
      await send("Hello");
      await page.getByText("This chat has no model: choose one.").waitFor();
      expect(await composerBox().inputValue()).toBe("Hello");
      expect(await page.getByLabel("Model", { exact: true }).getAttribute("aria-invalid")).toBe("true");
      expect(await replies().count()).toBe(0);

      const fullText = words(20);
      provider.script(SCRIPTED_MODEL, { text: fullText, delayMsPerToken: 40 });
      await page.getByLabel("Model", { exact: true }).selectOption({ label: "Storyteller" });
      await composerBox().press("Enter");

      // The user's message is there at once; the reply grows while the provider still sends.
      await messageList().getByText("Hello", { exact: true }).waitFor();
      expect(await composerBox().inputValue()).toBe("");
      const reply = lastReply();
      await reply.waitFor();
      const samples: string[] = [];
      const finalText = await until(
        async () => {
          const text = await textOf(reply);
          if (text && text !== samples.at(-1)) samples.push(text);
          return text;
        },
        (text) => text === fullText,
      );
      expect(finalText).toBe(fullText);
      const partial = samples.filter((text) => text.length < fullText.length);
      expect(partial.length).toBeGreaterThanOrEqual(2);
      for (const [i, text] of samples.entries()) {
        expect(fullText.startsWith(text)).toBe(true);
        if (i > 0) expect(text.length).toBeGreaterThan(samples[i - 1]!.length);
      }

      // Finished: usage under the reply, no more "writing…", and Send is back.
      await reply.getByText(/Tokens: \d+ in, 20 out · \$0 · first token \d+ (ms|s) · [\d.]+ (ms|s) in all/).waitFor();
      expect(await reply.getByText("writing…").count()).toBe(0);
      expect(await sendButton().isEnabled()).toBe(true);

      await screenshot("chat-finished");
      expect(pageErrors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "Stop ends a reply as cancelled and keeps the text written so far",
    async () => {
      const fullText = words(200, "slow");
      provider.script(SCRIPTED_MODEL, { text: fullText, delayMsPerToken: 50 });
      await send("Tell me a long story");

      const reply = lastReply();
      await reply.getByText("writing…").waitFor();
      expect(await sendButton().isDisabled()).toBe(true);
      await until(() => textOf(reply), (text) => text.split(" ").length >= 3);
      await page.getByRole("button", { name: "Stop" }).click();

      await reply.getByText("cancelled").waitFor();
      const kept = await textOf(reply);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.length).toBeLessThan(fullText.length);
      expect(fullText.startsWith(kept)).toBe(true);
      expect(await page.getByRole("button", { name: "Stop" }).count()).toBe(0);
      expect(await sendButton().isEnabled()).toBe(true);

      // It stays stopped: no more text arrives, and the server kept it that way.
      await Bun.sleep(300);
      expect(await textOf(reply)).toBe(kept);
      await page.reload();
      await lastReply().getByText("cancelled").waitFor();
      expect(await textOf(lastReply())).toBe(kept);
      await screenshot("chat-cancelled");

      expect(pageErrors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a reply still being written when the page opens goes on growing",
    async () => {
      const fullText = words(40, "late");
      provider.script(SCRIPTED_MODEL, { text: fullText, delayMsPerToken: 40 });
      await send("Keep going");
      await until(() => textOf(lastReply()), (text) => text.split(" ").length >= 3);

      await page.reload();
      const reply = lastReply();
      await reply.getByText("writing…").waitFor();
      const afterReload = await textOf(reply);
      expect(afterReload.length).toBeLessThan(fullText.length);
      await until(() => textOf(reply), (text) => text === fullText);
      await reply.getByText(/Tokens: \d+ in, 40 out/).waitFor();

      expect(pageErrors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a failed reply says why under it, keeps the user's message, and can be regenerated",
    async () => {
      await startChat("Failing");
      await page.getByLabel("Model", { exact: true }).selectOption({ label: "Storyteller" });
      provider.script(SCRIPTED_MODEL, { error: { status: 401 } });
      await send("Are you there?");

      const reply = lastReply();
      await reply.getByText("failed", { exact: true }).waitFor();
      await reply.getByText(/rejected the API key \(401\)\. Check the model's API key\./).waitFor();
      await messageList().getByText("Are you there?", { exact: true }).waitFor();

      await screenshot("chat-failed");
      provider.script(SCRIPTED_MODEL, { text: "Yes, I am here.", delayMsPerToken: 10 });
      await reply.getByRole("button", { name: "Regenerate" }).click();
      await until(() => textOf(lastReply()), (text) => text === "Yes, I am here.");
      expect(await replies().count()).toBe(1);
      expect(await page.getByText(/rejected the API key/).count()).toBe(0);

      expect(pageErrors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
