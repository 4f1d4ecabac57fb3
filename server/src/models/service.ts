/**
 * AI model definitions. `db` is the caller's fenced client (accounts/fence.ts), so
 * every query here only ever touches the owner's rows.
 */
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import { checkProviderUrl, ProviderAddressRefused, type ProviderNetwork } from "../egress/index.ts";
import { invalidInput, notFound } from "../errors.ts";
import { checkModelInput, type ModelInput } from "./validation.ts";

/** The stored form of an API key: sealed, plus its last four characters for display. */
function keyColumns(box: SecretBox, apiKey: string | null | undefined) {
  if (apiKey === undefined) return {};
  const key = apiKey?.trim() ?? "";
  if (key === "") return { apiKeyCiphertext: null, apiKeyLast4: null };
  return { apiKeyCiphertext: box.seal(key), apiKeyLast4: key.slice(-4) };
}

export function listModels(db: Db, ownerId: string): Promise<AiModel[]> {
  return db.aiModel.findMany({ where: { userId: ownerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

export async function getModel(db: Db, id: string): Promise<AiModel> {
  const model = await db.aiModel.findUnique({ where: { id } });
  if (!model) throw notFound("Model");
  return model;
}

/** The base URL must lead where models may connect (egress/: checked again on every request). */
async function checkReachable(baseUrl: unknown, network: ProviderNetwork): Promise<void> {
  if (typeof baseUrl !== "string") return;
  try {
    await checkProviderUrl(baseUrl, network);
  } catch (error) {
    if (error instanceof ProviderAddressRefused) throw invalidInput("baseUrl", `baseUrl: ${error.message}`);
    throw error;
  }
}

export async function createModel(db: Db, box: SecretBox, ownerId: string, input: ModelInput, network: ProviderNetwork): Promise<AiModel> {
  const fields = checkModelInput(input, true);
  await checkReachable(fields.baseUrl, network);
  return db.aiModel.create({
    data: { ...(fields as { name: string; providerModelId: string; baseUrl: string }), ...keyColumns(box, input.apiKey), userId: ownerId },
  });
}

export async function updateModel(db: Db, box: SecretBox, id: string, input: ModelInput, network: ProviderNetwork): Promise<AiModel> {
  const fields = checkModelInput(input, false);
  await checkReachable(fields.baseUrl, network);
  await getModel(db, id);
  return db.aiModel.update({ where: { id }, data: { ...fields, ...keyColumns(box, input.apiKey) } });
}

export async function deleteModel(db: Db, id: string): Promise<void> {
  const { count } = await db.aiModel.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Model");
}

/** The plaintext key, for the moment of a provider call only. */
export function revealApiKey(box: SecretBox, model: Pick<AiModel, "apiKeyCiphertext">): string | undefined {
  return model.apiKeyCiphertext ? box.open(model.apiKeyCiphertext) : undefined;
}
