/** Start-up: configuration, data folder, database and migrations, then serve. */
import { createApp, createServices } from "./app.ts";
import { resolveEncryptionKey } from "./crypto/secret-box.ts";
import { openDatabase } from "./db/client.ts";
import { ensureDataDir } from "./db/data-dir.ts";
import { applyMigrations } from "./db/migrate.ts";
import { ConfigError, parseConfig } from "./env.ts";
import { speechFromConfig } from "./speech/index.ts";

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
// Migrations may rightly take longer than a request may wait: they run on a client of their own, without the time limit.
const migrating = await openDatabase(config.database.url, config.database.provider, { timeoutMs: 0 });
await applyMigrations(migrating.db, migrating.provider, log);
await migrating.close();
const database = await openDatabase(config.database.url, config.database.provider, { timeoutMs: config.database.timeoutMs, log: (line) => console.error(`[aiui] ${line}`) });

const speech = speechFromConfig(config.speech, log);
const services = createServices({ config, db: database.db, encryptionKey });
// Replies a previous run left STREAMING (a crash) end FAILED saying so, keeping their text; then
// the sweep keeps ending replies whose writer is gone (their lease ran out).
const interrupted = await services.replies.recover().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
if (interrupted.length > 0) log(`marked ${interrupted.length} interrupted repl${interrupted.length === 1 ? "y" : "ies"} as failed`);
// Signal handlers go in before the server is announced: whoever waits for "serving on"
// (a supervisor, the start-up test) may stop it the moment it reads that line, and a
// SIGTERM that arrived before them would kill the process with 143 instead of a clean stop.
let app: ReturnType<typeof createApp> | null = null;
const shutdown = async () => {
  // Replies in progress end FAILED (the server stopped) with their text written, and their followers are told.
  await services.replies.close();
  // The glasses' usage rows written after their answers went out.
  await services.glassesUsage.settled();
  // Learning from the last exchanges finishes (briefly), and last-used times are written.
  await services.memory.close();
  // Reset e-mails already asked for are handed over.
  await services.accounts.passwordReset.settled();
  services.accounts.passwordReset.close();
  await app?.stop();
  await speech.close();
  await database.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

app = createApp({ config, db: database.db, encryptionKey, speech }, services).listen({ hostname: config.host, port: config.port });
log(`serving on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${app.server?.port} (${config.database.provider} database)`);
