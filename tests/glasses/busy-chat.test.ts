/**
 * One writer per chat holds for the glasses too: a glasses exchange saves a pending reply
 * that claims its chat. When the current glasses chat already has a reply being written
 * (here: from the web), the exchange is not refused and not mixed into that conversation:
 * it gets a chat of its own.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestApp, type TestApp, type TestClient } from "../support/app.ts";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { createModel, send, settled, textReached } from "../support/replies.ts";

let app: TestApp;
let fake: FakeProvider;
let ada: TestClient;
let token: string;
beforeAll(async () => {
  fake = await startFakeProvider();
  app = await startTestApp();
  ada = await app.signedUp("ada@example.com");
  await createModel(ada, fake.url);
  token = (await ada.data(`mutation { createGlassesToken(name: "Frame") { secret } }`)).createGlassesToken.secret;
});
afterAll(async () => {
  await app.close();
  await fake.stop();
});

async function ask(prompt: string, history: { role: string; content: string }[]) {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("messages", JSON.stringify(history));
  form.append("location", "");
  form.append("time", "2025-07-02 11:29:48.054846");
  const response = await app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form }));
  return { status: response.status, body: (await response.json()) as { message: string; debug: { chat_id: string } } };
}

const conversation = (chatId: string) =>
  app.db.message.findMany({ where: { chatId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { role: true, content: true, status: true } });

test("a glasses exchange whose current chat is busy gets a chat of its own, and both conversations stay whole", async () => {
  const first = await ask("first question", []);
  expect(first.status).toBe(200);
  const glassesChat = first.body.debug.chat_id;

  // The same chat, continued from the web, with a reply that takes its time.
  fake.scriptNext({ text: "a slow web answer", delayMsPerToken: 100 });
  const fromWeb = await send(ada, glassesChat, "a question from the web");
  // The provider has taken the scripted (slow) behaviour for the web reply, not for the glasses.
  await textReached(app, fromWeb.reply.id, 1);

  const second = await ask("second question", [
    { role: "user", content: "first question" },
    { role: "assistant", content: first.body.message },
  ]);
  expect(second.status).toBe(200);
  expect(second.body.message).toBe("You said: second question");
  expect(second.body.debug.chat_id).not.toBe(glassesChat);

  await settled(app, fromWeb.reply.id);
  expect(await conversation(glassesChat)).toEqual([
    { role: "USER", content: "first question", status: "COMPLETE" },
    { role: "ASSISTANT", content: "You said: first question", status: "COMPLETE" },
    { role: "USER", content: "a question from the web", status: "COMPLETE" },
    { role: "ASSISTANT", content: "a slow web answer", status: "COMPLETE" },
  ]);
  expect(await conversation(second.body.debug.chat_id)).toEqual([
    { role: "USER", content: "second question", status: "COMPLETE" },
    { role: "ASSISTANT", content: "You said: second question", status: "COMPLETE" },
  ]);
});
