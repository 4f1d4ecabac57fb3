/** Start-up: configuration, data folder, database and migrations, then serve. */
import { createApp } from "./app.ts";
import { resolveEncryptionKey } from "./crypto/secret-box.ts";
import { openDatabase } from "./db/client.ts";
import { ensureDataDir } from "./db/data-dir.ts";
import { applyMigrations } from "./db/migrate.ts";
import { ConfigError, parseConfig } from "./env.ts";

const log = (line: string) => console.log(`[aiui] ${line}`);

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

ensureDataDir(config);
const encryptionKey = resolveEncryptionKey(config.encryptionKey, config.dataDir, log);
const database = await openDatabase(config.database.url, config.database.provider);
await applyMigrations(database.db, database.provider, log);

const app = createApp({ config, db: database.db, encryptionKey }).listen({ hostname: config.host, port: config.port });
log(`serving on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${app.server?.port} (${config.database.provider} database)`);

const shutdown = async () => {
  await app.stop();
  await database.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
