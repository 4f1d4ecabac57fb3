/**
 * The fence is structural: every Prisma model is classified in FENCE_RULES, a model the
 * rules do not name cannot be used through the fence at all, and raw SQL is refused
 * through it. (tests/graphql/fence.test.ts checks what each root field lets each user do.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FENCE_RULES, FenceViolation, fenceFor } from "../../server/src/accounts/fence.ts";
import { getDatamodel } from "../../server/src/db/generated/pothos-types.ts";
import { AppError } from "../../server/src/errors.ts";
import { freshDatabase, type TestDatabase } from "../support/database.ts";

let database: TestDatabase;
let ownerId: string;
let otherId: string;

beforeAll(async () => {
  database = await freshDatabase();
  const user = (email: string) => database.db.user.create({ data: { email, passwordHash: "x", displayName: email } });
  ownerId = (await user("owner@example.com")).id;
  otherId = (await user("other@example.com")).id;
  const chat = await database.db.chat.create({ data: { userId: ownerId, title: "Mine" } });
  const message = await database.db.message.create({ data: { chatId: chat.id, role: "USER", content: "hi" } });
  await database.db.attachment.create({ data: { messageId: message.id, mimeType: "image/jpeg", byteSize: 1, data: new Uint8Array([1]) } });
});
afterAll(() => database.drop());

test("every model of the Prisma schema is classified, and every rule names a model that exists", () => {
  const models = Object.keys(getDatamodel().datamodel.models).sort();
  expect(Object.keys(FENCE_RULES).sort()).toEqual(models);
});

test("a model the rules do not classify cannot be read or written through the fence", async () => {
  // The schema as it would be with a new model nobody classified: Attachment stands in for it.
  const { Attachment: _unclassified, ...rules } = FENCE_RULES;
  const fenced = fenceFor(database.db, ownerId, rules);
  for (const attempt of [
    () => fenced.attachment.findMany(),
    () => fenced.attachment.count(),
    () => fenced.attachment.deleteMany(),
  ]) {
    const error = await attempt().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FenceViolation);
    expect((error as Error).message).toContain("does not know the model Attachment");
  }
  // The rows are still there, and the classified models still work.
  expect(await database.db.attachment.count()).toBe(1);
  expect(await fenced.chat.count()).toBe(1);
});

test("with the real rules the owner sees their attachment and another user sees none", async () => {
  expect(await fenceFor(database.db, ownerId).attachment.count()).toBe(1);
  expect(await fenceFor(database.db, otherId).attachment.count()).toBe(0);
});

test("raw SQL is refused through the fence: it cannot be filtered by owner", async () => {
  const fenced = fenceFor(database.db, otherId);
  // (Never run: refused before the SQL reaches the database, so the quoting of any one database does.)
  expect(await fenced.$queryRawUnsafe('SELECT * FROM "Chat"').catch((e: unknown) => e)).toBeInstanceOf(FenceViolation);
  expect(await fenced.$executeRawUnsafe('DELETE FROM "Chat"').catch((e: unknown) => e)).toBeInstanceOf(FenceViolation);
  expect(await database.db.chat.count()).toBe(1);
});

test("sessions cannot be created through the fence (only sign-in starts one)", async () => {
  const error = await fenceFor(database.db, otherId)
    .session.create({ data: { userId: ownerId, tokenHash: "forged", expiresAt: new Date(Date.now() + 60_000) } })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FenceViolation);
  expect(await database.db.session.count()).toBe(0);
});

test("a row keeps its owner: userId (or the user relation) cannot be written through the fence, so rows found to be the user's stay so", async () => {
  const fenced = fenceFor(database.db, ownerId);
  const chat = await fenced.chat.create({ data: { title: "Keep" } as never });
  for (const attempt of [
    () => fenced.chat.update({ where: { id: chat.id }, data: { userId: otherId } }),
    () => fenced.chat.updateMany({ where: { id: chat.id }, data: { userId: otherId } }),
    () => fenced.chat.update({ where: { id: chat.id }, data: { user: { connect: { id: otherId } } } }),
    () => fenced.chat.upsert({ where: { id: chat.id }, create: { title: "x" } as never, update: { userId: otherId } }),
  ]) {
    expect(await attempt().catch((e: unknown) => e)).toBeInstanceOf(FenceViolation);
  }
  expect((await database.db.chat.findUniqueOrThrow({ where: { id: chat.id } })).userId).toBe(ownerId);
});

test("a row deleted through the fence is not taken for the user's any more: a reference to it is NOT_FOUND", async () => {
  const fenced = fenceFor(database.db, ownerId);
  const model = await fenced.aiModel.create({ data: { name: "Gone", providerModelId: "x", baseUrl: "https://example.com/v1", apiKeyCiphertext: "x", apiKeyLast4: "abcd" } as never });
  await fenced.chat.create({ data: { title: "Uses it", modelId: model.id } as never });
  await fenced.aiModel.delete({ where: { id: model.id } });
  const error = await fenced.chat.create({ data: { title: "Too late", modelId: model.id } as never }).catch((e: unknown) => e);
  expect(error, String(error)).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe("NOT_FOUND");
});
