/**
 * The server under benchmark (started by bench/stream.ts, not by hand): main.ts's
 * start-up on a real SQLite file, with every database write counted by a Prisma query
 * extension and the process's peak RSS read from the kernel. Reports over IPC: {port} once listening,
 * then {stats} whenever asked ("stats", which also resets the counters).
 */
import { createApp, createServices } from "../server/src/app.ts";
import type { Db } from "../server/src/db/client.ts";
import { openDatabase } from "../server/src/db/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { parseConfig } from "../server/src/env.ts";
import { speechFromConfig } from "../server/src/speech/from-config.ts";
import { watchLoopLag } from "./support/loop-lag.ts";
import { readPeakRss, resetPeakRss } from "./support/peak-rss.ts";

const config = parseConfig(process.env);
const database = await openDatabase(config.database.url, config.database.provider);
await applyMigrations(database.db, database.provider);

/** What a database operation is, for the counts: a read, a write on sending, a checkpoint or a final write. */
function kindOf(model: string | undefined, operation: string, args: unknown): "read" | "setup" | "checkpoint" | "final" {
  if (operation === "$executeRawUnsafe" || operation === "$executeRaw") {
    // The only raw write at run time is the checkpoint (generation/checkpoint.ts).
    return String((args as unknown[])[0]).includes("checkpointAt") ? "checkpoint" : "setup";
  }
  if (!/^(create|update|delete|upsert)/.test(operation)) return "read";
  const { where, data } = args as { where?: { status?: unknown }; data?: { status?: unknown } };
  if (model === "Message" && operation === "update" && where?.status === "STREAMING" && data?.status !== undefined) return "final";
  return "setup";
}

const counts = { setup: 0, checkpoint: 0, final: 0, reads: 0 };
/** Time per model.operation from call to result (waiting included), to see where the database time goes. */
const queryTime: Record<string, { count: number; ms: number }> = {};
const counted = database.db.$extends({
  query: {
    // At the top level: model operations and raw SQL alike.
    async $allOperations({ model, operation, args, query }) {
      const kind = kindOf(model, operation, args);
      if (kind === "read") counts.reads++;
      else counts[kind]++;
      const started = performance.now();
      try {
        return await query(args);
      } finally {
        const key = `${model ?? "raw"}.${operation}`;
        const entry = queryTime[key] ?? { count: 0, ms: 0 };
        entry.count++;
        entry.ms += performance.now() - started;
        queryTime[key] = entry;
      }
    },
  },
}) as unknown as Db;


let cpuSince = process.cpuUsage();
// BENCH_LOOP_LAG=1: the server's event-loop stalls per phase (a 1 ms timer: off by default).
const loopLag = process.env.BENCH_LOOP_LAG ? watchLoopLag() : null;

const encryptionKey = Buffer.alloc(32, 7);
const services = createServices({ config, db: counted, encryptionKey });
const app = createApp({ config, db: counted, encryptionKey, speech: speechFromConfig(config.speech, () => {}) }, services).listen({
  hostname: "127.0.0.1",
  port: 0,
});

process.send?.({ port: app.server!.port });
process.on("message", async (message) => {
  if (message === "stats") {
    const cpu = process.cpuUsage(cpuSince);
    cpuSince = process.cpuUsage();
    process.send?.({ stats: { ...counts, peakRss: readPeakRss(), queryTime: { ...queryTime }, cpuMs: (cpu.user + cpu.system) / 1000, loopLag: loopLag?.read() } });
    for (const key of Object.keys(queryTime)) delete queryTime[key];
    Object.assign(counts, { setup: 0, checkpoint: 0, final: 0, reads: 0 });
    resetPeakRss();
  } else if (message === "stop") {
    loopLag?.stop();
    await services.replies.close();
    await app.stop(true);
    await database.close();
    process.exit(0);
  }
});
