/**
 * `bun run bench:graphql`: GraphQL requests per second through a real AIUI server process
 * over HTTP, against a bare graphql-yoga on the same Bun answering the same shape from
 * memory (bench/support/bare-yoga.ts), in the same run.
 *
 *   query        { viewer { id } chats(first: 20) { edges { node { id title } } } }, signed in
 *                (session cookie), 25 chats in the account
 *   load         --connections (32) concurrent keep-alive loops in this process
 *   alternation  --rounds (3) rounds of --seconds (3) on the baseline, then on AIUI; the
 *                ratio is AIUI / baseline per round, the median over rounds is reported
 *
 * On SQLite, and on PostgreSQL when TEST_POSTGRES_URL (or BENCH_POSTGRES_URL) names a
 * server. Target (issue 13): ratio ≥ 0.4 on both. Writes bench/results/graphql.json.
 * BENCH_SERVER_FLAGS passes flags to the server's bun (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSRF_HEADER } from "../server/src/graphql/yoga.ts";
import { startServerProcess } from "../tests/support/server-process.ts";
import { arg, benchDatabase, benchProviders, HttpGraphQL, median, percentile, root, round, writeResults } from "./support/common.ts";

const CONNECTIONS = Number(arg("connections", "32"));
const SECONDS = Number(arg("seconds", "3"));
const ROUNDS = Number(arg("rounds", "3"));
const TARGET = 0.4;
const QUERY = `{ viewer { id } chats(first: 20) { edges { node { id title } } } }`;

async function startBaseline() {
  const child = Bun.spawn(["bun", join(root, "bench/support/bare-yoga.ts")], { cwd: root, stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let text = "";
  while (!/listening on (\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("bare yoga exited");
    text += new TextDecoder().decode(value);
  }
  return { base: `http://127.0.0.1:${text.match(/listening on (\d+)/)![1]}`, stop: () => child.kill() };
}

/** Requests per second and latencies over `seconds` with `connections` loops. */
async function load(base: string, headers: Record<string, string>, seconds: number) {
  const body = JSON.stringify({ query: QUERY });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        const response = await fetch(`${base}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
        const result = (await response.json()) as { data?: { chats?: { edges: unknown[] } } };
        if (result.data?.chats?.edges.length !== 20) errors++;
        latencies.push(performance.now() - started);
      }
    }),
  );
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

const results: Record<string, unknown> = {};
const baseline = await startBaseline();
for (const provider of benchProviders()) {
  const dir = mkdtempSync(join(tmpdir(), "aiui-bench-graphql-"));
  const database = await benchDatabase(provider, dir);
  const serverFlags = process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean);
  const server = await startServerProcess(
    { NODE_ENV: "production", DATA_DIR: dir, DATABASE_URL: database.url, LOG_LEVEL: "warn" },
    30_000,
    serverFlags,
  );
  try {
    const client = new HttpGraphQL(server.base, CSRF_HEADER);
    await client.data(`mutation { signUp(input: { email: "bench@example.com", password: "a benchmark password" }) { id } }`);
    for (let i = 0; i < 25; i++) await client.data(`mutation($t: String) { createChat(input: { title: $t }) { id } }`, { t: `Chat ${i}` });
    const aiuiHeaders = { [CSRF_HEADER]: "1", cookie: client.cookie };
    // Warm-up: JIT, connection pools, pages.
    await load(baseline.base, {}, 1);
    await load(server.base, aiuiHeaders, 1);
    const rounds: { baseline: Awaited<ReturnType<typeof load>>; aiui: Awaited<ReturnType<typeof load>>; ratio: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bare = await load(baseline.base, {}, SECONDS);
      const aiui = await load(server.base, aiuiHeaders, SECONDS);
      if (aiui.errors) throw new Error(`${aiui.errors} AIUI answers were not the 20 chats:\n${server.log().slice(-2000)}`);
      rounds.push({ baseline: bare, aiui, ratio: aiui.rps / bare.rps });
      console.log(
        `${provider} round ${r + 1}: baseline ${Math.round(bare.rps)} req/s, AIUI ${Math.round(aiui.rps)} req/s (p50 ${round(aiui.p50)} ms, p99 ${round(aiui.p99)} ms): ratio ${round(aiui.rps / bare.rps, 3)}`,
      );
    }
    const ratio = median(rounds.map((r) => r.ratio));
    results[provider] = {
      ratio: round(ratio, 3),
      baselineRps: Math.round(median(rounds.map((r) => r.baseline.rps))),
      aiuiRps: Math.round(median(rounds.map((r) => r.aiui.rps))),
      aiuiLatencyMs: { p50: round(median(rounds.map((r) => r.aiui.p50))), p99: round(median(rounds.map((r) => r.aiui.p99))) },
      rounds: rounds.map((r) => ({ baselineRps: Math.round(r.baseline.rps), aiuiRps: Math.round(r.aiui.rps), ratio: round(r.ratio, 3) })),
      targetMet: ratio >= TARGET,
    };
    console.log(`${provider}: ratio ${round(ratio, 3)} (target ≥ ${TARGET}: ${ratio >= TARGET ? "met" : "NOT met"})`);
  } finally {
    await server.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}
baseline.stop();
writeResults("graphql", { settings: { query: QUERY, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, target: TARGET }, results });
