/**
 * `bun run test`: the whole suite, once per database. Always SQLite; PostgreSQL and
 * MySQL/MariaDB too when TEST_POSTGRES_URL / TEST_MYSQL_URL name a server (.ci/run sets
 * both). Ends with one plain line "N passed, N failed, N skipped" for CI.
 * Extra arguments are passed to `bun test` (e.g. a path filter).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DATABASE_TESTS, MULTI_INSTANCE } from "./passes.ts";

// Multi-instance tests never run outside the PostgreSQL pass: there they would fail, by design,
// rather than pass without testing anything. Which folders run where: tests/passes.ts.
const passes: { provider: string; env: Record<string, string>; only?: string[]; ignore?: string[] }[] = [
  { provider: "sqlite", env: {}, ignore: [`${MULTI_INSTANCE}/**`] },
];
if (process.env.TEST_POSTGRES_URL) passes.push({ provider: "postgresql", env: {}, only: [...DATABASE_TESTS, MULTI_INSTANCE] });
if (process.env.TEST_MYSQL_URL) passes.push({ provider: "mysql", env: {}, only: DATABASE_TESTS, ignore: [`${MULTI_INSTANCE}/**`] });

// Generated clients follow the schema; regenerate so a schema change is never tested stale.
run(["bun", "run", "db:generate"]);
// The browser tests need the built UI (and some tests the GraphQL types generated for it):
// build it when it is missing or older than what it is built from.
if (webBuildIsStale()) run(["bun", "run", "web:build"]);

function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    // The generated types are an output of the build, not an input.
    if (join(path, entry) === join("web", "src", "lib", "gql")) continue;
    newest = Math.max(newest, newestChange(join(path, entry)));
  }
  return newest;
}

function webBuildIsStale(): boolean {
  const built = ["web/build/index.html", "web/src/lib/gql/graphql.ts"];
  if (!built.every((path) => existsSync(path))) return true;
  const builtAt = Math.min(...built.map((path) => statSync(path).mtimeMs));
  const sources = ["web/src", "web/static", "web/vite.config.ts", "web/codegen.ts", "schema.graphql"].filter((path) => existsSync(path));
  return sources.some((path) => newestChange(path) > builtAt);
}

function run(command: string[]): void {
  const result = Bun.spawnSync(command, { stdout: "inherit", stderr: "inherit" });
  if (result.exitCode !== 0) {
    console.log(`\n0 passed, 1 failed (${command.join(" ")} failed)`);
    process.exit(1);
  }
}

const extraArgs = process.argv.slice(2);
// Bun 1.4 ignores bunfig.toml's [test] timeout (every test got 5 s): give it on the command line.
const TEST_TIMEOUT_MS = "30000";
const totals = { passed: 0, failed: 0, skipped: 0 };
let anyPassFailed = false;

for (const pass of passes) {
  const paths = extraArgs.length ? extraArgs : (pass.only ?? []);
  if (pass.ignore && paths.length > 0 && paths.every((path) => path.replace(/^\.\//, "").startsWith(MULTI_INSTANCE))) continue;
  console.log(`\n=== ${pass.provider} ===`);
  const ignore = (pass.ignore ?? []).map((pattern) => `--path-ignore-patterns=${pattern}`);
  const child = Bun.spawn(["bun", "test", "--timeout", TEST_TIMEOUT_MS, ...ignore, ...paths], {
    env: { ...process.env, ...pass.env, AIUI_TEST_DATABASE: pass.provider },
    stdout: "inherit",
    stderr: "pipe",
  });
  // bun test writes its report to stderr; echo it and keep it to read the counts.
  let report = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    const text = decoder.decode(chunk);
    report += text;
    process.stderr.write(text);
  }
  const exitCode = await child.exited;
  const count = (word: string) => Number(report.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
  totals.passed += count("pass");
  totals.failed += count("fail");
  totals.skipped += count("skip");
  if (exitCode !== 0) anyPassFailed = true;
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(anyPassFailed || totals.failed > 0 || totals.passed === 0 ? 1 : 0);
