/**
 * `bun run bench:web`: the web UI's figures, in Debian's Chromium against the real server
 * (the built UI, `bun run web:build` first) and the loopback provider, plus server-side
 * search over 100,000 messages.
 *
 * 1. Bytes: JS and CSS transferred (compressed, as sent) for a first load of a chat page;
 *    and which of the Markdown (marked, DOMPurify) and highlighter (highlight.js) chunks
 *    the sign-in page loads (target: none). Target: under 100 kB.
 * 2. Opening a 5,000-message chat: until the newest message is on screen, from a click in the
 *    sidebar, and from navigation start of a full page load with the app's files cached and
 *    in a new browser profile; and how many pages of messages were fetched (target: under
 *    300 ms, one page).
 * 3. Streaming a 2,000-token reply with code blocks into a chat of 200 messages: main-thread
 *    tasks over 50 ms while it streams (PerformanceObserver "longtask"; target: none).
 * 4. Search over 100,000 messages (the `search` GraphQL field, in process: GraphQL, the
 *    index query, loading hits through the fence, snippets), p50/p95 on SQLite and on
 *    PostgreSQL when TEST_POSTGRES_URL names a server (target: p95 under 50 ms).
 *
 *   bun run bench:web [--skip-browser] [--skip-search]
 * Writes bench/results/web.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CDPSession, Page } from "playwright-core";
import { startTestApp } from "../tests/support/app.ts";
import { openBrowserSession, signedInSession, startWebUnderTest, WEB_BUILD_DIR } from "../tests/support/browser.ts";
import { startFakeProvider } from "../tests/support/fake-provider.ts";
import { seedLongChat } from "../tests/support/seed.ts";

const skipBrowser = process.argv.includes("--skip-browser");
const skipSearch = process.argv.includes("--skip-search");
const results: Record<string, unknown> = { measuredAt: new Date().toISOString() };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;

/** The build's chunks that hold the Markdown renderer and the highlighter, by a string only they contain. */
function heavyChunks(): Record<string, string[]> {
  const dir = join(WEB_BUILD_DIR, "_app", "immutable");
  const found: Record<string, string[]> = { markdown: [], highlighter: [] };
  for (const sub of ["chunks", "nodes", "entry"]) {
    for (const name of readdirSync(join(dir, sub)).filter((n) => n.endsWith(".js"))) {
      const text = readFileSync(join(dir, sub, name), "utf8");
      if (text.includes("afterSanitizeAttributes") || text.includes("marked(): input parameter")) found.markdown!.push(`${sub}/${name}`);
      if (text.includes("registerLanguage")) found.highlighter!.push(`${sub}/${name}`);
    }
  }
  return found;
}

/** Bytes on the wire (compressed) of each script and stylesheet a page load fetched. */
async function transferred(page: Page, load: () => Promise<void>): Promise<{ url: string; type: string; bytes: number }[]> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const types = new Map<string, { url: string; type: string }>();
  const sizes: { url: string; type: string; bytes: number }[] = [];
  cdp.on("Network.responseReceived", (event) => types.set(event.requestId, { url: event.response.url, type: event.type }));
  cdp.on("Network.loadingFinished", (event) => {
    const info = types.get(event.requestId);
    if (info && (info.type === "Script" || info.type === "Stylesheet")) sizes.push({ ...info, bytes: event.encodedDataLength });
  });
  await load();
  await page.waitForLoadState("networkidle");
  await cdp.detach();
  return sizes;
}

async function browserFigures() {
  const provider = await startFakeProvider();
  const web = await startWebUnderTest();
  try {
    const { page, context, client } = await signedInSession(web, "bench@example.com");
    const user = await web.app.db.user.findUniqueOrThrow({ where: { email: "bench@example.com" } });
    const { createModel } = await client.data(`mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, {
      input: { name: "Bench", providerModelId: "bench", baseUrl: provider.url },
    });

    // 1. Bytes for a chat page, and what the sign-in page loads.
    const small = await seedLongChat(web.app.db, { userId: user.id, modelId: createModel.id, title: "Small", count: 10 });
    const chatFiles = await transferred(page, async () => {
      await page.goto(`${web.baseUrl}/chats/${small.chatId}`);
      await page.locator('ol[aria-label="Messages"] > li').last().waitFor();
    });
    const chunks = heavyChunks();
    const anonymous = await openBrowserSession(web.browser);
    const signinFiles = await transferred(anonymous.page, async () => {
      await anonymous.page.goto(`${web.baseUrl}/signin`);
      await anonymous.page.getByRole("button", { name: /Sign in|Create/ }).first().waitFor();
    });
    await anonymous.context.close();
    const loadedBySignin = signinFiles.map((f) => new URL(f.url).pathname.replace("/_app/immutable/", ""));
    const sum = (files: { type: string; bytes: number }[], type?: string) => files.filter((f) => !type || f.type === type).reduce((s, f) => s + f.bytes, 0);
    results.bytes = {
      chatPageJsAndCssKb: round(sum(chatFiles) / 1024),
      chatPageJsKb: round(sum(chatFiles, "Script") / 1024),
      chatPageCssKb: round(sum(chatFiles, "Stylesheet") / 1024),
      chatPageFiles: chatFiles.length,
      signinJsAndCssKb: round(sum(signinFiles) / 1024),
      markdownChunks: chunks.markdown,
      highlighterChunks: chunks.highlighter,
      signinLoadsMarkdown: chunks.markdown!.some((c) => loadedBySignin.includes(c)),
      signinLoadsHighlighter: chunks.highlighter!.some((c) => loadedBySignin.includes(c)),
      chatPageLoadsHighlighter: chunks.highlighter!.some((c) => chatFiles.some((f) => f.url.endsWith(c))),
    };
    console.log("bytes", results.bytes);
    if (process.argv.includes("--files")) for (const f of chatFiles) console.log(`  ${f.bytes} ${new URL(f.url).pathname}`);

    // 2. Opening a 5,000-message chat: from the sidebar (the app is open), as a full page load
    // with the app's files cached (a returning visitor), and in a new browser profile (cold).
    const long = await seedLongChat(web.app.db, { userId: user.id, modelId: createModel.id, title: "Five thousand", count: 5000 });
    const lastId = long.messageIds.at(-1)!;
    /** Polls every frame from `since` on: when is the newest message on screen? */
    const watchForNewest = (id: string) => {
      const w = window as unknown as { __newestOnScreen?: number };
      delete w.__newestOnScreen;
      const check = () => {
        const el = document.querySelector(`li[data-message-id="${id}"]`);
        const pane = el?.closest(".scroller");
        if (el && pane) {
          const box = el.getBoundingClientRect();
          const area = pane.getBoundingClientRect();
          if (box.bottom > area.top && box.top < area.bottom && box.height > 0) {
            w.__newestOnScreen = performance.now();
            return;
          }
        }
        requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    };
    const newestOnScreen = (p: Page) =>
      p
        .waitForFunction(() => (window as unknown as { __newestOnScreen?: number }).__newestOnScreen !== undefined, undefined, { timeout: 30_000 })
        .then(() => p.evaluate(() => (window as unknown as { __newestOnScreen: number }).__newestOnScreen));
    const fromSidebar: number[] = [];
    const warmLoad: number[] = [];
    const coldLoad: number[] = [];
    let pagesFetched: number[] = [];
    for (let run = 0; run < 8; run++) {
      const fresh = await openBrowserSession(web.browser);
      await fresh.context.addCookies(await context.cookies());
      const operations: string[] = [];
      fresh.page.on("request", (request) => {
        const query = (request.postDataJSON() as { query?: string } | null)?.query ?? "";
        const name = /^\s*query\s+(\w+)/.exec(query)?.[1];
        if (name === "ChatPage" || name === "ChatMessages") operations.push(name);
      });
      await fresh.page.addInitScript(watchForNewest, lastId);
      // Cold: a new profile, nothing cached.
      await fresh.page.goto(`${web.baseUrl}/chats/${long.chatId}`);
      coldLoad.push(await newestOnScreen(fresh.page));
      pagesFetched = [...pagesFetched, operations.length];
      // From the sidebar: another chat is open, then the long one is clicked.
      await fresh.page.goto(`${web.baseUrl}/chats/${small.chatId}`);
      await fresh.page.locator('ol[aria-label="Messages"] > li').last().waitFor();
      const clickedAt = await fresh.page.evaluate((id) => {
        const start = performance.now();
        (document.querySelector(`nav[aria-label="Chats"] a[href="/chats/${id}"]`) as HTMLAnchorElement).click();
        return start;
      }, long.chatId);
      await fresh.page.evaluate(watchForNewest, lastId);
      fromSidebar.push((await newestOnScreen(fresh.page)) - clickedAt);
      // Warm: a full load again, the app's files in the HTTP cache.
      await fresh.page.goto(`${web.baseUrl}/chats/${long.chatId}`);
      warmLoad.push(await newestOnScreen(fresh.page));
      await fresh.context.close();
    }
    const summary = (times: number[]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return { medianMs: round(percentile(sorted, 50)), minMs: round(sorted[0]!), maxMs: round(sorted.at(-1)!) };
    };
    results.open5000 = {
      fromSidebar: summary(fromSidebar),
      fullLoadCached: summary(warmLoad),
      fullLoadNewProfile: summary(coldLoad),
      pagesFetchedPerOpen: pagesFetched,
    };
    console.log("open 5,000", results.open5000);

    // 3. A 2,000-token reply with code blocks into a chat of 200 messages.
    const medium = await seedLongChat(web.app.db, { userId: user.id, modelId: createModel.id, title: "Two hundred", count: 200 });
    const tokens: string[] = [];
    for (let block = 0; tokens.length < 2000; block++) {
      tokens.push("\n\nHere", " is", " part", ` ${block + 1}`, " of", " the", " answer,", " with", " **some**", " `inline`", " code.\n\n```ts\n");
      for (let line = 0; line < 8; line++) tokens.push(`const value${line} = compute(${line}, "text");\n`);
      tokens.push("```\n");
    }
    provider.script("bench", { tokens: tokens.slice(0, 2000), delayMsPerToken: 4 });
    await page.goto(`${web.baseUrl}/chats/${medium.chatId}`);
    await page.locator('ol[aria-label="Messages"] > li').last().waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { __longTasks: number[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          w.__longTasks.push(entry.duration);
          if (location.search.includes("debug") || (window as unknown as { __debug?: boolean }).__debug) console.log(`longtask ${Math.round(entry.startTime)} ${Math.round(entry.duration)}`);
        }
      }).observe({ type: "longtask" });
    });
    if (process.argv.includes("--files")) {
      await page.evaluate(() => {
        (window as unknown as { __debug: boolean }).__debug = true;
      });
      page.on("console", (m) => console.log("  page:", m.text()));
      console.log("  stream starts at", await page.evaluate(() => Math.round(performance.now())));
    }
    const started = Date.now();
    await page.getByLabel("Message", { exact: true }).fill("Write a long answer with code");
    await page.getByLabel("Message", { exact: true }).press("Enter");
    await page.locator('ol[aria-label="Messages"] > li.assistant').last().getByText(/Tokens: .* 2,000 out/).waitFor({ timeout: 120_000 });
    const streamMs = Date.now() - started;
    if (process.argv.includes("--files")) console.log("  stream ended by", await page.evaluate(() => Math.round(performance.now())));
    const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
    results.streaming = {
      tokens: 2000,
      chatMessages: 200,
      streamMs,
      longTasksOver50ms: longTasks.length,
      longestTaskMs: round(Math.max(0, ...longTasks)),
    };
    console.log("streaming", results.streaming);
    await context.close();
  } finally {
    await web.close();
    await provider.stop();
  }
}

/** A repeatable pseudo-random sequence (xorshift32): the same messages on every run. */
function randomSequence(seed: number): () => number {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** Words for the seeded messages: a vocabulary big enough that most words are rare. */
function vocabulary(size: number): string[] {
  const syllables = ["ka", "lo", "mi", "ter", "su", "ven", "ra", "do", "pel", "ni", "qua", "zo", "bri", "fen", "gu", "hal"];
  const words = new Set<string>();
  const random = randomSequence(7);
  while (words.size < size) words.add(Array.from({ length: 2 + Math.floor(random() * 3) }, () => syllables[Math.floor(random() * syllables.length)]).join(""));
  return [...words];
}

async function searchFigures(provider: "sqlite" | "postgresql") {
  process.env.AIUI_TEST_DATABASE = provider;
  const app = await startTestApp();
  try {
    const client = await app.signedUp("search@example.com");
    const other = await app.signedUp("other@example.com");
    const [user, otherUser] = await Promise.all([
      app.db.user.findUniqueOrThrow({ where: { email: "search@example.com" } }),
      app.db.user.findUniqueOrThrow({ where: { email: "other@example.com" } }),
    ]);
    void other;
    const words = vocabulary(5000);
    const random = randomSequence(11);
    // Zipf-like: low indexes are common words, high ones rare.
    const word = () => words[Math.floor(words.length * random() ** 3)]!;
    const sentence = () => Array.from({ length: 12 + Math.floor(random() * 25) }, word).join(" ");
    const started = performance.now();
    // 100,000 messages for the user searched (100 chats of 1,000), and 20,000 of someone else's.
    for (let c = 0; c < 120; c++) {
      await seedLongChat(app.db, { userId: c < 100 ? user.id : otherUser.id, modelId: null, title: `${word()} ${word()} chat ${c}`, count: 1000, text: sentence });
    }
    const seedMs = Math.round(performance.now() - started);
    // A database that has been in use has planner statistics; one just bulk-loaded gets them now.
    if (provider === "postgresql") await app.db.$executeRawUnsafe("ANALYZE");
    const queries: [kind: string, query: string][] = [
      ...words.slice(0, 10).map((q) => ["common", q] as [string, string]), // in tens of thousands of messages
      ...words.slice(200, 220).map((q) => ["medium", q] as [string, string]),
      ...words.slice(3000, 3030).map((q) => ["rare", q] as [string, string]),
      ...Array.from({ length: 20 }, (_, i) => ["two words", `${words[i]} ${words[400 + i]}`] as [string, string]),
      ...words.slice(1000, 1020).map((w) => ["prefix", w.slice(0, 4)] as [string, string]),
    ];
    const SEARCH = `query($q: String!) { search(query: $q, first: 20) { chat { id title } message { id } snippet highlights { start end } } }`;
    for (const [, q] of queries.slice(0, 20)) await client.data(SEARCH, { q }); // warm-up
    const times: number[] = [];
    const byKind = new Map<string, number[]>();
    let hits = 0;
    for (let round = 0; round < 3; round++) {
      for (const [kind, q] of queries) {
        const t = performance.now();
        const data = await client.data(SEARCH, { q });
        const ms = performance.now() - t;
        times.push(ms);
        byKind.set(kind, [...(byKind.get(kind) ?? []), ms]);
        hits += data.search.length;
      }
    }
    times.sort((a, b) => a - b);
    const kinds = Object.fromEntries(
      [...byKind].map(([kind, list]) => {
        list.sort((a, b) => a - b);
        return [kind, { p50Ms: round(percentile(list, 50)), p95Ms: round(percentile(list, 95)) }];
      }),
    );
    const figures = {
      messages: 100_000,
      otherUsersMessages: 20_000,
      queries: times.length,
      p50Ms: round(percentile(times, 50)),
      p95Ms: round(percentile(times, 95)),
      maxMs: round(times.at(-1)!),
      averageHits: round(hits / times.length),
      byKind: kinds,
      seedMs,
    };
    console.log(`search on ${provider}`, figures);
    return figures;
  } finally {
    await app.close();
  }
}

if (!skipBrowser) await browserFigures();
if (!skipSearch) {
  results.search = { sqlite: await searchFigures("sqlite") };
  process.env.TEST_POSTGRES_URL ??= process.env.BENCH_POSTGRES_URL;
  if (process.env.TEST_POSTGRES_URL) (results.search as Record<string, unknown>).postgresql = await searchFigures("postgresql");
  else console.log("search on postgresql: skipped (set TEST_POSTGRES_URL to a PostgreSQL server to measure it)");
}

mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(join(import.meta.dir, "results", "web.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log("wrote bench/results/web.json");
