/**
 * `bun run fuzz [count] [seed]`: the full fuzz run (default 10,000 requests, seed 1) on a
 * real server; prints the figures, writes bench/results/fuzz.json, and exits 1 when any
 * answer was unexpected (see run.ts). DATABASE_URL picks another database for the server.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { runFuzz } from "./run.ts";

const count = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const report = await runFuzz({ count, seed, databaseUrl: process.env.DATABASE_URL, log: (line) => console.log(line) });

console.log(`\nfuzz: ${report.requests} requests, seed ${report.seed}, ${report.seconds} s`);
console.table(report.statuses);
console.log(
  `unexpected: ${report.unexpected.total} (5xx ${report.unexpected.server5xx}, INTERNAL ${report.unexpected.internal}, hangs ${report.unexpected.hangs}, broken connections ${report.unexpected.connection})`,
);
for (const sample of report.unexpected.samples) console.log(`  ${sample.status} ${sample.kind}: ${sample.detail.replace(/\s+/g, " ").slice(0, 160)}`);
console.log(`/healthz during the run: median ${report.healthz.medianMs} ms, p99 ${report.healthz.p99Ms} ms, worst ${report.healthz.worstMs} ms, ${report.healthz.failures} failed of ${report.healthz.polls}`);
console.log(`server RSS: ${report.rssMiB.before} MiB before, ${report.rssMiB.after} MiB after; server ${report.serverAlive ? "alive" : "DEAD"} at the end`);
mkdirSync(new URL("../../bench/results/", import.meta.url), { recursive: true });
writeFileSync(new URL("../../bench/results/fuzz.json", import.meta.url), `${JSON.stringify({ when: new Date().toISOString(), ...report }, null, 2)}\n`);
process.exit(report.unexpected.total === 0 && report.serverAlive ? 0 : 1);
