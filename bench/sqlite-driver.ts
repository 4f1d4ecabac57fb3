/**
 * `bun run bench:sqlite-driver`: time per Prisma operation on one SQLite file through
 * libsql (@prisma/adapter-libsql, the driver before decision 0014), through bun:sqlite
 * (server/src/db/bun-sqlite.ts), and through bun:sqlite with Prisma's query-plan cache off
 * (`queryPlanCacheMaxSize: 0`: every operation compiled again, as Prisma 6 did; decision
 * 0018), in the same run, alternating in blocks.
 * Operations: user.findUnique, chat.findMany(20), message.create, a raw SELECT 1.
 * Writes bench/results/sqlite-driver.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaBunSqlite } from "../server/src/db/bun-sqlite.ts";
import { openDatabase } from "../server/src/db/client.ts";
import { PrismaClient } from "../server/src/db/generated/sqlite/client.ts";
import { applyMigrations } from "../server/src/db/migrate.ts";
import { median, round, writeResults } from "./support/common.ts";

const OPS = 400;
const BLOCKS = 5;
const dir = mkdtempSync(join(tmpdir(), "aiui-bench-sqlite-"));
const url = `file:${join(dir, "bench.db")}`;
const setup = await openDatabase(url, "sqlite");
await applyMigrations(setup.db, "sqlite");
const user = await setup.db.user.create({ data: { email: "bench@example.com", passwordHash: "-", displayName: "Bench" } });
const chat = await setup.db.chat.create({ data: { userId: user.id, title: "Bench" } });
for (let i = 0; i < 25; i++) await setup.db.chat.create({ data: { userId: user.id, title: `Chat ${i}` } });
await setup.close();

const clients = {
  libsql: new PrismaClient({ adapter: new PrismaLibSQL({ url }) }),
  "bun:sqlite": new PrismaClient({ adapter: new PrismaBunSqlite({ url, busyTimeoutMs: 1000 }) }),
  "no plan cache": new PrismaClient({ adapter: new PrismaBunSqlite({ url, busyTimeoutMs: 1000 }), queryPlanCacheMaxSize: 0 }),
};
for (const client of Object.values(clients)) await client.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
const operations: Record<string, (db: PrismaClient) => Promise<unknown>> = {
  "user.findUnique": (db) => db.user.findUnique({ where: { id: user.id } }),
  "chat.findMany(20)": (db) => db.chat.findMany({ where: { userId: user.id }, take: 20, orderBy: { updatedAt: "desc" } }),
  "message.create": (db) => db.message.create({ data: { chatId: chat.id, role: "USER", content: "hello" } }),
  "SELECT 1": (db) => db.$queryRawUnsafe("SELECT 1"),
};
const perOp: Record<string, Record<string, number[]>> = {};
for (let block = -1; block < BLOCKS; block++) {
  for (const [name, operation] of Object.entries(operations)) {
    for (const [driver, db] of Object.entries(clients)) {
      const started = performance.now();
      for (let i = 0; i < OPS; i++) await operation(db);
      const us = ((performance.now() - started) / OPS) * 1000;
      if (block < 0) continue;
      const byDriver = perOp[name] ?? {};
      perOp[name] = byDriver;
      byDriver[driver] = [...(byDriver[driver] ?? []), us];
    }
  }
}
const results: Record<string, unknown> = {};
for (const [name, drivers] of Object.entries(perOp)) {
  const lib = median(drivers.libsql!);
  const bun = median(drivers["bun:sqlite"]!);
  const uncached = median(drivers["no plan cache"]!);
  const less = (than: number) => `${Math.round((1 - bun / than) * 100)}%`;
  results[name] = { libsqlUs: round(lib, 1), bunSqliteUs: round(bun, 1), lessTime: less(lib), bunSqliteNoPlanCacheUs: round(uncached, 1), lessTimeThanNoPlanCache: less(uncached) };
  console.log(
    `${name.padEnd(20)} libsql ${round(lib, 1)} µs   bun:sqlite ${round(bun, 1)} µs   (${less(lib)} less)   bun:sqlite without plan cache ${round(uncached, 1)} µs   (${less(uncached)} less)`,
  );
}
for (const client of Object.values(clients)) await client.$disconnect();
rmSync(dir, { recursive: true, force: true });
writeResults("sqlite-driver", { opsPerBlock: OPS, blocks: BLOCKS, results });
