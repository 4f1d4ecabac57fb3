/**
 * `bun run admin <command>`: account rescue on the server itself, for an administrator who
 * cannot sign in. Reads the same configuration as the server (DATABASE_URL, PUBLIC_URL…).
 *
 *   bun run admin list-users
 *   bun run admin reset-password <email> [--password-stdin]
 *   bun run admin create-admin <email> [--name "Display name"] [--password-stdin]
 *
 * Without --password-stdin a one-time link (an hour) is printed, to open in a browser; with
 * it, the password is read from standard input (never from the command line, which other
 * users of the machine can see). Changing a password ends every session of the account; with
 * REDIS_URL set, running servers hear of it at once (without, within their session cache's minute).
 */
import { commandLineAccounts, IDENTITY_TOPIC } from "./accounts/index.ts";
import { openDatabase } from "./db/client.ts";
import { ensureDataDir } from "./db/data-dir.ts";
import { applyMigrations } from "./db/migrate.ts";
import { ConfigError, parseConfig } from "./env.ts";
import { AppError } from "./errors.ts";
import { Redis } from "ioredis";

const USAGE = `Usage:
  bun run admin list-users
  bun run admin reset-password <email> [--password-stdin]
  bun run admin create-admin <email> [--name "Display name"] [--password-stdin]`;

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

const args = process.argv.slice(2);
const command = args[0];
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const positional = args.slice(1).filter((arg, i, all) => !arg.startsWith("--") && all[i - 1] !== "--name");

if (!command || !["list-users", "reset-password", "create-admin"].includes(command)) fail(USAGE, 2);
if (command !== "list-users" && positional.length !== 1) fail(USAGE, 2);

let config: ReturnType<typeof parseConfig>;
try {
  config = parseConfig(process.env);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}

async function passwordFromStdin(): Promise<string | undefined> {
  if (!flag("--password-stdin")) return undefined;
  const text = await Bun.stdin.text();
  // One line: what `echo` or a password manager's pipe gives, without its newline.
  return text.replace(/\r?\n$/, "");
}

ensureDataDir(config);
const database = await openDatabase(config.database.url, config.database.provider, { timeoutMs: 0 });
// Running servers remember sessions and users for a minute; told over Redis (the replies' bus:
// JSON on the topic's channel, generation/bus.ts), they forget them now.
const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true }) : null;
async function tellRunningServers(userId: string): Promise<void> {
  if (!redis) return;
  await redis.publish(IDENTITY_TOPIC, JSON.stringify({ userId })).catch((error: Error) => {
    console.error(`Running servers could not be told over Redis (${error.message}); they notice within a minute.`);
  });
}
try {
  await applyMigrations(database.db, database.provider, () => {});
  const baseUrl = config.publicUrl ?? `http://localhost:${config.port}`;
  const accounts = commandLineAccounts(database.db, baseUrl, tellRunningServers);
  if (command === "list-users") {
    const users = await accounts.listUsers();
    if (users.length === 0) console.log("No accounts yet: the first to sign up becomes the administrator (or use create-admin).");
    for (const user of users) {
      console.log(`${user.email}\t${user.role}\t${user.displayName}\tsince ${user.createdAt.toISOString().slice(0, 10)}\t${user.sessions} session(s)`);
    }
  } else if (command === "reset-password") {
    const link = await accounts.resetPassword(positional[0]!, await passwordFromStdin());
    if (link) {
      console.log(`One-time link to choose a new password for ${positional[0]} (valid until ${link.expiresAt.toISOString()}):`);
      console.log(link.url);
    } else {
      console.log(`Password of ${positional[0]} changed; every session of the account was signed out.`);
    }
  } else {
    const { created, link } = await accounts.createAdmin(positional[0]!, { name: option("--name"), password: await passwordFromStdin() });
    console.log(created ? `Administrator ${positional[0]} created.` : `${positional[0]} already had an account: it is now an administrator.`);
    if (link) {
      console.log(`One-time link to choose the password (valid until ${link.expiresAt.toISOString()}):`);
      console.log(link.url);
    }
  }
} catch (error) {
  if (error instanceof AppError) fail(error.message);
  throw error;
} finally {
  await database.close();
  await redis?.quit().catch(() => {});
}
