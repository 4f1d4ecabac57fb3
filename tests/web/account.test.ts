/**
 * Settings → Account and the password-reset pages in a real browser against the real server:
 * sessions listed by device with this browser marked, one other signed out; the display name,
 * the password (refusals shown at their field; the other sessions end) and the email changed;
 * then a forgotten password reset through an e-mail caught by a real SMTP server on loopback.
 *
 * Needs `bun run web:build` first and Chromium at /usr/bin/chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, openBrowserSession, saveScreenshot, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { type MailSink, resetLinkIn, startMailSink } from "../support/mail-sink.ts";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SIGN_IN = `mutation($input: SignInInput!) { signIn(input: $input) { id } }`;
// Reset e-mails link to PUBLIC_URL; the browser opens the same path and fragment on the test server.
const PUBLIC_URL = "http://aiui.test";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  let web: WebUnderTest;
  let sink: MailSink;

  beforeAll(async () => {
    sink = await startMailSink();
    web = await startWebUnderTest({ SMTP_URL: sink.url, MAIL_FROM: "AIUI <aiui@aiui.test>", PUBLIC_URL });
  });

  afterAll(async () => {
    await web?.close();
    await sink?.close();
  });

  async function signInThroughTheForm(page: Page, email: string, password: string) {
    await page.goto(`${web.baseUrl}/signin`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${web.baseUrl}/`);
  }

  test(
    "the account page lists sessions and signs one out, and changes the name, the password and the email",
    async () => {
      const signUpSession = await web.app.signedUp("ada@example.com");
      const firefox = web.app.client("198.51.100.7");
      firefox.headers = { "user-agent": FIREFOX_WINDOWS };
      await firefox.data(SIGN_IN, { input: { email: "ada@example.com", password: "correct horse battery" } });

      const { page, pageErrors } = await openBrowserSession(web.browser);
      await signInThroughTheForm(page, "ada@example.com", "correct horse battery");
      await page.goto(`${web.baseUrl}/settings`);
      await page.getByRole("link", { name: "Account" }).click();
      await page.getByRole("heading", { name: "Your account" }).waitFor();

      const sessions = page.getByRole("region", { name: "Where you are signed in" });
      await sessions.getByRole("listitem", { name: "Chrome on Linux (this browser)" }).waitFor();
      const firefoxItem = sessions.getByRole("listitem", { name: "Firefox on Windows" });
      await expect(firefoxItem.textContent()).resolves.toContain("198.51.100.7");
      expect(await sessions.getByRole("listitem").count()).toBe(3);
      // No button signs out this browser from here (that is "Sign out" in the menu).
      expect(await sessions.getByRole("listitem", { name: "Chrome on Linux (this browser)" }).getByRole("button").count()).toBe(0);
      await saveScreenshot(page, "account-sessions", true);

      await firefoxItem.getByRole("button", { name: "Sign out" }).click();
      await page.getByText("Signed out Firefox on Windows.").waitFor();
      await firefoxItem.waitFor({ state: "detached" });
      expect((await firefox.data(`{ viewer { id } }`)).viewer).toBeNull();

      const nameForm = page.getByRole("form", { name: "Display name" });
      await nameForm.getByLabel("Display name").fill("Ada Lovelace");
      await nameForm.getByRole("button", { name: "Save name" }).click();
      await page.getByText("Name saved.").waitFor();

      const passwordForm = page.getByRole("form", { name: "Password" });
      await passwordForm.getByLabel("Current password").fill("not my password");
      await passwordForm.getByLabel("New password", { exact: true }).fill("analytical engine");
      await passwordForm.getByLabel("New password again").fill("analytical engine");
      await passwordForm.getByRole("button", { name: "Change password" }).click();
      await passwordForm.getByText("That is not your current password.").waitFor();
      await passwordForm.getByLabel("Current password").fill("correct horse battery");
      await passwordForm.getByLabel("New password", { exact: true }).fill("iloveyou");
      await passwordForm.getByLabel("New password again").fill("iloveyou");
      await passwordForm.getByRole("button", { name: "Change password" }).click();
      await passwordForm.getByText(/list of common passwords/).waitFor();
      await passwordForm.getByLabel("New password", { exact: true }).fill("analytical engine");
      await passwordForm.getByLabel("New password again").fill("analytical engine");
      await passwordForm.getByRole("button", { name: "Change password" }).click();
      await page.getByText("Password changed. Your other sessions were signed out.").waitFor();
      // The sign-up's session ended; this browser stays signed in and is now alone in the list.
      expect((await signUpSession.data(`{ viewer { id } }`)).viewer).toBeNull();
      await page.getByText("You are signed in nowhere else.").waitFor();

      const emailForm = page.getByRole("form", { name: "Email" });
      await emailForm.getByLabel("New email").fill("ada.lovelace@example.com");
      await emailForm.getByLabel("Your password").fill("analytical engine");
      await emailForm.getByRole("button", { name: "Change email" }).click();
      await page.getByText("Email changed: sign in with ada.lovelace@example.com from now on.").waitFor();
      await saveScreenshot(page, "account-changed", true);

      const viewer = await web.app.db.user.findUniqueOrThrow({ where: { email: "ada.lovelace@example.com" } });
      expect(viewer.displayName).toBe("Ada Lovelace");
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "a forgotten password is reset through the e-mailed link; the link then signs in nobody else",
    async () => {
      await web.app.signedUp("grace@example.com");
      const { page, pageErrors } = await openBrowserSession(web.browser);
      await page.goto(`${web.baseUrl}/signin`);
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
      await page.getByLabel("Email").fill("grace@example.com");
      await page.getByRole("button", { name: "Send me a link" }).click();
      await page.getByRole("heading", { name: "Check your e-mail" }).waitFor();

      const link = resetLinkIn(await sink.next("grace@example.com"));
      expect(link).toStartWith(`${PUBLIC_URL}/reset-password#token=`);
      await page.goto(link.replace(PUBLIC_URL, web.baseUrl));
      await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
      // The secret is taken out of the address bar once read.
      await page.waitForURL(`${web.baseUrl}/reset-password`);
      await page.getByLabel("New password", { exact: true }).fill("grace@example.com");
      await page.getByLabel("New password again").fill("grace@example.com");
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.getByText("Choose a password that is not your email address or your name.").waitFor();
      await page.getByLabel("New password", { exact: true }).fill("compilers all the way");
      await page.getByLabel("New password again").fill("compilers all the way");
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.getByRole("heading", { name: "Password changed" }).waitFor();
      await saveScreenshot(page, "reset-done");

      await page.getByRole("link", { name: "Sign in with your new password" }).click();
      await page.getByLabel("Email").fill("grace@example.com");
      await page.getByLabel("Password").fill("compilers all the way");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${web.baseUrl}/`);

      // Used once: opening the link again offers to ask for a new one.
      const second = await openBrowserSession(web.browser);
      await second.page.goto(link.replace(PUBLIC_URL, web.baseUrl));
      await second.page.getByLabel("New password", { exact: true }).fill("someone else entirely");
      await second.page.getByLabel("New password again").fill("someone else entirely");
      await second.page.getByRole("button", { name: "Set new password" }).click();
      await second.page.getByText(/This reset link is not valid/).waitFor();
      expect(await second.page.getByRole("link", { name: "Ask for a new link" }).count()).toBe(1);
      expect([...pageErrors, ...second.pageErrors]).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
