/**
 * Which test folders run on which database (read by tests/run.ts). Every folder under tests/
 * that holds tests is named in exactly one list; tests/structure/test-passes.test.ts fails
 * when a new folder is in none, so a feature's tests cannot silently run on SQLite alone.
 */

/** Run once per database: SQLite, and PostgreSQL / MySQL when their URLs are set. */
export const DATABASE_TESTS = [
  "tests/db",
  "tests/accounts",
  "tests/admin",
  "tests/models",
  "tests/chats",
  "tests/search",
  "tests/graphql",
  "tests/server",
  "tests/streaming",
  "tests/glasses",
  "tests/memory",
  "tests/fuzz",
  "tests/tokens",
  "tests/openai-api",
];

/**
 * SQLite pass only: no database at all (speech, the fake provider, structure), SQLite itself
 * (tests/sqlite), or what does not change with the database (the browser, the provider URL
 * policy, start-up and shutdown).
 */
export const SQLITE_ONLY_TESTS = ["tests/egress", "tests/speech", "tests/sqlite", "tests/startup", "tests/structure", "tests/support", "tests/web"];

/** Two server processes sharing PostgreSQL and Redis (TEST_REDIS_URL): the PostgreSQL pass only. */
export const MULTI_INSTANCE = "tests/multi-instance";
