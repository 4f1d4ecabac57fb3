/**
 * bun run bench:usage — the usage page and the budget check over 1,000,000 messages.
 *
 * Seeds 20 users with 100 chats each (1,000,000 messages: half questions, half replies with
 * tokens and cost, over the last 90 days, on the web, the glasses and the API) and the
 * UsageDaily rows the server keeps for them (usage/service.ts adds one request per stored
 * reply; here they are summed while seeding). Then measures, each `--runs` times after a
 * warm-up: "my usage" for 30 days, everyone's usage for 30 days (the admin chart), and the
 * budget check a request makes; and, as the baseline in the same run, the budget check's
 * sum read from the messages themselves. Medians and p99 in ms, written to
 * bench/results/usage.json. AIUI_TEST_DATABASE=postgresql|mysql (with TEST_POSTGRES_URL /
 * TEST_MYSQL_URL) measures another database; --messages= changes the size.
 */
import { newMessageId } from "../server/src/chats/index.ts";
import { Prisma } from "../server/src/db/generated/sqlite/client.ts";
import { checkBudget, reportRange, usageReport, utcDay } from "../server/src/usage/index.ts";
import { freshDatabase, testProvider } from "../tests/support/database.ts";
import { arg, median, percentile, round, writeResults } from "./support/common.ts";

const MESSAGES = Number(arg("messages", "1000000"));
const RUNS = Number(arg("runs", "30"));
const USERS = 20;
const CHATS_PER_USER = 100;
const DAYS = 90;
const SOURCES = ["WEB", "GLASSES", "API"] as const;

const database = await freshDatabase();
const db = database.db;
const now = new Date();
console.log(`bench:usage on ${testProvider()}: seeding ${MESSAGES.toLocaleString("en")} messages…`);
const seedStarted = performance.now();

const admin = await db.user.create({ data: { email: "admin@example.com", passwordHash: "-", displayName: "Admin", role: "ADMIN" } });
const shared = await db.aiModel.create({
  data: { userId: admin.id, name: "Team model", nameKey: "shared:team model", providerModelId: "m", baseUrl: "https://x.example/v1", shared: true, sharedWithAll: true, inputCostPerMTok: 1, outputCostPerMTok: 2, monthlyBudget: 1_000_000 },
});
const users: { id: string; modelId: string }[] = [];
for (let u = 0; u < USERS; u++) {
  const user = await db.user.create({ data: { email: `user${u}@example.com`, passwordHash: "-", displayName: `User ${u}`, monthlyBudget: 1_000_000 } });
  const own = await db.aiModel.create({ data: { userId: user.id, name: "Own", nameKey: `${user.id}:own`, providerModelId: "m", baseUrl: "https://x.example/v1" } });
  users.push({ id: user.id, modelId: own.id });
}

const perChat = Math.ceil(MESSAGES / (USERS * CHATS_PER_USER));
const usage = new Map<string, { userId: string; day: string; modelId: string; modelName: string; source: (typeof SOURCES)[number]; requests: number; promptTokens: number; completionTokens: number; cost: number }>();
let written = 0;
let batch: Prisma.MessageCreateManyInput[] = [];
const flush = async () => {
  if (batch.length === 0) return;
  await db.message.createMany({ data: batch });
  batch = [];
};
for (const [u, user] of users.entries()) {
  for (let c = 0; c < CHATS_PER_USER && written < MESSAGES; c++) {
    const source = SOURCES[(u + c) % SOURCES.length]!;
    const useShared = c % 2 === 0;
    const modelId = useShared ? shared.id : user.modelId;
    const chat = await db.chat.create({ data: { userId: user.id, title: `Chat ${c}`, source, modelId } });
    // The chat's messages over one day of the last 90, a minute apart.
    const day0 = now.getTime() - ((c * 7 + u) % DAYS) * 86_400_000 - 3_600_000;
    let parentId: string | null = null;
    for (let i = 0; i < perChat && written < MESSAGES; i++, written++) {
      const id = newMessageId();
      const createdAt = new Date(day0 - (perChat - i) * 60_000);
      const reply = i % 2 === 1;
      const promptTokens = reply ? 100 + (i % 50) : null;
      const completionTokens = reply ? 50 + (i % 30) : null;
      const cost = reply ? (promptTokens! * 1 + completionTokens! * 2) / 1_000_000 : null;
      batch.push({ id, chatId: chat.id, parentId, role: reply ? "ASSISTANT" : "USER", content: reply ? "An answer." : "A question?", createdAt, promptTokens, completionTokens, cost });
      parentId = id;
      if (reply) {
        const key = `${user.id}|${utcDay(createdAt)}|${modelId}|${source}`;
        const row = usage.get(key) ?? { userId: user.id, day: utcDay(createdAt), modelId, modelName: useShared ? "Team model" : "Own", source, requests: 0, promptTokens: 0, completionTokens: 0, cost: 0 };
        row.requests += 1;
        row.promptTokens += promptTokens!;
        row.completionTokens += completionTokens!;
        row.cost += cost!;
        usage.set(key, row);
      }
      if (batch.length >= 2000) await flush();
    }
  }
}
await flush();
const rows = [...usage.values()].map((row) => ({ ...row, cost: new Prisma.Decimal(row.cost.toFixed(9)) }));
for (let i = 0; i < rows.length; i += 1000) await db.usageDaily.createMany({ data: rows.slice(i, i + 1000) });
const seedSeconds = (performance.now() - seedStarted) / 1000;
console.log(`seeded ${written.toLocaleString("en")} messages and ${rows.length} usage rows in ${round(seedSeconds, 1)} s`);

async function measure(name: string, run: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  const figures = { medianMs: round(median(times)), p99Ms: round(percentile(times, 99)) };
  console.log(`${name.padEnd(58)} median ${String(figures.medianMs).padStart(8)} ms   p99 ${String(figures.p99Ms).padStart(8)} ms`);
  return figures;
}

const range = reportRange(null, null, now);
const someone = users[3]!;
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const results = {
  myUsage30Days: await measure("my usage, 30 days (usage rows)", () => usageReport(db, range, someone.id)),
  everyoneUsage30Days: await measure("everyone's usage, 30 days (usage rows, admin chart)", () => usageReport(db, range)),
  budgetCheck: await measure("budget check before a request (user + shared model)", () =>
    checkBudget(db, someone.id, { id: shared.id, name: shared.name, shared: true, monthlyBudget: shared.monthlyBudget }, now),
  ),
  baselineBudgetFromMessages: await measure("baseline: the same month's sums read from the messages", async () => {
    await db.message.aggregate({ where: { chat: { userId: someone.id }, role: "ASSISTANT", createdAt: { gte: monthStart } }, _sum: { cost: true } });
    await db.message.aggregate({ where: { chat: { modelId: shared.id }, role: "ASSISTANT", createdAt: { gte: monthStart } }, _sum: { cost: true } });
  }),
};
const ratio = round(results.baselineBudgetFromMessages.medianMs / results.budgetCheck.medianMs, 1);
console.log(`budget check: ${ratio}× faster than reading the messages`);

writeResults("usage", {
  database: testProvider(),
  messages: written,
  usageRows: rows.length,
  users: USERS,
  seedSeconds: round(seedSeconds, 1),
  runs: RUNS,
  results,
  budgetCheckSpeedupOverMessages: ratio,
});
await database.drop();
