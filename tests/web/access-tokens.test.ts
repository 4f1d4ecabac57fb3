/**
 * Settings → Access tokens in a real browser against the real server, then the token at
 * work: a user creates a token with scopes and an expiry (its secret shown once), points
 * the official `openai` SDK at this server's /v1 with it and streams a completion from
 * their model; the token's last use shows on the page; the exchange is an API chat in the
 * sidebar's API filter with its usage and cost; revoking the token stops the SDK (401).
 *
 * Needs `bun run web:build` first and Chromium (see tests/support/browser.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, saveScreenshot, signedInSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { replyItems } from "../support/chat-page.ts";
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
    await session.client.data(`mutation($url: String!) { createModel(input: { name: "Echo", providerModelId: "echo", baseUrl: $url, inputCostPerMTok: 1000, outputCostPerMTok: 2000 }) { id } }`, {
      url: provider.url,
    });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  const tokenList = () => page.getByRole("list", { name: "Your access tokens" });
  const tokenItem = (name: string) => tokenList().getByRole("listitem").filter({ has: page.getByText(name, { exact: true }) });

  test(
    "create a token, stream a completion with the openai SDK, see its last use and the API chat with its cost, revoke it",
    async () => {
      await page.goto(`${web.baseUrl}/settings`);
      await page.getByRole("link", { name: "Access tokens" }).click();
      await page.waitForURL(`${web.baseUrl}/settings/tokens`);
      await page.getByRole("heading", { name: "Access tokens", level: 1 }).waitFor();
      await page.getByText("No tokens yet.").waitFor();
      expect(await page.getByText(`${web.baseUrl}/v1`).count()).toBe(1);

      // No scope: the form says so next to the scopes, nothing is created.
      await page.getByLabel("Token name").fill("Editor");
      await page.getByLabel(/OpenAI-compatible API/).uncheck();
      await page.getByRole("button", { name: "Create token" }).click();
      await page.getByText(/Choose at least one scope/).waitFor();
      expect(await web.app.db.accessToken.count()).toBe(0);

      await page.getByLabel(/OpenAI-compatible API/).check();
      await page.getByLabel(/GraphQL/).check();
      await page.getByLabel("Expires after").selectOption({ label: "30 days" });
      await page.getByRole("button", { name: "Create token" }).click();
      const box = page.getByRole("region", { name: "Token “Editor” created" });
      await box.getByText("you will not see it again").waitFor();
      const secret = await box.getByLabel("Token", { exact: true }).inputValue();
      expect(secret).toStartWith("aiui_pat_");

      const item = tokenItem("Editor");
      await item.waitFor();
      expect(await item.textContent()).toContain("OpenAI-compatible API · GraphQL");
      expect(await item.textContent()).toContain("last used never");
      expect(await item.textContent()).toContain("expires");
      await saveScreenshot(page, "access-tokens-created");

      // The token at work: the official SDK, pointed at this server.
      provider.scriptNext({ text: "Streaming through AIUI works.", delayMsPerToken: 10 });
      const sdk = new OpenAI({ apiKey: secret, baseURL: `${web.baseUrl}/v1`, maxRetries: 0 });
      const models = [];
      for await (const model of sdk.models.list()) models.push(model.id);
      expect(models).toEqual(["Echo"]);
      const stream = await sdk.chat.completions.create({
        model: "Echo",
        messages: [{ role: "user", content: "Does streaming work?" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("Streaming through AIUI works.");

      // After a reload the secret is gone for good; the token shows its last use.
      await page.reload();
      await item.waitFor();
      expect(await box.count()).toBe(0);
      expect(await page.evaluate(() => document.body.textContent)).not.toContain(secret);
      // (This harness hands requests to the app in process: there is no client address to show.)
      expect(await item.textContent()).toMatch(/last used \w{3} \d+, \d{4}/);
      expect(await item.textContent()).not.toContain("unknown");

      // The exchange is an API chat, with usage and cost under the reply.
      await page.goto(`${web.baseUrl}/`);
      const chats = page.getByRole("navigation", { name: "Chats" });
      await page.getByRole("button", { name: "API", exact: true }).click();
      await chats.getByRole("link", { name: "Does streaming work?" }).click();
      await page.getByText("API", { exact: true }).first().waitFor();
      const reply = replyItems(page).last();
      await reply.getByText("Streaming through AIUI works.").waitFor();
      await reply.getByText(/Tokens: \d+ in, \d+ out · cost \$[\d.]+/).waitFor();
      await saveScreenshot(page, "access-tokens-api-chat");

      // Revoked: the SDK is refused at once; the token moves to the revoked list.
      await page.goto(`${web.baseUrl}/settings/tokens`);
      page.once("dialog", (dialog) => void dialog.accept());
      await item.getByRole("button", { name: "Revoke Editor" }).click();
      await page.getByText("Revoked tokens (1)").waitFor();
      expect(await tokenItem("Editor").count()).toBe(0);
      expect(await sdk.models.list().catch((e) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
