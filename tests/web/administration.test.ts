/**
 * Administration in a real browser, as the issue's story goes: the first visitor creates the
 * administrator; the administrator shares a model (with their key), makes sign-up invite-only
 * and hands over an invite link; the second user signs up with it, chats with the shared model
 * and never sees any of its key; the administrator sets their budget, which then stops a
 * request with a clear message; the second user changes their password, forgets it and resets
 * it through an e-mail caught by a real SMTP server on loopback; the Usage page charts both
 * users' usage (chart.js), and the second user's own.
 *
 * Needs `bun run web:build` first and Chromium at /usr/bin/chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { BROWSER_TESTS_RUN, openBrowserSession, saveScreenshot, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { lastMessage, send, textOf, until } from "../support/chat-page.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { type MailSink, resetLinkIn, startMailSink } from "../support/mail-sink.ts";

const KEY = "sk-team-SECRET-KEY-WXYZ";
const PASSWORD = "correct horse battery";
// Reset e-mails link to PUBLIC_URL; the browser opens the same path and fragment on the test server.
const PUBLIC_URL = "http://aiui.test";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  let web: WebUnderTest;
  let provider: FakeProvider;
  let sink: MailSink;
  let baseUrl: string;
  const sessions: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    provider = await startFakeProvider();
    sink = await startMailSink();
    web = await startWebUnderTest({ SMTP_URL: sink.url, MAIL_FROM: "AIUI <aiui@aiui.test>", PUBLIC_URL });
    ({ baseUrl } = web);
  });
  afterAll(async () => {
    for (const session of sessions) await session.close();
    await web?.close();
    await provider?.stop();
    await sink?.close();
  });

  async function browserSession() {
    const session = await openBrowserSession(web.browser);
    sessions.push(session.context);
    return session;
  }

  async function signUp(page: Page, url: string, name: string, email: string, button: string) {
    await page.goto(url);
    await page.getByLabel("Display name").fill(name);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: button }).click();
    await page.waitForURL(`${baseUrl}/`);
  }

  const openPage = async (page: Page, label: string, path: string) => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();
    await page.waitForURL(`${baseUrl}${path}`);
  };

  async function chat(page: Page, text: string) {
    await send(page, text);
    return until(() => textOf(lastMessage(page)), (reply) => reply.includes(text));
  }

  test(
    "the first visitor administers; a shared model, an invite, a budget that stops a request, and both users on the usage chart",
    async () => {
      const { page: admin, pageErrors: adminErrors } = await browserSession();
      await signUp(admin, `${baseUrl}/signin`, "Root", "root@example.com", "Create administrator account");

      // A shared model with the administrator's key; a unit of cost per token.
      await openPage(admin, "Administration", "/admin");
      const form = admin.getByRole("form", { name: "Add a shared model" });
      await form.getByLabel("Name").fill("Team echo");
      await form.getByLabel("Base URL").fill(provider.url);
      await form.getByLabel("Model id").fill("echo");
      await form.getByLabel("API key").fill(KEY);
      await form.getByLabel("Input cost per 1M tokens").fill("1000000");
      await form.getByLabel("Output cost per 1M tokens").fill("1000000");
      await form.getByRole("button", { name: "Add shared model" }).click();
      await admin.getByRole("status").getByText("Shared model added.").waitFor();
      await admin.getByRole("list", { name: "Shared models" }).getByText("Team echo").waitFor();

      // Invite-only, and a link to hand over.
      await admin.getByLabel("Only with an invite link").check();
      await admin.getByRole("status").getByText("Sign-up mode saved.").waitFor();
      await admin.getByRole("button", { name: "Create invite link" }).click();
      const invite = (await admin.getByTestId("invite-link").textContent())!.trim();
      expect(invite).toStartWith(`${baseUrl}/signin?invite=inv_`);

      // Without the link nobody signs up; with it the second user does.
      const { page: bea, pageErrors: beaErrors } = await browserSession();
      await bea.goto(`${baseUrl}/signin`);
      expect(await bea.getByRole("button", { name: "Create an account" }).count()).toBe(0);
      await signUp(bea, invite, "Bea", "bea@example.com", "Create account");

      // Bea chats with the shared model, and nowhere sees its key.
      expect(await chat(bea, "hello from bea")).toContain("hello from bea");
      const sent = provider.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
      expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
      await openPage(bea, "Models", "/models");
      const sharedCard = bea.getByRole("list", { name: "Your models" }).getByRole("listitem").filter({ hasText: "Team echo" });
      await sharedCard.getByText("shared by your administrator").waitFor();
      expect(await sharedCard.getByRole("button", { name: /Edit|Delete/ }).count()).toBe(0);
      const html = await bea.content();
      expect(html).not.toContain("WXYZ");
      expect(html).not.toContain("SECRET");

      // Bea changes her password, forgets it, and resets it through the e-mailed link.
      await bea.goto(`${baseUrl}/settings/account`);
      const passwordForm = bea.getByRole("form", { name: "Password" });
      await passwordForm.getByLabel("Current password").fill(PASSWORD);
      await passwordForm.getByLabel("New password", { exact: true }).fill("analytical engine");
      await passwordForm.getByLabel("New password again").fill("analytical engine");
      await passwordForm.getByRole("button", { name: "Change password" }).click();
      await bea.getByText("Password changed.", { exact: false }).first().waitFor();
      await bea.getByRole("button", { name: "Sign out" }).click();
      await bea.waitForURL(`${baseUrl}/signin`);
      await bea.getByRole("link", { name: "Forgot your password?" }).click();
      // The sign-in page has an Email field too: fill the reset page's, once it is there.
      await bea.getByRole("heading", { name: "Forgot your password?" }).waitFor();
      await bea.getByLabel("Email").fill("bea@example.com");
      await bea.getByRole("button", { name: "Send me a link" }).click();
      await bea.getByRole("heading", { name: "Check your e-mail" }).waitFor();
      const link = resetLinkIn(await sink.next("bea@example.com"));
      await bea.goto(link.replace(PUBLIC_URL, baseUrl));
      await bea.getByLabel("New password", { exact: true }).fill("compilers all the way");
      await bea.getByLabel("New password again").fill("compilers all the way");
      await bea.getByRole("button", { name: "Set new password" }).click();
      await bea.getByRole("heading", { name: "Password changed" }).waitFor();
      await bea.getByRole("link", { name: "Sign in with your new password" }).click();
      await bea.getByLabel("Email").fill("bea@example.com");
      await bea.getByLabel("Password").fill("compilers all the way");
      await bea.getByRole("button", { name: "Sign in" }).click();
      await bea.waitForURL(`${baseUrl}/`);

      // The administrator sets Bea's budget below what she has spent.
      await admin.reload();
      await admin.getByLabel("Monthly budget of bea@example.com").fill("1");
      await admin.getByRole("row").filter({ hasText: "bea@example.com" }).getByRole("button", { name: "Save budget" }).click();
      await admin.getByRole("status").getByText("Budget saved.").waitFor();
      expect(await admin.getByRole("row").filter({ hasText: "bea@example.com" }).textContent()).toContain("1 requests");

      // The budget stops her next request, before the provider is asked.
      const before = provider.requests.length;
      await bea.goto(`${baseUrl}/`);
      await send(bea, "one more please");
      await bea.getByRole("alert").filter({ hasText: "monthly budget" }).waitFor();
      expect(provider.requests.length).toBe(before);

      // The administrator chats too, then sees both on the usage chart.
      await admin.goto(`${baseUrl}/`);
      expect(await chat(admin, "hello from root")).toContain("hello from root");
      await openPage(admin, "Usage", "/usage");
      const everyone = admin.getByRole("figure", { name: "Everyone's cost per day by user" });
      await until(async () => (await everyone.getAttribute("data-series")) ?? "", (series) => series.includes("Bea") && series.includes("Root"));
      expect(await admin.locator("figure canvas").count()).toBe(2);
      await saveScreenshot(admin, "administration-usage", true);

      // Bea's own usage page: her chart only, no one else's.
      await openPage(bea, "Usage", "/usage");
      expect(await bea.getByRole("figure", { name: "My cost per day by model" }).getAttribute("data-series")).toBe("Team echo");
      expect(await bea.getByRole("figure", { name: "Everyone's cost per day by user" }).count()).toBe(0);
      expect(await bea.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Administration" }).count()).toBe(0);

      expect(adminErrors).toEqual([]);
      expect(beaErrors).toEqual([]);
    },
    120_000,
  );

  test("the users list: search, make and remove an administrator, deactivate and reactivate, a reset link, delete with what went", async () => {
    const { page: admin, pageErrors } = await browserSession();
    await admin.goto(`${baseUrl}/signin`);
    await admin.getByLabel("Email").fill("root@example.com");
    await admin.getByLabel("Password").fill(PASSWORD);
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.waitForURL(`${baseUrl}/`);
    // Two more accounts, straight into the database (sign-up is by invitation now).
    for (const name of ["carol", "dave"]) await web.app.db.user.create({ data: { email: `${name}@example.com`, passwordHash: "-", displayName: name } });
    await openPage(admin, "Administration", "/admin");
    const row = (email: string) => admin.getByRole("row").filter({ hasText: email });

    await admin.getByLabel("Search users").fill("car");
    await admin.getByLabel("Search users").press("Enter");
    await admin.waitForURL(`${baseUrl}/admin?search=car`);
    await until(() => admin.getByRole("row").filter({ hasText: "@example.com" }).count(), (n) => n === 1);
    await admin.getByRole("heading", { name: "Users (1)" }).waitFor();

    await row("carol@example.com").getByRole("button", { name: "Make admin" }).click();
    await row("carol@example.com").getByText("Administrator").waitFor();
    await row("carol@example.com").getByRole("button", { name: "Remove admin" }).click();
    await row("carol@example.com").getByText("Member").waitFor();

    await row("carol@example.com").getByRole("button", { name: "Deactivate" }).click();
    await row("carol@example.com").getByText("Deactivated").waitFor();
    expect((await web.app.db.user.findUniqueOrThrow({ where: { email: "carol@example.com" } })).deactivatedAt).not.toBeNull();
    await row("carol@example.com").getByRole("button", { name: "Reactivate" }).click();
    await row("carol@example.com").getByRole("button", { name: "Deactivate" }).waitFor();

    await row("carol@example.com").getByRole("button", { name: "Reset link" }).click();
    expect(await admin.getByTestId("reset-link").textContent()).toContain("/reset-password");

    admin.once("dialog", (dialog) => void dialog.accept("carol@example.com"));
    await row("carol@example.com").getByRole("button", { name: "Delete" }).click();
    await admin.getByRole("status").getByText(/Deleted carol@example.com: 0 chats/).waitFor();
    expect(await web.app.db.user.count({ where: { email: "carol@example.com" } })).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
