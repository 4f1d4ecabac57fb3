/**
 * A slice of the fuzz run (run.ts) on every change: 2,000 generated requests to /mm/mm/
 * and /graphql against a real server process on this pass's database. Any 5xx that is not
 * a documented 502/503, any INTERNAL, any hang or broken connection fails it. The full
 * run is `bun run fuzz` (10,000 requests; figures in the README's Reliability section).
 */
import { afterAll, expect, test } from "bun:test";
import { freshDatabase, type TestDatabase } from "../support/database.ts";
import { runFuzz } from "./run.ts";

let database: TestDatabase | undefined;
afterAll(() => database?.drop());

test("2,000 fuzzed requests: no unexpected 5xx, no INTERNAL, no hang, the server alive", async () => {
  database = await freshDatabase();
  // The server applies migrations itself; the harness only provides an empty, migrated database.
  const report = await runFuzz({ count: 2000, seed: 20261129, databaseUrl: database.url });
  expect(report.unexpected.samples).toEqual([]);
  expect(report.unexpected.total).toBe(0);
  expect(report.serverAlive).toBe(true);
  // Both surfaces were exercised past their front door.
  expect(report.statuses.glasses?.["200"] ?? 0).toBeGreaterThan(100);
  expect(report.statuses.graphql?.["200"] ?? 0).toBeGreaterThan(300);
}, 180_000);
