/**
 * Pictures in a real browser: picked with the file chooser or pasted into the message box,
 * shown as thumbnails before sending, sent with the message to a model that can see (the
 * provider receives an image part with the picture's bytes), shown in the conversation and
 * opened full size; a file that is no picture is refused before anything is sent.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, saveScreenshot, signedInSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { composerBox, conversationTexts, messageItems, until } from "../support/chat-page.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { fixture, fixtureUrl } from "../support/fixtures.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  const IMAGE = fixtureUrl("noa-app-request-image.jpg").pathname;

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
      input: { name: "Eyes", providerModelId: "echo", baseUrl: provider.url, supportsImages: true },
    });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  const chatRequests = () => provider.requests.filter((r) => r.path === "/v1/chat/completions");

  test(
    "a picked picture goes with the message to the provider as an image part, and shows in the chat, full size on a click",
    async () => {
      const jpeg = await fixture("noa-app-request-image.jpg");
      await page.goto(`${web.baseUrl}/`);
      const chooser = page.waitForEvent("filechooser");
      await page.getByRole("button", { name: "Attach picture" }).click();
      await (await chooser).setFiles(IMAGE);
      const thumbnails = page.getByRole("list", { name: "Pictures to send" });
      await thumbnails.getByRole("img").waitFor();
      await composerBox(page).fill("What is in this picture?");
      await saveScreenshot(page, "images-before-send");
      await composerBox(page).press("Enter");
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: What is in this picture?");
      expect(await thumbnails.count()).toBe(0);

      // The provider got the words and the picture, byte for byte.
      const [question] = (chatRequests().at(-1)!.body as { messages: { role: string; content: any }[] }).messages;
      expect(question!.content).toEqual([
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url: `data:image/jpeg;base64,${Buffer.from(jpeg).toString("base64")}` } },
      ]);

      // In the conversation: a thumbnail that opens the picture full size in a new tab.
      const picture = messageItems(page).first().getByRole("img", { name: "Attached picture" });
      await picture.waitFor();
      const naturalWidth = await picture.evaluate(async (image: HTMLImageElement) => {
        await image.decode();
        return image.naturalWidth;
      });
      expect(naturalWidth).toBeGreaterThan(0);
      const opened = context.waitForEvent("page");
      await picture.click();
      const full = await opened;
      await full.waitForLoadState();
      expect(full.url()).toMatch(/\/attachments\/\w+$/);
      await full.close();
      await saveScreenshot(page, "images-sent");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "a pasted picture is attached; a file that is no picture is refused before sending",
    async () => {
      await page.goto(`${web.baseUrl}/`);
      await composerBox(page).focus();
      // Paste a PNG from the clipboard, as a screenshot tool would.
      await page.evaluate(async () => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 8;
        canvas.getContext("2d")!.fillRect(0, 0, 8, 8);
        const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/png"));
        const data = new DataTransfer();
        data.items.add(new File([blob], "pasted.png", { type: "image/png" }));
        document.activeElement!.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
      });
      await page.getByRole("list", { name: "Pictures to send" }).getByRole("img", { name: "pasted.png" }).waitFor();

      const chooser = page.waitForEvent("filechooser");
      await page.getByRole("button", { name: "Attach picture" }).click();
      await (await chooser).setFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture") });
      await page.getByText("notes.txt is not a JPEG, PNG or WebP picture.").waitFor();
      expect(await page.getByRole("list", { name: "Pictures to send" }).getByRole("img").count()).toBe(1);

      await composerBox(page).fill("And this one?");
      await composerBox(page).press("Enter");
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: And this one?");
      const sent = (chatRequests().at(-1)!.body as { messages: { content: any }[] }).messages.at(-1)!.content;
      expect(sent[1].image_url.url).toStartWith("data:image/png;base64,");
      await saveScreenshot(page, "images-pasted");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
