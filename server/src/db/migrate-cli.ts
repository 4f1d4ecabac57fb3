/** `bun run db:migrate`: applies pending migrations to DATABASE_URL and exits. */
import { parseConfig } from "../env.ts";
import { openDatabase } from "./client.ts";
import { applyMigrations } from "./migrate.ts";
import { ensureDataDir } from "./data-dir.ts";

const config = parseConfig(process.env);
ensureDataDir(config);
const database = await openDatabase(config.database.url, config.database.provider);
try {
  const applied = await applyMigrations(database.db, database.provider, console.log);
  console.log(applied.length ? `${applied.length} migration(s) applied` : "database is up to date");
} finally {
  await database.close();
}
