/**
 * The fuzz run: a real server process (SQLite by default), the loopback test provider
 * for models and speech, and `count` generated requests (cases.ts) to /mm/mm/ and
 * /graphql from a few concurrent clients, while another client polls /healthz.
 *
 * A request fails the run when the server answers 5xx other than the documented ones
 * (glasses: 502 provider failure, 503 speech or database unavailable; GraphQL: 503
 * database unavailable), when a GraphQL answer carries INTERNAL_SERVER_ERROR, when it
 * takes longer than REQUEST_TIMEOUT_MS (a hang), or when the connection breaks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeProvider, startFakeProvider } from "../support/fake-provider.ts";
import { fixture } from "../support/fixtures.ts";
import { type ServerProcess, startServerProcess } from "../support/server-process.ts";
import { Draw, type FuzzCase, type FuzzWorld, nextCase, seededRandom } from "./cases.ts";

export const REQUEST_TIMEOUT_MS = 15_000;
const HEALTH_POLL_MS = 50;

export interface FuzzOptions {
  count: number;
  seed: number;
  concurrency?: number;
  /** DATABASE_URL for the server; default a fresh SQLite file. */
  databaseUrl?: string;
  log?: (line: string) => void;
}

export interface Unexpected {
  kind: string;
  status: number | "hang" | "connection";
  detail: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  seconds: number;
  statuses: Record<string, Record<string, number>>;
  unexpected: { total: number; hangs: number; internal: number; server5xx: number; connection: number; samples: Unexpected[] };
  healthz: { polls: number; medianMs: number; p99Ms: number; worstMs: number; failures: number };
  rssMiB: { before: number; after: number };
  serverAlive: boolean;
}

async function graphql(base: string, cookie: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-aiui-csrf": "1", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`setup failed: ${JSON.stringify(body.errors)}`);
  return { data: body.data, cookie: response.headers.getSetCookie()[0]?.split(";")[0] ?? cookie };
}

/** The fuzz account (with a model, a token, a chat and a message) and another user's chat and message. */
async function buildWorld(server: ServerProcess, provider: FakeProvider): Promise<FuzzWorld> {
  const signUp = `mutation($e: String!) { signUp(input: { email: $e, password: "fuzzing is fun 123" }) { id } }`;
  const { cookie } = await graphql(server.base, "", signUp, { e: "fuzz@example.com" });
  const { cookie: otherCookie } = await graphql(server.base, "", signUp, { e: "other@example.com" });
  const modelFor = async (who: string) =>
    (await graphql(server.base, who, `mutation($u: String!) { createModel(input: { name: "Echo", providerModelId: "echo", baseUrl: $u }) { id } }`, { u: provider.url })).data
      .createModel.id as string;
  const chatWithMessage = async (who: string, modelId: string) => {
    const chatId = (await graphql(server.base, who, `mutation($m: ID) { createChat(input: { modelId: $m }) { id } }`, { m: modelId })).data.createChat.id as string;
    const sent = await graphql(server.base, who, `mutation($c: ID!) { sendMessage(chatId: $c, content: "hello") { message { id } } }`, { c: chatId });
    return { chatId, messageId: sent.data.sendMessage.message.id as string };
  };
  const modelId = await modelFor(cookie);
  const own = await chatWithMessage(cookie, modelId);
  const foreign = await chatWithMessage(otherCookie, await modelFor(otherCookie));
  const token = (await graphql(server.base, cookie, `mutation { createGlassesToken(name: "fuzz") { secret } }`)).data.createGlassesToken.secret as string;
  return {
    token,
    cookie,
    modelId,
    chatId: own.chatId,
    messageId: own.messageId,
    foreignChatId: foreign.chatId,
    foreignMessageId: foreign.messageId,
    audio: await fixture("noa-app-request-audio.wav"),
    image: await fixture("noa-app-request-image.jpg"),
  };
}

/** Why an answer is unexpected, or null when it is fine. */
async function judge(fuzzCase: FuzzCase, response: Response): Promise<Unexpected | null> {
  const text = await response.text();
  const documented5xx = fuzzCase.target === "glasses" ? [502, 503] : [503];
  if (response.status >= 500 && !documented5xx.includes(response.status)) {
    return { kind: fuzzCase.kind, status: response.status, detail: text.slice(0, 300) };
  }
  if (fuzzCase.target === "graphql" && text.includes("INTERNAL_SERVER_ERROR")) {
    return { kind: fuzzCase.kind, status: response.status, detail: `INTERNAL: ${text.slice(0, 300)}` };
  }
  return null;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 8;
  const dataDir = mkdtempSync(join(tmpdir(), "aiui-fuzz-"));
  const provider = await startFakeProvider();
  const server = await startServerProcess({
    NODE_ENV: "production",
    DATA_DIR: dataDir,
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    STT_BACKEND: "openai",
    STT_OPENAI_BASE_URL: provider.url,
    // Sign-in attempts from one address would otherwise lock the fuzz account out of nothing.
    SIGNIN_MAX_ATTEMPTS: "1000",
    ACCOUNT_REQUESTS_MAX: "100000",
    // Likewise wrong tokens (a case kind): past the limit every glasses case would stop at 429.
    TOKEN_MAX_FAILURES: "1000000",
  });
  try {
    const world = await buildWorld(server, provider);
    const draw = new Draw(seededRandom(options.seed));
    const statuses: FuzzReport["statuses"] = { glasses: {}, graphql: {} };
    const unexpected: Unexpected[] = [];
    const counts = { hangs: 0, internal: 0, server5xx: 0, connection: 0 };
    const rssBefore = server.rssMiB();

    // /healthz, polled the whole time: the latency another user would see.
    const health: number[] = [];
    let healthFailures = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const started = performance.now();
        try {
          const response = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
          await response.arrayBuffer();
          if (response.status !== 200) healthFailures++;
        } catch {
          healthFailures++;
        }
        health.push(performance.now() - started);
        await Bun.sleep(HEALTH_POLL_MS);
      }
    })();

    const started = performance.now();
    let issued = 0;
    const worker = async () => {
      while (issued < options.count) {
        issued++;
        if (issued % 500 === 0) {
          provider.reset();
          log(`${issued} / ${options.count} requests, ${unexpected.length} unexpected`);
        }
        const fuzzCase = nextCase(draw, world);
        const tally = statuses[fuzzCase.target]!;
        try {
          const response = await fetch(`${server.base}${fuzzCase.path}`, {
            method: fuzzCase.method,
            headers: fuzzCase.headers,
            body: fuzzCase.method === "GET" || fuzzCase.method === "HEAD" ? undefined : fuzzCase.body,
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          });
          tally[response.status] = (tally[response.status] ?? 0) + 1;
          const problem = await judge(fuzzCase, response);
          if (problem) {
            unexpected.push(problem);
            if (problem.detail.startsWith("INTERNAL")) counts.internal++;
            else counts.server5xx++;
          }
        } catch (error) {
          const hang = (error as Error).name === "TimeoutError";
          tally[hang ? "hang" : "connection"] = (tally[hang ? "hang" : "connection"] ?? 0) + 1;
          if (hang) counts.hangs++;
          else counts.connection++;
          unexpected.push({ kind: fuzzCase.kind, status: hang ? "hang" : "connection", detail: String(error).slice(0, 300) });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    polling = false;
    await poller;

    const sortedHealth = [...health].sort((a, b) => a - b);
    return {
      seed: options.seed,
      requests: options.count,
      seconds: +seconds.toFixed(1),
      statuses,
      unexpected: { total: unexpected.length, ...counts, samples: unexpected.slice(0, 20) },
      healthz: {
        polls: health.length,
        medianMs: +percentile(sortedHealth, 50).toFixed(1),
        p99Ms: +percentile(sortedHealth, 99).toFixed(1),
        worstMs: +(sortedHealth.at(-1) ?? 0).toFixed(1),
        failures: healthFailures,
      },
      rssMiB: { before: rssBefore, after: server.alive() ? server.rssMiB() : 0 },
      serverAlive: server.alive(),
    };
  } finally {
    if (server.alive()) await server.stop();
    await provider.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
