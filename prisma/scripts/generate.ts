/**
 * Derives one Prisma schema and one generated client per database provider from
 * the single source `prisma/schema.prisma`, and (with `--migration <name>`) writes
 * the next migration for each provider. Why: a generated Prisma client is bound to
 * one provider, and Prisma's offline (WASM) schema engine cannot diff MySQL.
 * See docs/decisions/0001-one-schema-three-databases.md.
 *
 * Two Prisma CLIs, neither needing a download (docs/decisions/0018-prisma-7.md): Prisma 7
 * (`prisma`, the version of @prisma/client) generates the clients and the Pothos types;
 * Prisma 6.19 (`prisma6`) writes migrations with `migrate diff`, which Prisma 7 can only
 * do with its native schema engine.
 *
 *   bun prisma/scripts/generate.ts                    # derive schemas + generate clients
 *   bun prisma/scripts/generate.ts --migration add_x  # also write migrations/<provider>/<ts>_add_x
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const PROVIDERS = ["sqlite", "postgresql", "mysql"] as const;
export type Provider = (typeof PROVIDERS)[number];

const root = resolve(import.meta.dir, "../..");
const prismaDir = join(root, "prisma");
const source = readFileSync(join(prismaDir, "schema.prisma"), "utf8");

// Both Prisma CLIs try to download native engines unless these point at a file; the
// engine-free workflow never runs them. The stub exits 1 so nothing can "succeed" by
// accident through it.
const engineStub = join(prismaDir, "scripts", "engine-stub.sh");
const cliEnv = {
  ...process.env,
  PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}`,
  PRISMA_SCHEMA_ENGINE_BINARY: engineStub,
  PRISMA_QUERY_ENGINE_LIBRARY: engineStub,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};

export function deriveSchema(provider: Provider): string {
  let text = source
    .replace('provider = "sqlite"', `provider = "${provider}"`)
    .replace("generated/PROVIDER", `generated/${provider}`);
  if (provider !== "sqlite") {
    // The Pothos type file is generated once, from the SQLite client.
    text = text.replace(/generator pothos \{[^}]*\}\n\n/, "");
  }
  if (provider === "mysql") {
    text = text.replace(/^(\s+\w+\s+String\??)(.*?)\s*\/\/ long-text$/gm, "$1$2 @db.Text");
    // MySQL's TEXT holds 64 KB; message text (100k characters, replies of any length) needs MEDIUMTEXT (16 MB).
    text = text.replace(/^(\s+\w+\s+String\??)(.*?)\s*\/\/ huge-text$/gm, "$1$2 @db.MediumText");
  }
  return text;
}

/**
 * The schema as Prisma 6.19's `migrate diff` reads it: 6.19 requires a datasource `url`, which
 * Prisma 7 refuses in a schema file. No database is opened; the placeholder is never used.
 * Migration snapshots are kept in this form, as the next diff's starting point.
 */
export function migrateDiffSchema(provider: Provider): string {
  const schema = deriveSchema(provider);
  const withUrl = schema.replace(/(datasource db \{\n\s*provider\s*=\s*"\w+"\n)/, '$1  url      = "file:./placeholder.db"\n');
  if (withUrl === schema) throw new Error("schema.prisma: datasource block not found (expected `datasource db {` then its provider line)");
  return withUrl;
}

function derivedSchemaPath(provider: Provider): string {
  return join(prismaDir, "derived", provider, "schema.prisma");
}

function migrateDiffSchemaPath(provider: Provider): string {
  return join(prismaDir, "derived", provider, "migrate-diff.prisma");
}

/** Runs a Prisma CLI: `prisma` (7, generate) or `prisma6` (6.19, migrate diff), each with its configuration. */
function prisma(cli: "prisma" | "prisma6", args: string[]): string {
  const config = cli === "prisma" ? "prisma.config.ts" : "migrate-diff.config.ts";
  const result = Bun.spawnSync([join(root, "node_modules", cli, "build/index.js"), ...args, "--config", join(prismaDir, config)], {
    cwd: root,
    env: cliEnv,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (result.exitCode !== 0) {
    throw new Error(`${cli} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout.toString();
}

function writeDerivedSchemas(): void {
  for (const provider of PROVIDERS) {
    mkdirSync(join(prismaDir, "derived", provider), { recursive: true });
    writeFileSync(derivedSchemaPath(provider), deriveSchema(provider));
    writeFileSync(migrateDiffSchemaPath(provider), migrateDiffSchema(provider));
  }
}

function generateClients(): void {
  for (const provider of PROVIDERS) {
    prisma("prisma", ["generate", "--schema", derivedSchemaPath(provider)]);
  }
}

function migrationsDir(provider: Provider): string {
  return join(prismaDir, "migrations", provider);
}

/** The derived schema each migration was made from is kept beside it, so the next diff needs no database. */
function latestSnapshot(provider: Provider): string | null {
  const dir = migrationsDir(provider);
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir).filter((n) => existsSync(join(dir, n, "schema.prisma"))).sort();
  const last = names.at(-1);
  return last ? join(dir, last, "schema.prisma") : null;
}

function writeMigration(name: string): void {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  for (const provider of PROVIDERS) {
    const dir = join(migrationsDir(provider), `${stamp}_${name}`);
    const from = latestSnapshot(provider);
    let sql: string;
    if (provider === "mysql") {
      sql =
        "-- Prisma's offline schema engine cannot diff MySQL: write this migration by hand,\n" +
        "-- mirroring the PostgreSQL one. tests/db/schema-matches.test.ts checks the result\n" +
        "-- against the schema on MariaDB. A column marked `// exact-bytes` in schema.prisma is\n" +
        "-- created (or re-created) with COLLATE utf8mb4_bin; tests/db checks that too.\n";
    } else {
      const fromArgs = from ? ["--from-schema-datamodel", from] : ["--from-empty"];
      sql = prisma("prisma6", ["migrate", "diff", ...fromArgs, "--to-schema-datamodel", migrateDiffSchemaPath(provider), "--script"])
        .replace(/^Loaded Prisma config.*\n+/m, "");
      if (sql.includes("-- This is an empty migration.")) {
        console.log(`${provider}: no schema change, no migration written`);
        continue;
      }
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "migration.sql"), sql);
    writeFileSync(join(dir, "schema.prisma"), migrateDiffSchema(provider));
    console.log(`${provider}: wrote ${dir}`);
  }
}

if (import.meta.main) {
  writeDerivedSchemas();
  const migrationFlag = process.argv.indexOf("--migration");
  if (migrationFlag !== -1) {
    const name = process.argv[migrationFlag + 1];
    if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error("--migration needs a snake_case name");
    writeMigration(name);
  }
  generateClients();
}
