/** Small steps the reply tests share: a model on the fake provider, a chat, a message, its end. */
import type { TestApp, TestClient } from "./app.ts";

export const SEND = `mutation($chatId: ID!, $content: String!, $modelId: ID) {
  sendMessage(chatId: $chatId, content: $content, modelId: $modelId) {
    chat { id title model { id } }
    message { id role content status }
    reply { id role content status }
  }
}`;

export const MESSAGE_FIELDS = "id role content status error promptTokens completionTokens usageEstimated cost firstTokenMs latencyMs";

/** Model names are unique per user: each model this makes is "Fake" with a number unless named. */
let modelsMade = 0;
export async function createModel(client: TestClient, baseUrl: string, input: Record<string, unknown> = {}): Promise<string> {
  const result = await client.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
    input: { name: `Fake ${++modelsMade}`, providerModelId: "echo", baseUrl, apiKey: "sk-test-key", ...input },
  });
  return result.createModel.id;
}

export async function createChat(client: TestClient, modelId: string | null, title?: string): Promise<string> {
  const result = await client.data(`mutation($input: CreateChatInput) { createChat(input: $input) { id } }`, {
    input: { modelId, ...(title ? { title } : {}) },
  });
  return result.createChat.id;
}

export async function modelAndChat(client: TestClient, baseUrl: string, input: Record<string, unknown> = {}) {
  const modelId = await createModel(client, baseUrl, input);
  return { modelId, chatId: await createChat(client, modelId) };
}

export async function send(client: TestClient, chatId: string, content: string, modelId?: string) {
  const { sendMessage } = await client.data(SEND, { chatId, content, modelId });
  return sendMessage as {
    chat: { id: string; title: string; model: { id: string } | null };
    message: { id: string; role: string; content: string; status: string };
    reply: { id: string; role: string; content: string; status: string };
  };
}

/** Waits until the reply has ended (written its final state) and returns the stored row. */
export async function settled(app: TestApp, replyId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = app.services.replies.hub.localReply(replyId);
    if (live) await live.ended;
    const row = await app.db.message.findUniqueOrThrow({ where: { id: replyId } });
    if (row.status !== "STREAMING") return row;
    if (Date.now() > deadline) throw new Error(`reply ${replyId} still STREAMING after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

/** Resolves once the reply has at least `length` characters of text on this instance. */
export async function textReached(app: TestApp, replyId: string, length: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = app.services.replies.hub.localReply(replyId);
    if (live && live.text.length >= length) return live.text;
    if (!live) throw new Error(`reply ${replyId} is not live here`);
    if (Date.now() > deadline) throw new Error(`reply ${replyId} did not reach ${length} characters`);
    await Bun.sleep(5);
  }
}
