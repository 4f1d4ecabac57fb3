/**
 * The built web UI in a real browser against the real server: sign up through the
 * form, start a chat, and check that another account cannot see it.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { BROWSER_TESTS_RUN, openBrowserSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  let web: WebUnderTest;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    web = await startWebUnderTest();
    ({ browser, baseUrl } = web);
  });

  afterAll(() => web?.close());

  async function signUpThroughForm(page: Page, email: string, displayName: string) {
    await page.goto(`${baseUrl}/`);
    // Signed out, the app sends you to the sign-in page.
    await page.waitForURL(`${baseUrl}/signin`);
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Display name").fill(displayName);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${baseUrl}/`);
    await page.getByText(`Signed in as ${displayName}`).waitFor();
  }

  const chatList = (page: Page) => page.getByRole("list", { name: "Your chats" });

  /** Set by the first test, for the second. */
  let firstUsersChatPath: string | null = null;

  test("a new user signs up through the form, starts a chat and sees it listed", async () => {
    const { page, pageErrors } = await openBrowserSession(browser);

    await signUpThroughForm(page, "ada@example.com", "Ada");
    await page.getByText("No chats yet.").waitFor();
    expect(await chatList(page).count()).toBe(0);

    await page.getByLabel("Title").fill("Plans for Lisbon");
    await page.getByRole("button", { name: "Start chat" }).click();
    const chatLink = chatList(page).getByRole("link", { name: "Plans for Lisbon" });
    await chatLink.waitFor();
    expect(await page.getByText("No chats yet.").count()).toBe(0);
    firstUsersChatPath = await chatLink.getAttribute("href");
    expect(firstUsersChatPath).toMatch(/^\/chats\/\w+$/);

    // The session survives a reload, and the chat opens on its own page.
    await page.reload();
    await chatLink.click();
    await page.getByRole("heading", { name: "Plans for Lisbon" }).waitFor();
    expect(page.url()).toBe(`${baseUrl}${firstUsersChatPath}`);

    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  test("another user, in another browser profile, does not see that chat", async () => {
    if (!firstUsersChatPath) throw new Error("needs the chat the previous test creates");
    const { page, pageErrors } = await openBrowserSession(browser);

    await signUpThroughForm(page, "grace@example.com", "Grace");
    await page.getByText("No chats yet.").waitFor();
    expect(await page.getByText("Plans for Lisbon").count()).toBe(0);

    // Not even by its address.
    await page.goto(`${baseUrl}${firstUsersChatPath}`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    expect(await page.getByText("Plans for Lisbon").count()).toBe(0);

    expect(pageErrors).toEqual([]);
    await page.context().close();
  });
});
