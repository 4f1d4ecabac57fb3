/**
 * The app's frame in a real browser against the real server: the first visit to a new
 * server creates the administrator account, accounts see only their own chats, unknown
 * addresses get the not-found page (and a 404), the settings page (display name, default
 * model, theme: dark mode stays after a reload), and the phone layout (a drawer for the
 * sidebar, the composer on screen, Enter as a new line on a touch keyboard, 44 px taps).
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import {
  BROWSER_TEST_TIMEOUT_MS,
  BROWSER_TESTS_RUN,
  openBrowserSession,
  saveScreenshot,
  signedInSession,
  startWebUnderTest,
  type WebUnderTest,
} from "../support/browser.ts";
import { composerBox, conversationTexts, send, until } from "../support/chat-page.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  let web: WebUnderTest;
  let provider: FakeProvider;
  let baseUrl: string;

  beforeAll(async () => {
    provider = await startFakeProvider();
    web = await startWebUnderTest();
    ({ baseUrl } = web);
  });

  afterAll(async () => {
    await web?.close();
    await provider?.stop();
  });

  const chatNav = (page: Page) => page.getByRole("navigation", { name: "Chats" });
  /** The page's background colour, as drawn. */
  const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const DARK_BACKGROUND = "rgb(21, 23, 28)";
  const LIGHT_BACKGROUND = "rgb(246, 247, 249)";

  /** Set by the first test, for the second. */
  let firstUsersChatPath: string | null = null;

  test(
    "the first visit to a new server creates the administrator account; then the usual sign-in",
    async () => {
      const { page, pageErrors, context } = await openBrowserSession(web.browser);
      await page.goto(`${baseUrl}/`);
      await page.waitForURL(`${baseUrl}/signin`);
      await page.getByRole("heading", { name: "Create the administrator account" }).waitFor();
      expect(await page.getByText("Welcome back").count()).toBe(0);
      await saveScreenshot(page, "shell-first-visit");
      await page.getByLabel("Display name").fill("Ada");
      await page.getByLabel("Email").fill("ada@example.com");
      await page.getByLabel("Password").fill("correct horse battery staple");
      await page.getByRole("button", { name: "Create administrator account" }).click();
      await page.waitForURL(`${baseUrl}/`);
      await page.getByText("Signed in as Ada").waitFor();
      await page.getByText("No chats yet.").waitFor();

      // A model and a chat, for the next test to look for.
      const me = web.app.client();
      await me.data(`mutation { signIn(input: { email: "ada@example.com", password: "correct horse battery staple" }) { id } }`);
      await me.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
        input: { name: "Echo", providerModelId: "echo", baseUrl: provider.url },
      });
      await page.reload();
      await send(page, "Plans for Lisbon");
      await page.waitForURL(/\/chats\/\w+$/);
      const link = chatNav(page).getByRole("link", { name: "Plans for Lisbon" });
      await link.waitFor();
      firstUsersChatPath = await link.getAttribute("href");
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: Plans for Lisbon");

      // Signed out, the server has an account now: the usual sign-in page.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${baseUrl}/signin`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await page.getByText("Welcome back to AIUI.").waitFor();
      await page.getByRole("button", { name: "Create an account" }).waitFor();
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "another user, in another browser profile, does not see that chat, not even by its address",
    async () => {
      if (!firstUsersChatPath) throw new Error("needs the chat the previous test creates");
      const { page, pageErrors, context } = await signedInSession(web, "grace@example.com");
      await page.goto(`${baseUrl}/`);
      await page.getByText("No chats yet.").waitFor();
      expect(await page.getByText("Plans for Lisbon").count()).toBe(0);
      await page.goto(`${baseUrl}${firstUsersChatPath}`);
      await page.getByRole("heading", { name: "Not found" }).waitFor();
      expect(await page.getByText("Plans for Lisbon").count()).toBe(0);
      await saveScreenshot(page, "shell-other-user");
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "an address that is no page answers 404 and shows the app's not-found page",
    async () => {
      const { page, pageErrors, context } = await openBrowserSession(web.browser);
      const response = await page.goto(`${baseUrl}/no/such/page`);
      expect(response?.status()).toBe(404);
      await page.getByRole("heading", { name: "Not found" }).waitFor();
      await page.getByText("There is no page at this address.").waitFor();
      await saveScreenshot(page, "shell-not-found");
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "settings: display name, default model and theme; dark mode stays after a reload and follows the account",
    async () => {
      const { page, pageErrors, context, client } = await signedInSession(web, "linus@example.com");
      for (const name of ["First", "Second"]) {
        await client.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
          input: { name, providerModelId: "echo", baseUrl: provider.url },
        });
      }
      await page.goto(`${baseUrl}/`);
      await page.getByText("Signed in as").waitFor();
      expect(await background(page)).toBe(LIGHT_BACKGROUND);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
      await page.getByLabel("Display name").fill("Linus T.");
      await page.getByLabel("Default model").selectOption({ label: "Second" });
      await page.getByRole("radio", { name: "Dark" }).check();
      await page.getByRole("button", { name: "Save settings" }).click();
      await page.getByText("Settings saved.").waitFor();
      await page.getByText("Signed in as Linus T.").waitFor();
      expect(await background(page)).toBe(DARK_BACKGROUND);
      await saveScreenshot(page, "shell-settings-dark");

      // Remembered: after a reload, and a new chat starts with the default model.
      await page.reload();
      await page.getByText("Signed in as Linus T.").waitFor();
      await until(() => background(page), (color) => color === DARK_BACKGROUND);
      await page.getByRole("link", { name: "New chat" }).click();
      await page.getByRole("heading", { name: "Ask Second" }).waitFor();
      expect(await page.getByLabel("Model", { exact: true }).inputValue()).toBe(
        (await client.data(`{ viewer { preferredModel { id } } }`)).viewer.preferredModel.id,
      );
      await saveScreenshot(page, "shell-dark-chat");

      // The account carries it to another browser.
      const elsewhere = await openBrowserSession(web.browser);
      const cookie = client.cookie!;
      await elsewhere.context.addCookies([{ name: cookie.slice(0, cookie.indexOf("=")), value: cookie.slice(cookie.indexOf("=") + 1), url: baseUrl }]);
      await elsewhere.page.goto(`${baseUrl}/`);
      await elsewhere.page.getByText("Signed in as Linus T.").waitFor();
      await until(() => background(elsewhere.page), (color) => color === DARK_BACKGROUND);
      await elsewhere.context.close();

      // "Like this device" follows the device's preference.
      await page.goto(`${baseUrl}/settings`);
      await page.getByRole("radio", { name: "Like this device" }).check();
      await page.getByRole("button", { name: "Save settings" }).click();
      await page.getByText("Settings saved.").waitFor();
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await background(page)).toBe(DARK_BACKGROUND);
      await page.emulateMedia({ colorScheme: "light" });
      expect(await background(page)).toBe(LIGHT_BACKGROUND);
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "on a phone the sidebar is a drawer, the composer stays on screen in a long chat, Enter is a new line, taps are 44 px",
    async () => {
      const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
      const { page, pageErrors, context, client } = await signedInSession(web, "phone@example.com", phone);
      const { createModel } = await client.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
        input: { name: "Echo", providerModelId: "echo", baseUrl: provider.url },
      });
      // A chat of 80 messages, written through the API.
      let chatId = "";
      for (let i = 1; i <= 40; i++) {
        const { sendMessage } = await client.data(
          `mutation($chatId: ID, $content: String!, $modelId: ID) { sendMessage(chatId: $chatId, content: $content, modelId: $modelId) { chat { id } reply { id } } }`,
          { chatId: chatId || null, content: `Line ${i} ${"of a long conversation ".repeat(4)}`, modelId: createModel.id },
        );
        chatId = sendMessage.chat.id;
        await until(
          async () => (await web.app.db.message.findUniqueOrThrow({ where: { id: sendMessage.reply.id } })).status,
          (status) => status !== "STREAMING",
        );
      }
      await page.goto(`${baseUrl}/chats/${chatId}`);
      await until(() => conversationTexts(page), (texts) => texts.at(-1)?.startsWith("You said: Line 40") ?? false);

      // The sidebar is out of the way until asked for.
      expect(await chatNav(page).isVisible()).toBe(false);
      const box = await composerBox(page).boundingBox();
      expect(box!.y + box!.height).toBeLessThanOrEqual(844);
      expect(box!.y).toBeGreaterThan(844 / 2);
      await saveScreenshot(page, "shell-phone-chat");

      // Enter on a touch keyboard starts a new line; Send sends.
      await composerBox(page).fill("first line");
      await composerBox(page).press("Enter");
      await composerBox(page).pressSequentially("second line");
      expect(await composerBox(page).inputValue()).toBe("first line\nsecond line");
      await page.getByRole("button", { name: "Send", exact: true }).tap();
      await until(() => conversationTexts(page), (texts) => texts.at(-1) === "You said: first line\nsecond line");
      const after = await composerBox(page).boundingBox();
      expect(after!.y + after!.height).toBeLessThanOrEqual(844);

      // Every button and link in sight is at least 44 px tall.
      const small = await page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>("button, a[href], select")]
          .filter((el) => {
            const rect = el.getBoundingClientRect();
            const onScreen = rect.bottom > 0 && rect.top < innerHeight && rect.right > 0 && rect.left < innerWidth;
            return rect.width > 0 && rect.height > 0 && onScreen && getComputedStyle(el).visibility !== "hidden";
          })
          .filter((el) => el.getBoundingClientRect().height < 44 && !el.closest(".markdown"))
          .map((el) => `${el.tagName} ${el.textContent?.trim().slice(0, 30)}`),
      );
      expect(small).toEqual([]);

      // The drawer opens with the chats and closes on navigating.
      await page.getByRole("button", { name: "Open the sidebar" }).tap();
      await chatNav(page).waitFor();
      await saveScreenshot(page, "shell-phone-drawer");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).tap();
      await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
      await until(() => chatNav(page).isVisible(), (visible) => !visible);
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
