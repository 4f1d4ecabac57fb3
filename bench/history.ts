/**
 * `bun run bench:history`: does a long chat make sending slower? Through a real server
 * process over HTTP: two chats of one user, with 100 and 10,000 earlier messages, take turns
 * sending; measured is the time from sending `sendMessage` to the provider receiving the
 * request (everything AIUI does before the model is asked: the send's writes, reading the
 * branch and fitting it into the context window). Reports medians, p99 and the ratio
 * 10,000 / 100 (target: keep ≈ 1.0). SQLite, and PostgreSQL when TEST_POSTGRES_URL names a
 * server. Writes bench/results/history.json.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { CSRF_HEADER } from "../server/src/graphql/yoga.ts";
import { startFakeProvider } from "../tests/support/fake-provider.ts";
import { startServerProcess } from "../tests/support/server-process.ts";
import { arg, benchDatabase, benchProviders, HttpGraphQL, median, percentile, round, writeResults } from "./support/common.ts";

const SENDS = Number(arg("sends", "30"));
const SIZES = [100, 10_000];
const provider = await startFakeProvider();
provider.script("echo", { text: "ok" });

async function measure(databaseProvider: "sqlite" | "postgresql") {
  const dir = mkdtempSync(join(tmpdir(), "aiui-bench-history-"));
  const benchDb = await benchDatabase(databaseProvider, dir);
  const database = await openDatabase(benchDb.url, databaseProvider);
  await applyMigrations(database.db, databaseProvider);
  await database.close();
  const server = await startServerProcess({ NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: benchDb.url, ENCRYPTION_KEY: randomBytes(32).toString("base64") });
  const client = new HttpGraphQL(server.base, CSRF_HEADER);
  await client.data(`mutation { signUp(input: { email: "bench@example.com", password: "a benchmark password" }) { id } }`);
  const { createModel } = await client.data(
    `mutation($url: String!) { createModel(input: { name: "Echo", providerModelId: "echo", baseUrl: $url, apiKey: "sk-bench", contextWindow: 8000 }) { id } }`,
    { url: provider.url },
  );
  const chats: string[] = [];
  const writer = await openDatabase(benchDb.url, databaseProvider);
  for (const size of SIZES) {
    const chatId = (await client.data(`mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: createModel.id })).createChat.id;
    const rows = Array.from({ length: size }, (_, i) => ({
      id: `h${size}-${String(i).padStart(6, "0")}`,
      chatId,
      role: i % 2 === 0 ? ("USER" as const) : ("ASSISTANT" as const),
      content: `message ${i} of a long conversation about nothing in particular`,
      parentId: i === 0 ? null : `h${size}-${String(i - 1).padStart(6, "0")}`,
      createdAt: new Date(Date.now() - (size - i) * 1000),
    }));
    for (let i = 0; i < rows.length; i += 1000) await writer.db.message.createMany({ data: rows.slice(i, i + 1000) });
    await writer.db.chat.update({ where: { id: chatId }, data: { currentLeafId: rows.at(-1)!.id } });
    chats.push(chatId);
  }
  await writer.close();

  const times: number[][] = SIZES.map(() => []);
  for (let round = -3; round < SENDS; round++) {
    for (const [k, chatId] of chats.entries()) {
      const asked = provider.requests.length;
      const started = performance.now();
      const { sendMessage } = await client.data(`mutation($c: ID!, $t: String!) { sendMessage(chatId: $c, content: $t) { reply { id } } }`, { c: chatId, t: `send ${round}` });
      while (provider.requests.length === asked) await Bun.sleep(0.2);
      if (round >= 0) times[k]!.push(performance.now() - started);
      // Wait for the reply to end: the chat takes one message at a time.
      for (;;) {
        const { chat } = await client.data(`query($c: ID!) { chat(id: $c) { messages(last: 1) { edges { node { id status } } } } }`, { c: chatId });
        const last = chat.messages.edges[0]?.node;
        if (last?.id === sendMessage.reply.id && last.status !== "STREAMING") break;
        await Bun.sleep(2);
      }
    }
  }
  await server.stop();
  await benchDb.drop();
  rmSync(dir, { recursive: true, force: true });
  const summary = SIZES.map((size, k) => ({ messages: size, untilProviderAskedMs: { p50: round(median(times[k]!)), p99: round(percentile(times[k]!, 99)) } }));
  const ratio = median(times[1]!) / median(times[0]!);
  console.log(`${databaseProvider}: ${summary.map((s) => `${s.messages} messages: p50 ${s.untilProviderAskedMs.p50} ms`).join(", ")}; ratio ${round(ratio)}`);
  return { sizes: summary, ratio: round(ratio) };
}

const results: Record<string, unknown> = {};
for (const databaseProvider of benchProviders()) results[databaseProvider] = await measure(databaseProvider);
writeResults("history", { sends: SENDS, results });
await provider.stop();
