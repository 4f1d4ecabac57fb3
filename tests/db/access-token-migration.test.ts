/**
 * The access-token migration on every database: each glasses token of the schema before
 * it becomes an access token with the glasses scope, and the glasses keep working with the
 * secret they were given (the same hash), while it gives GraphQL nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { createApp, createServices } from "../../server/src/app.ts";
import { hashToken } from "../../server/src/crypto/tokens.ts";
import { applyMigrations, listMigrations } from "../../server/src/db/migrate.ts";
import { parseConfig } from "../../server/src/env.ts";
import type { SpeechToText } from "../../server/src/speech/index.ts";
import { freshDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
beforeAll(async () => {
  const migration = listMigrations("sqlite").find((m) => m.name.endsWith("_access_tokens"))!;
  database = await freshDatabase({ migrationsBefore: migration.name });
});
afterAll(() => database.drop());

test("glasses tokens become glasses-scoped access tokens; the same secret still opens the glasses route", async () => {
  const { db, provider } = database;
  const q = (name: string) => (provider === "mysql" ? `\`${name}\`` : `"${name}"`);
  const columns = (names: string[]) => names.map(q).join(", ");
  await db.$executeRawUnsafe(
    `INSERT INTO ${q("User")} (${columns(["id", "email", "passwordHash", "displayName", "role", "updatedAt"])}) VALUES ('u1', 'old@example.com', 'x', 'Old', 'MEMBER', CURRENT_TIMESTAMP)`,
  );
  const secret = "aiui_gl_an-old-secret-the-glasses-still-have";
  await db.$executeRawUnsafe(
    `INSERT INTO ${q("GlassesToken")} (${columns(["id", "userId", "name", "tokenHash", "prefix", "lastUsedAt"])}) VALUES ('t1', 'u1', 'My Frame', '${hashToken(secret)}', 'aiui_gl_an-old', CURRENT_TIMESTAMP)`,
  );

  await applyMigrations(db, provider);

  const token = await db.accessToken.findUniqueOrThrow({ where: { id: "t1" } });
  expect(token).toMatchObject({ userId: "u1", name: "My Frame", prefix: "aiui_gl_an-old", scopes: "glasses", expiresAt: null, revokedAt: null });
  expect(token.lastUsedAt).not.toBeNull();

  const config = parseConfig({ NODE_ENV: "test", DATABASE_URL: database.url, DATA_DIR: "/tmp" });
  const encryptionKey = randomBytes(32);
  const speech: SpeechToText = { transcribe: async () => ({ text: "" }) } as unknown as SpeechToText;
  const services = createServices({ config, db, encryptionKey });
  const app = createApp({ config, db, encryptionKey, speech }, services);
  try {
    const glasses = (bearer: string) => app.handle(new Request("http://aiui.test/mm/mm/", { method: "POST", headers: { authorization: `Bearer ${bearer}` } }));
    // Past authentication: the empty form is what is wrong now (400), not the token (401).
    expect((await glasses(secret)).status).toBe(400);
    expect((await glasses(`${secret}x`)).status).toBe(401);
    const graphql = await app.handle(
      new Request("http://aiui.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      }),
    );
    expect(graphql.status).toBe(403);
  } finally {
    await services.replies.close();
  }
});
