/**
 * Every folder of tests is assigned to its database passes (tests/passes.ts): a new feature's
 * folder that is in no list would run on SQLite only, and CI would never say so.
 */
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { DATABASE_TESTS, MULTI_INSTANCE, SQLITE_ONLY_TESTS } from "../passes.ts";

const testsRoot = resolve(import.meta.dir, "..");

function holdsTests(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? holdsTests(join(dir, entry.name)) : entry.name.endsWith(".test.ts"),
  );
}

test("each folder under tests/ that holds tests is named in exactly one pass list", () => {
  const folders = readdirSync(testsRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && holdsTests(join(testsRoot, entry.name)))
    .map((entry) => `tests/${entry.name}`)
    .sort();
  const listed = [...DATABASE_TESTS, ...SQLITE_ONLY_TESTS, MULTI_INSTANCE];
  expect(folders.filter((folder) => !listed.includes(folder))).toEqual([]);
  expect(listed.filter((folder, index) => listed.indexOf(folder) !== index)).toEqual([]);
  expect(listed.filter((folder) => !folders.includes(folder))).toEqual([]);
});
