/**
 * `bun run bench:audio`: does a burst of hostile recordings slow the server down for
 * everyone else? The real server (`bun server/src/main.ts`, SQLite) runs in its own process;
 * this process polls `GET /healthz` (one database query) and `GET /openapi/json` (no
 * database: the event loop alone) every ~10 ms each and, in each round:
 *
 *   idle        polling only: the baseline, measured in the same run;
 *   hostile     50 concurrent uploads of WAVs built to hurt: 1 Hz (20 KB and 300 KB),
 *               24 Hz, 768 kHz and 11 minutes at 4 kHz (2.6 MB), all answered 400;
 *   control     50 concurrent uploads of 2 s of silence in the Noa app's format, answered
 *               200 "didn't catch that": what any 50 requests cost this route.
 *
 * Before the bounded decoder, one 1 Hz 20 KB upload held every request for 46 s (RSS 1.55 GB).
 * Target (issue): worst /healthz during a hostile burst < 100 ms, every hostile upload 4xx.
 * Reading the figures: when both probes wait alike, the wait is the event loop's, not the
 * database's; when the hostile burst costs no more than the control one, what remains is the
 * route's own per-request work, not the audio.
 * Prints worst / p99 / median per probe and phase and the server's RSS before and after;
 * writes bench/results/pathological-audio.json.
 *
 *   bun bench/pathological-audio.ts [rounds=5] [burst=50]
 *   BENCH_SERVER_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" bun bench/pathological-audio.ts   (profile the server)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { parseConfig } from "../server/src/env.ts";
import { createAccessToken } from "../server/src/accounts/index.ts";

const ROUNDS = Number(process.argv[2] ?? 5);
const BURST = Number(process.argv[3] ?? 50);
const POLL_INTERVAL_MS = 10;
const IDLE_MS = 1000;
const TARGET_WORST_MS = 100;

/** A WAV as the Noa app writes it: 44-byte header, 8-bit unsigned mono, `dataBytes` of silence. */
function appWav(rate: number, dataBytes: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(44 + dataBytes).fill(128, 44);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => bytes.set(new TextEncoder().encode(text), offset);
  ascii(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate, true);
  view.setUint16(32, 1, true);
  view.setUint16(34, 8, true);
  ascii(36, "data");
  view.setUint32(40, dataBytes, true);
  return bytes;
}

interface Upload {
  kind: string;
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/** The Noa app's form, encoded once so that sending it costs this process next to nothing. */
async function noaForm(kind: string, audio: Uint8Array<ArrayBuffer>): Promise<Upload> {
  const form = new FormData();
  form.append("audio", new File([audio], "audio.wav"));
  form.append("messages", "[]");
  form.append("location", "");
  form.append("time", "2025-07-02 11:29:48.054846");
  const encoded = new Response(form);
  const contentType = encoded.headers.get("content-type")!; // before the body: Bun drops it after
  return { kind, body: new Uint8Array(await encoded.arrayBuffer()), contentType };
}

const hostileKinds: [string, Uint8Array<ArrayBuffer>][] = [
  ["1 Hz, 20 KB", appWav(1, 20_000)],
  ["1 Hz, 300 KB", appWav(1, 300_000)],
  ["24 Hz, 300 KB", appWav(24, 300_000)],
  ["768 kHz, 300 KB", appWav(768_000, 300_000)],
  ["11 min at 4 kHz, 2.6 MB", appWav(4000, 11 * 60 * 4000)],
];
const hostile = await Promise.all(hostileKinds.map(([kind, audio]) => noaForm(kind, audio)));
const control = await noaForm("2 s of silence at 8 kHz", appWav(8000, 16_000));

// --- the server, in its own process, on a fresh SQLite database ---------------------------
const dir = mkdtempSync(join(tmpdir(), "aiui-bench-audio-"));
const env = {
  NODE_ENV: "production",
  DATA_DIR: dir,
  DATABASE_URL: `file:${join(dir, "bench.db")}`,
  HOST: "127.0.0.1",
  PORT: "0",
  FFMPEG_PATH: "/nonexistent/ffmpeg",
};
const config = parseConfig(env);
const database = await openDatabase(config.database.url, config.database.provider);
await applyMigrations(database.db, database.provider);
const user = await database.db.user.create({ data: { email: "bench@example.com", passwordHash: "-", displayName: "Bench" } });
const { secret } = await createAccessToken(database.db, user.id, { name: "bench", scopes: ["glasses"] });
await database.close();

const server = Bun.spawn(["bun", ...(process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean) ?? []), "server/src/main.ts"], { env: { ...process.env, ...env }, stdout: "pipe", stderr: "inherit" });
const base = await (async () => {
  const decoder = new TextDecoder();
  let seen = "";
  for await (const chunk of server.stdout) {
    seen += decoder.decode(chunk);
    const match = seen.match(/serving on (http:\/\/[^ ]+)/);
    if (match) return match[1]!;
  }
  throw new Error(`the server exited before serving:\n${seen}`);
})();
// Keep draining the server's log so it never blocks on a full pipe.
void (async () => {
  for await (const _ of server.stdout);
})();

/** The server's resident and peak memory, MB (Linux /proc). */
function serverMemory(): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN);
  return { rssMb: Math.round(kb("VmRSS") / 1024), peakRssMb: Math.round(kb("VmHWM") / 1024) };
}

// --- measuring ------------------------------------------------------------------------------
async function probeOnce(path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(60_000) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
  return performance.now() - started;
}

interface Probes {
  healthz: number[];
  openapi: number[];
}

/** Polls both probes, each every POLL_INTERVAL_MS, until `until` settles; returns each poll's latency. */
async function pollDuring(until: Promise<unknown>): Promise<Probes> {
  let done = false;
  until.finally(() => {
    done = true;
  });
  const poll = async (path: string) => {
    const latencies: number[] = [];
    while (!done) {
      latencies.push(await probeOnce(path));
      if (!done) await Bun.sleep(POLL_INTERVAL_MS);
    }
    return latencies;
  };
  const [healthz, openapi] = await Promise.all([poll("/healthz"), poll("/openapi/json")]);
  return { healthz, openapi };
}

interface Answer {
  kind: string;
  status: number;
  ms: number;
  hasDetail: boolean;
}

async function send(upload: Upload): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${base}/mm/mm/`, {
    method: "POST",
    headers: { Authorization: `Bearer ${secret}`, "content-type": upload.contentType },
    body: upload.body,
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await response.json()) as { detail?: unknown };
  return { kind: upload.kind, status: response.status, ms: performance.now() - started, hasDetail: typeof body.detail === "string" };
}

async function burst(uploads: Upload[]): Promise<{ probes: Probes; answers: Answer[]; wallMs: number }> {
  const started = performance.now();
  const sending = Promise.all(uploads.map(send));
  const probes = await pollDuring(sending);
  return { probes, answers: await sending, wallMs: performance.now() - started };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => +n.toFixed(2);
  return { n: sorted.length, median: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), worst: round(sorted.at(-1)!) };
}

// Warm up: JIT, the database connection, the audio worker.
for (let i = 0; i < 20; i++) await Promise.all([probeOnce("/healthz"), probeOnce("/openapi/json")]);
await Promise.all([...hostile, control].map(send));

const memoryBefore = serverMemory();
const loadBefore = loadavg()[0]!;
const phases = { idle: { healthz: [], openapi: [] } as Probes, hostile: { healthz: [], openapi: [] } as Probes, control: { healthz: [], openapi: [] } as Probes };
const collect = (into: Probes, from: Probes) => {
  into.healthz.push(...from.healthz);
  into.openapi.push(...from.openapi);
};
const hostileAnswers: Answer[] = [];
const controlAnswers: Answer[] = [];
const burstWallMs = { hostile: [] as number[], control: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  collect(phases.idle, await pollDuring(Bun.sleep(IDLE_MS)));
  const h = await burst(Array.from({ length: BURST }, (_, i) => hostile[i % hostile.length]!));
  collect(phases.hostile, h.probes);
  hostileAnswers.push(...h.answers);
  burstWallMs.hostile.push(h.wallMs);
  await Bun.sleep(200);
  const c = await burst(Array.from({ length: BURST }, () => control));
  collect(phases.control, c.probes);
  controlAnswers.push(...c.answers);
  burstWallMs.control.push(c.wallMs);
  await Bun.sleep(200);
}
const memoryAfter = serverMemory();

const statuses = (answers: Answer[]) => Object.fromEntries(Object.entries(Object.groupBy(answers, (a) => String(a.status))).map(([s, list]) => [s, list!.length]));
const perKind = Object.fromEntries(
  hostile.map(({ kind }) => {
    const mine = hostileAnswers.filter((a) => a.kind === kind);
    return [kind, { statuses: statuses(mine), requestMs: summary(mine.map((a) => a.ms)) }];
  }),
);
const everyHostile4xx = hostileAnswers.every((a) => a.status >= 400 && a.status < 500 && a.hasDetail);
const result = {
  when: new Date().toISOString(),
  // Other work on the machine shows up in every figure: the 1-minute load average, before and after.
  machine: { cpus: navigator.hardwareConcurrency, bun: Bun.version, loadAverage: { before: +loadBefore.toFixed(2), after: +loadavg()[0]!.toFixed(2) } },
  rounds: ROUNDS,
  burst: BURST,
  healthzMs: { idle: summary(phases.idle.healthz), hostileBurst: summary(phases.hostile.healthz), controlBurst: summary(phases.control.healthz) },
  openapiMs: { idle: summary(phases.idle.openapi), hostileBurst: summary(phases.hostile.openapi), controlBurst: summary(phases.control.openapi) },
  burstWallMs: { hostile: summary(burstWallMs.hostile), control: summary(burstWallMs.control) },
  hostile: { statuses: statuses(hostileAnswers), perKind },
  control: { statuses: statuses(controlAnswers), requestMs: summary(controlAnswers.map((a) => a.ms)) },
  serverMemory: { before: memoryBefore, after: memoryAfter },
  targets: {
    worstHealthzDuringHostileBelow100ms: summary(phases.hostile.healthz).worst < TARGET_WORST_MS,
    everyHostileUpload4xxWithDetail: everyHostile4xx,
  },
};

console.log(
  `${ROUNDS} rounds of ${BURST} concurrent uploads per burst; server in its own process (SQLite); probes every ${POLL_INTERVAL_MS} ms; ` +
    `load average ${result.machine.loadAverage.before} → ${result.machine.loadAverage.after} on ${result.machine.cpus} CPUs`,
);
console.log("GET /healthz (one database query), ms:");
console.table(result.healthzMs);
console.log("GET /openapi/json (no database: event loop only), ms:");
console.table(result.openapiMs);
console.log("burst wall time, ms:");
console.table({ "hostile burst": result.burstWallMs.hostile, "control burst": result.burstWallMs.control });
console.log("hostile uploads by kind, request ms:");
console.table(Object.fromEntries(Object.entries(perKind).map(([kind, v]) => [kind, { ...v.requestMs, statuses: JSON.stringify(v.statuses) }])));
console.log(`control uploads: ${JSON.stringify(result.control.statuses)}`);
console.log(
  `server RSS: ${memoryBefore.rssMb} MB before, ${memoryAfter.rssMb} MB after (peak ${memoryAfter.peakRssMb} MB; was 1.55 GB after one 1 Hz upload)`,
);
console.log(
  `target worst /healthz during hostile bursts < ${TARGET_WORST_MS} ms: ${result.targets.worstHealthzDuringHostileBelow100ms ? "met" : "MISSED"} (${result.healthzMs.hostileBurst.worst} ms)`,
);
console.log(`target every hostile upload answered 4xx with a detail: ${everyHostile4xx ? "met" : "MISSED"}`);
mkdirSync(new URL("results/", import.meta.url), { recursive: true });
writeFileSync(new URL("results/pathological-audio.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

server.kill("SIGTERM");
const exitCode = await server.exited;
if (exitCode !== 0) console.log(`the server exited with ${exitCode} on SIGTERM`);
rmSync(dir, { recursive: true, force: true });
