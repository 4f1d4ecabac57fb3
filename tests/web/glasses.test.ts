/**
 * The Glasses page in a real browser against the real server: connect the Noa app
 * (token shown once, listed by its prefix, revoked), keep the glasses settings, then
 * send a real glasses request with a camera picture and find it in the chats, labelled
 * as from the glasses, with the picture displayed.
 *
 * Needs `bun run web:build` first (this test builds nothing), Chromium at
 * /usr/bin/chromium (`apt-get install -y chromium`). The camera picture is the fixture in
 * tests/fixtures/. The model is the loopback test provider's "echo".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { BROWSER_TEST_TIMEOUT_MS, BROWSER_TESTS_RUN, openBrowserSession, saveScreenshot, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { until } from "../support/chat-page.ts";
import { fixtureUrl } from "../support/fixtures.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  const IMAGE_FIXTURE = fixtureUrl("noa-app-request-image.jpg");
  const TEST_TIMEOUT_MS = BROWSER_TEST_TIMEOUT_MS;

  let web: WebUnderTest;
  let provider: FakeProvider;
  let baseUrl: string;
  /** One browser profile for the whole file: the second test carries on where the first stopped. */
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    if (!(await Bun.file(IMAGE_FIXTURE).exists())) throw new Error(`The fixture ${IMAGE_FIXTURE.pathname} is missing.`);
    provider = await startFakeProvider();
    web = await startWebUnderTest();
    ({ baseUrl } = web);
    // Clipboard access, to check the Copy buttons (127.0.0.1 is a secure context).
    ({ context, page, pageErrors } = await openBrowserSession(web.browser, { permissions: ["clipboard-read", "clipboard-write"] }));
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await provider?.stop();
  });

  const tokenList = () => page.getByRole("list", { name: "Your glasses tokens" });
  const tokenItem = (name: string) => tokenList().getByRole("listitem").filter({ has: page.getByText(name, { exact: true }) });
  const newTokenBox = () => page.getByRole("region", { name: /^Token “.*” created$/ });

  /** All the page's text, hidden or not, and the values of its form fields. */
  const pageText = () =>
    page.evaluate(() =>
      [document.body.textContent, ...Array.from(document.querySelectorAll("input, textarea"), (field) => (field as HTMLInputElement).value)].join("\n"),
    );

  async function openGlassesPage() {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Glasses" }).click();
    await page.waitForURL(`${baseUrl}/glasses`);
    await page.getByRole("heading", { name: "Glasses", level: 1 }).waitFor();
  }

  /** Creates a token through the form; returns its secret and header value as the page shows them. */
  async function createToken(name: string): Promise<{ secret: string; headerValue: string; box: Locator }> {
    await page.getByLabel("Token name").fill(name);
    await page.getByRole("button", { name: "Create token" }).click();
    const box = page.getByRole("region", { name: `Token “${name}” created` });
    await box.waitFor();
    return {
      secret: await box.getByLabel("Token", { exact: true }).inputValue(),
      headerValue: await box.getByLabel("API Header Value").inputValue(),
      box,
    };
  }

  /** Set by the first test when it got through, for the second. */
  let glassesSetUp = false;

  test("a user connects glasses: the token's secret is shown once, settings are kept, the token can be revoked", async () => {
    // Sign up and add the model the glasses will use.
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(`${baseUrl}/signin`);
    await page.getByLabel("Display name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Create administrator account" }).click();
    await page.getByText("Signed in as Ada").waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Models" }).click();
    const addModel = page.getByRole("form", { name: "Add a model" });
    await addModel.getByLabel("Name", { exact: true }).fill("Echo");
    await addModel.getByLabel("Model id").fill("echo");
    await addModel.getByLabel("Base URL").fill(provider.url);
    await addModel.getByRole("button", { name: "Add model" }).click();
    await page.getByRole("list", { name: "Your models" }).getByRole("heading", { name: "Echo" }).waitFor();

    // The set-up values for the Noa app's Custom Server screen.
    await openGlassesPage();
    expect(await page.getByLabel("API Endpoint").inputValue()).toBe(`${baseUrl}/mm/mm/`);
    expect(await page.getByLabel("API Header Key").inputValue()).toBe("Authorization");
    await page.getByText("No tokens yet.").waitFor();

    // A new token: its secret and the full header value, once, with a warning.
    const { secret, headerValue, box } = await createToken("Frame");
    await box.getByText("you will not see it again").waitFor();
    expect(secret.length).toBeGreaterThan(20);
    expect(headerValue).toBe(`Bearer ${secret}`);
    await box.getByRole("button", { name: "Copy API Header Value" }).click();
    await box.getByText("Copied.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(headerValue);

    // Listed by name and prefix (the secret's start), never used yet.
    const frame = tokenItem("Frame");
    await frame.waitFor();
    const prefix = (await frame.getByTitle("The token's first characters").textContent())!.replace(/…$/, "");
    expect(prefix.length).toBeGreaterThanOrEqual(6);
    expect(prefix.length).toBeLessThan(secret.length);
    expect(secret.startsWith(prefix)).toBe(true);
    expect(await frame.textContent()).toContain("last used never");
    expect(await pageText()).toContain(secret);

    // After a reload the secret is gone for good; the token is still listed.
    await page.reload();
    await frame.waitFor();
    expect(await newTokenBox().count()).toBe(0);
    expect(await pageText()).not.toContain(secret);

    // Settings: a server check shows next to its field; valid values are saved and kept.
    const modelSelect = page.getByLabel("Model", { exact: true });
    expect(await modelSelect.locator("option:checked").textContent()).toBe("The first active model");
    expect(await page.getByLabel("Spoken answers").isChecked()).toBe(false);
    await modelSelect.selectOption({ label: "Echo" });
    await page.getByLabel("Spoken answers").check();
    await page.getByLabel("Speech language").fill("DE");
    await page.getByLabel("Temperature").fill("5");
    await page.getByRole("button", { name: "Save settings" }).click();
    const temperature = page.getByLabel("Temperature");
    await page.locator('input[aria-invalid="true"]').waitFor();
    expect(await temperature.getAttribute("aria-invalid")).toBe("true");
    const errorId = (await temperature.getAttribute("aria-describedby"))!.split(" ").find((id) => id.endsWith("-error"))!;
    expect(await page.locator(`[id="${errorId}"]`).textContent()).toMatch(/temperature/i);
    expect(await page.getByText("Settings saved.").count()).toBe(0);

    await temperature.fill("0.3");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved.").waitFor();
    expect(await temperature.getAttribute("aria-invalid")).toBeNull();
    // The server's form of the language code.
    expect(await page.getByLabel("Speech language").inputValue()).toBe("de");

    await page.reload();
    await modelSelect.waitFor();
    expect(await modelSelect.locator("option:checked").textContent()).toBe("Echo");
    expect(await page.getByLabel("Spoken answers").isChecked()).toBe(true);
    expect(await page.getByLabel("Temperature").inputValue()).toBe("0.3");
    expect(await page.getByLabel("Speech language").inputValue()).toBe("de");
    expect(await page.getByLabel("One chat until the app clears its history").isChecked()).toBe(true);

    // Revoking asks first; cancelled, nothing happens.
    let question = "";
    page.once("dialog", (dialog) => {
      question = dialog.message();
      void dialog.dismiss();
    });
    await frame.getByRole("button", { name: "Revoke Frame" }).click();
    expect(question).toContain("Frame");
    await page.reload();
    await frame.waitFor();
    page.once("dialog", (dialog) => void dialog.accept());
    await frame.getByRole("button", { name: "Revoke Frame" }).click();
    await page.getByText("No tokens yet.").waitFor();
    expect(await tokenList().count()).toBe(0);

    // A revoked token no longer opens the glasses endpoint.
    const refused = await postGlassesRequest(secret);
    expect(refused.status).toBe(401);
    await saveScreenshot(page, "glasses-page", true);

    expect(pageErrors).toEqual([]);
    glassesSetUp = true;
  }, TEST_TIMEOUT_MS);

  /** The Noa app's request with a typed prompt instead of a recording, and the camera picture. */
  async function postGlassesRequest(secret: string): Promise<Response> {
    const body = new FormData();
    body.append("messages", "[]");
    body.append("prompt", "hello");
    body.append("image", Bun.file(IMAGE_FIXTURE), "image.jpg");
    body.append("location", "");
    body.append("time", "2025-07-02 11:29:48.054846");
    return fetch(`${baseUrl}/mm/mm/`, { method: "POST", headers: { Authorization: `Bearer ${secret}` }, body });
  }

  test("a glasses request's chat is labelled in the list and shows the picture", async () => {
    if (!glassesSetUp) throw new Error("needs the account, model and settings the previous test creates");

    const { secret } = await createToken("Frame 2");
    const response = await postGlassesRequest(secret);
    const answer = (await response.json()) as { message: string; audio?: string; debug: { chat_id?: string } };
    expect(response.status).toBe(200);
    expect(answer.message).toBe("You said: hello");
    // Spoken answers were turned on: the answer comes as speech too.
    expect(answer.audio?.length).toBeGreaterThan(0);
    const chatId = answer.debug.chat_id!;
    expect(chatId).toBeTruthy();
    expect(provider.requests.some((request) => request.path === "/v1/chat/completions" && request.model === "echo")).toBe(true);

    // The token shows it was used.
    await page.reload();
    expect(await tokenItem("Frame 2").textContent()).not.toContain("never");

    // Listed among the chats in the sidebar, labelled as from the glasses.
    const chatLink = page.locator(`a[href="/chats/${chatId}"]`);
    const chatItem = page.getByRole("navigation", { name: "Chats" }).getByRole("listitem").filter({ has: chatLink });
    await chatItem.waitFor();
    await chatItem.getByText("Glasses", { exact: true }).waitFor();

    // The chat shows the picture, loaded with the session cookie.
    await chatLink.click();
    await page.waitForURL(`${baseUrl}/chats/${chatId}`);
    await page.getByText("From your glasses").waitFor();
    const picture = page.getByRole("img", { name: "Picture from the glasses" });
    await picture.waitFor();
    const naturalWidth = await picture.evaluate(async (image: HTMLImageElement) => {
      await image.decode();
      return image.naturalWidth;
    });
    expect(naturalWidth).toBeGreaterThan(0);
    const served = await context.request.get(`${baseUrl}${await picture.getAttribute("src")}`);
    expect(served.status()).toBe(200);
    expect(Buffer.from(await served.body()).equals(Buffer.from(await Bun.file(IMAGE_FIXTURE).arrayBuffer()))).toBe(true);
    await page.getByText("You said: hello").waitFor();
    // No edits in a chat from the glasses; regenerating replaces the last reply (the chat stays linear).
    expect(await page.getByRole("button", { name: "Edit" }).count()).toBe(0);
    const before = await web.app.db.message.findMany({ where: { chatId }, select: { id: true } });
    await page.getByRole("button", { name: "Regenerate" }).click();
    await until(async () => (await web.app.db.message.findMany({ where: { chatId, status: "COMPLETE" }, select: { id: true } })).map((m) => m.id), (ids) => ids.length === 2 && ids.some((id) => !before.some((b) => b.id === id)));
    await page.getByText("You said: hello").waitFor();
    expect(await page.getByText("1 / 2").count()).toBe(0);
    // Only chats from the glasses, when the list is filtered to them.
    await page.getByRole("button", { name: "Glasses", exact: true }).click();
    await chatItem.waitFor();
    expect(await page.getByRole("navigation", { name: "Chats" }).getByRole("listitem").count()).toBe(1);
    await saveScreenshot(page, "glasses-chat");

    expect(pageErrors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
