/**
 * The Memory page in a real browser against the real server: turn memory on, add,
 * search, edit and delete memories, see one learned in a web chat ("remember that …")
 * with a link to that chat, and forget everything.
 *
 * Needs `bun run web:build` first (this test builds nothing) and Chromium at
 * /usr/bin/chromium. The model is the loopback test provider's "echo".
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { BROWSER_TESTS_RUN, openBrowserSession, startWebUnderTest, type WebUnderTest } from "../support/browser.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";

describe.if(BROWSER_TESTS_RUN)("in Chromium", () => {
  /** The whole walk through the page is one test, many steps long. */
  const TEST_TIMEOUT_MS = 45_000;

  let web: WebUnderTest;
  let provider: FakeProvider;
  let baseUrl: string;
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

  const memoryList = () => page.getByRole("list", { name: "Your memories" });
  const memoryItem = (text: string) => memoryList().getByRole("listitem").filter({ has: page.getByText(text, { exact: true }) });
  const listedTexts = async () => (await memoryList().count()) === 0 ? [] : memoryList().locator("li .text").allTextContents();

  async function openMemoryPage() {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Memory" }).click();
    await page.waitForURL(`${baseUrl}/memory`);
    await page.getByRole("heading", { name: "Memory", level: 1 }).waitFor();
  }

  async function addMemory(text: string) {
    await page.getByLabel("New memory").fill(text);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await memoryItem(text).waitFor();
  }

  test("a user turns memory on, manages what is remembered, sees what a chat taught it, and forgets everything", async () => {
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(`${baseUrl}/signin`);
    // A new server offers to create the administrator account first.
    await page.getByRole("heading", { name: "Create the administrator account" }).waitFor();
    await page.getByLabel("Display name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Create administrator account" }).click();
    await page.getByText("Signed in as Ada").waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Models" }).click();
    const addModel = page.getByRole("form", { name: "Add a model" });
    await addModel.getByLabel("Name", { exact: true }).fill("Echo");
    await addModel.getByLabel("Model id", { exact: true }).fill("echo");
    await addModel.getByLabel("Base URL").fill(provider.url);
    await addModel.getByRole("button", { name: "Add model" }).click();
    await page.getByRole("list", { name: "Your models" }).getByText("Echo", { exact: true }).waitFor();

    // Off by default, nothing remembered.
    await openMemoryPage();
    const enabled = page.getByLabel("Remember things about me");
    expect(await enabled.isChecked()).toBe(false);
    await page.getByText("Memory is off").waitFor();
    await page.getByText("0 memories.").waitFor();
    await page.getByText("Nothing yet.").waitFor();

    // On, and it stays on.
    await enabled.check();
    await page.getByText("Memory is on.").waitFor();
    await page.reload();
    await page.getByText("Memory is on.").waitFor();
    expect(await page.getByLabel("Remember things about me").isChecked()).toBe(true);

    // Add: an empty memory is refused next to its field; real ones are listed, newest first.
    await page.getByRole("button", { name: "Add", exact: true }).click();
    const newMemory = page.getByLabel("New memory");
    await page.locator('input[aria-invalid="true"]').waitFor();
    expect(await newMemory.getAttribute("aria-invalid")).toBe("true");
    for (const text of ["I'm vegetarian.", "My daughter is called Ada.", "My car is parked on level 3."]) await addMemory(text);
    expect(await newMemory.getAttribute("aria-invalid")).toBeNull();
    await page.getByText("3 memories.").waitFor();
    expect(await listedTexts()).toEqual(["My car is parked on level 3.", "My daughter is called Ada.", "I'm vegetarian."]);
    expect(await memoryItem("I'm vegetarian.").textContent()).toContain("last used never");

    // Search by the start of a word; clearing it shows everything again.
    await page.getByLabel("Search").fill("daugh");
    await page.getByText("1 memory matches “daugh”.").waitFor();
    expect(await listedTexts()).toEqual(["My daughter is called Ada."]);
    await page.getByLabel("Search").fill("");
    await page.getByText("3 memories.").waitFor();

    // Edit in place.
    await memoryItem("My car is parked on level 3.").getByRole("button", { name: "Edit" }).click();
    const editor = page.getByRole("form", { name: "Edit memory" });
    await editor.getByLabel("Memory text").fill("My car is parked on level 5.");
    await editor.getByRole("button", { name: "Save" }).click();
    await memoryItem("My car is parked on level 5.").waitFor();
    expect(await listedTexts()).toContain("My car is parked on level 5.");
    expect(await listedTexts()).not.toContain("My car is parked on level 3.");

    // Delete asks first.
    page.once("dialog", (dialog) => void dialog.accept());
    await memoryItem("I'm vegetarian.").getByRole("button", { name: "Delete" }).click();
    await page.getByText("2 memories.").waitFor();
    expect(await listedTexts()).not.toContain("I'm vegetarian.");

    // A chat teaches it something: "remember that …" is kept at once, with the chat it came from.
    // (A new chat is started by its first message, and the page becomes the chat's.)
    await page.getByRole("link", { name: "New chat" }).first().click();
    await page.waitForURL(`${baseUrl}/`);
    await page.getByLabel("Model", { exact: true }).selectOption({ label: "Echo" });
    await page.getByLabel("Message", { exact: true }).fill("Remember that my bike is blue.");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.waitForURL(/\/chats\/\w+$/);
    const chatUrl = page.url();
    await page.getByText("You said: Remember that my bike is blue.").waitFor();
    // Its source is noted in the background once the reply is saved.
    await web.app.services.memory.idle();
    await openMemoryPage();
    const bike = memoryItem("My bike is blue.");
    await bike.waitFor();
    expect(await bike.getByRole("link", { name: "a chat" }).getAttribute("href")).toBe(new URL(chatUrl).pathname);

    // Forget everything, after a confirmation.
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Forget everything" }).click();
    await page.getByText("Forgot 3 memories.").waitFor();
    await page.getByText("Nothing yet.").waitFor();
    await page.reload();
    await page.getByText("0 memories.").waitFor();
    expect(await page.getByLabel("Remember things about me").isChecked()).toBe(true);

    expect(pageErrors).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
