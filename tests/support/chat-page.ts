/**
 * The conversation page as a user sees it, for the browser tests: the messages in order,
 * a message's text, the composer. Locators follow roles and names, as a screen reader would.
 */
import type { Locator, Page } from "playwright-core";

/** The conversation's messages, in the order shown (not the lists inside a message). */
export const messageItems = (page: Page): Locator => page.locator('ol[aria-label="Messages"] > li');
export const replyItems = (page: Page): Locator => page.locator('ol[aria-label="Messages"] > li.assistant');
export const lastMessage = (page: Page): Locator => messageItems(page).last();

/**
 * The text of a message (empty while nothing has arrived). Its text content, not innerText:
 * messages scrolled out of view are not laid out (content-visibility), and innerText of
 * those is empty.
 */
export async function textOf(message: Locator): Promise<string> {
  // Not the "being written" placeholder.
  const content = message.locator(".content:not(.thinking)");
  return (await content.count()) ? ((await content.textContent()) ?? "").trim() : "";
}

/** Every message's text, in order. */
export async function conversationTexts(page: Page): Promise<string[]> {
  return messageItems(page).evaluateAll((items) =>
    items.map((item) => (item.querySelector(".content:not(.thinking)") as HTMLElement | null)?.textContent?.trim() ?? ""),
  );
}

export const composerBox = (page: Page): Locator => page.getByLabel("Message", { exact: true });
export const sendButton = (page: Page): Locator => page.getByRole("button", { name: "Send", exact: true });
export const stopButton = (page: Page): Locator => page.getByRole("button", { name: "Stop", exact: true });

export async function send(page: Page, text: string): Promise<void> {
  await composerBox(page).fill(text);
  await composerBox(page).press("Enter");
}

/** Polls `read` until `done` holds for its value, failing after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Gave up waiting; last value: ${JSON.stringify(value)}`);
    await Bun.sleep(25);
  }
}

/** "Word1 word2 … wordN.": N tokens by the fake provider's rule (one per word). */
export const words = (n: number, stem = "word") => `${Array.from({ length: n }, (_, i) => `${stem}${i + 1}`).join(" ")}.`;
