/**
 * The models page in a real browser: an empty form shows every wrong field at once with
 * human labels; Fetch models fills a picker from the provider's /models; Test connection
 * says what happened in plain words; every field is saved and listed; edit; delete after a
 * confirmation that says what happens to the model's chats.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, saveScreenshot, signedInSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  const KEY = "sk-models-page-1234";
  let web: WebUnderTest;
  let provider: FakeProvider;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    provider = await startFakeProvider({ apiKey: KEY });
    provider.script("storyteller", { text: "Once upon a time." });
    web = await startWebUnderTest();
    ({ context, page, pageErrors } = await signedInSession(web, "ada@example.com"));
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  const modelList = () => page.getByRole("list", { name: "Your models" });
  const modelCard = (name: string) => modelList().getByRole("listitem").filter({ has: page.getByRole("heading", { name, exact: true }) });

  test(
    "add a model: errors next to their fields all at once, Fetch models, Test connection, every field saved and shown",
    async () => {
      await page.goto(`${web.baseUrl}/models`);
      const form = page.getByRole("form", { name: "Add a model" });
      await form.getByLabel("Temperature").fill("3");
      await form.getByRole("button", { name: "Add model" }).click();
      await form.getByText("Check the 4 fields marked below.").waitFor();
      for (const [label, message] of [
        ["Name", "Name is required."],
        ["Model id", "Model id is required."],
        ["Base URL", "Base URL is required."],
        ["Temperature", "Temperature must be between 0 and 2."],
      ] as const) {
        const field = form.getByLabel(label, { exact: true });
        expect(await field.getAttribute("aria-invalid")).toBe("true");
        await form.getByText(message, { exact: true }).waitFor();
      }
      await saveScreenshot(page, "models-errors", true);

      await form.getByLabel("Base URL").fill("ftp://wrong.example");
      await form.getByRole("button", { name: "Add model" }).click();
      await form.getByText("Base URL must start with http:// or https://.").waitFor();

      // The provider's list, then a test with a wrong key and the right one.
      await form.getByLabel("Base URL").fill(provider.url);
      await form.getByLabel("API key").fill("sk-wrong");
      await form.getByRole("button", { name: "Test connection" }).click();
      await form.getByRole("status").getByText(/rejected the API key \(401\)\. Check the model's API key\./).waitFor();
      await form.getByLabel("API key").fill(KEY);
      await form.getByRole("button", { name: "Fetch models" }).click();
      await form.getByRole("status").getByText(/it offers 4 models/).waitFor();
      await form.getByLabel("Pick a model id").selectOption("storyteller");
      expect(await form.getByLabel("Model id", { exact: true }).inputValue()).toBe("storyteller");
      await form.getByRole("button", { name: "Test connection" }).click();
      await form.getByRole("status").getByText(/the model "storyteller" is available\./).waitFor();

      await form.getByLabel("Name", { exact: true }).fill("Storyteller");
      await form.getByLabel("Description").fill("Tells short stories");
      await form.getByLabel("Best use cases").fill("bedtime, road trips");
      await form.getByLabel("Input price").fill("0.15");
      await form.getByLabel("Output price").fill("0.6");
      await form.getByLabel("Max tokens").fill("800");
      await form.getByLabel("Context window").fill("32000");
      await form.getByLabel("Temperature").fill("0.4");
      await form.getByLabel("System prompt").fill("Keep it short.");
      await form.getByLabel(/Can see pictures/).check();
      await form.getByRole("button", { name: "Add model" }).click();
      await page.getByText("Added Storyteller.").waitFor();

      const card = modelCard("Storyteller");
      for (const text of ["Tells short stories", "storyteller", "ending 1234", "bedtime, road trips", "$0.15 in · $0.60 out per 1M tokens", "800", "32,000", "0.4", "Keep it short.", "sees pictures"]) {
        await card.getByText(text, { exact: true }).first().waitFor();
      }
      expect(await web.app.db.aiModel.count()).toBe(1);
      await saveScreenshot(page, "models-added", true);
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );

  test(
    "edit keeps the key unless a new one is typed; delete asks first and says what happens to the chats",
    async () => {
      const card = modelCard("Storyteller");
      await card.getByRole("button", { name: "Edit Storyteller" }).click();
      const form = page.getByRole("form", { name: "Edit Storyteller" });
      await form.getByLabel("Name", { exact: true }).fill("Storyteller 2");
      await form.getByLabel("Input price").fill("-1");
      await form.getByRole("button", { name: "Save changes" }).click();
      await form.getByText("Input price must be zero or more (dollars per 1M tokens).").waitFor();
      await form.getByLabel("Input price").fill("0");
      await form.getByLabel("Output price").fill("0");
      // A saved model is tested with its stored key.
      await form.getByRole("button", { name: "Test connection" }).click();
      await form.getByRole("status").getByText(/is available/).waitFor();
      await form.getByRole("button", { name: "Save changes" }).click();
      await page.getByText("Saved Storyteller 2.").waitFor();
      const edited = modelCard("Storyteller 2");
      await edited.getByText("ending 1234").waitFor();
      await edited.getByText("not set (costs show as —)").waitFor();

      // A chat that uses it, so the confirmation has something to say.
      const model = await web.app.db.aiModel.findFirstOrThrow();
      await web.app.db.chat.create({ data: { userId: model.userId, title: "Uses it", modelId: model.id } });
      await page.reload();
      await modelCard("Storyteller 2").getByRole("button", { name: "Delete Storyteller 2" }).click();
      const dialog = page.getByRole("dialog", { name: "Delete Storyteller 2?" });
      await dialog.getByText("Its chat stays, without a model: pick another one in it to carry on.", { exact: false }).waitFor();
      await saveScreenshot(page, "models-delete-confirm");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      expect(await web.app.db.aiModel.count()).toBe(1);
      await modelCard("Storyteller 2").getByRole("button", { name: "Delete Storyteller 2" }).click();
      await dialog.getByRole("button", { name: "Delete model" }).click();
      await page.getByText("Deleted Storyteller 2.").waitFor();
      expect(await web.app.db.aiModel.count()).toBe(0);
      expect((await web.app.db.chat.findFirstOrThrow({ where: { title: "Uses it" } })).modelId).toBeNull();
      expect(pageErrors).toEqual([]);
    },
    BROWSER_TEST_TIMEOUT_MS,
  );
});
