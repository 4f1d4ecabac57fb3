/**
 * AI model definitions. `db` is the caller's fenced client (accounts/fence.ts), so
 * every query here only ever touches the owner's rows.
 */
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel } from "../db/generated/sqlite/client.ts";
import { checkProviderUrl, ProviderAddressRefused, type ProviderNetwork } from "../egress/index.ts";
import { isUniqueViolation } from "../db/races.ts";
import { AppError, invalidFields, notFound } from "../errors.ts";
import { type ModelInput, readModelInput } from "./validation.ts";

/** The stored form of an API key: sealed, plus its last four characters for display. */
function keyColumns(box: SecretBox, apiKey: string | null | undefined) {
  if (apiKey === undefined) return {};
  const key = apiKey?.trim() ?? "";
  if (key === "") return { apiKeyCiphertext: null, apiKeyLast4: null };
  return { apiKeyCiphertext: box.seal(key), apiKeyLast4: key.slice(-4) };
}

/** The user's own models, then the shared ones offered to them (the fence selects both). */
export function listModels(db: Db): Promise<AiModel[]> {
  return db.aiModel.findMany({ orderBy: [{ shared: "asc" }, { createdAt: "asc" }, { id: "asc" }] });
}

export async function getModel(db: Db, id: string): Promise<AiModel> {
  const model = await db.aiModel.findUnique({ where: { id } });
  if (!model) throw notFound("Model");
  return model;
}

const sharedRefused = (model: AiModel) =>
  new AppError("FORBIDDEN", `"${model.name}" is a shared model: only the server's administrators change it, on the Administration page.`);

/** One of the user's own models, to change or to test with its key; a shared one is FORBIDDEN. */
export async function getOwnModel(db: Db, id: string): Promise<AiModel> {
  const model = await getModel(db, id);
  if (model.shared) throw sharedRefused(model);
  return model;
}

/** A model name as compared: NFKC, spaces collapsed, lower case (so "GPT 4" and "gpt  4" are one name). */
export function normalizedModelName(name: string): string {
  return name.normalize("NFKC").replace(/\s+/g, " ").trim().toLowerCase();
}

/** The unique name key: per owner for a user's models, one namespace for shared models. */
export function modelNameKey(name: string, owner: { userId: string; shared: boolean }): string {
  return `${owner.shared ? "shared" : owner.userId}:${normalizedModelName(name)}`.slice(0, 191);
}

/** A name already in use (the unique name key) as the form's error on the name. */
export function nameTaken<T>(name: string, shared: boolean) {
  return (error: unknown): T => {
    if (isUniqueViolation(error)) {
      throw invalidFields({
        name: shared ? `A shared model is already named "${name}" (names are compared ignoring case).` : `You already have a model named "${name}" (names are compared ignoring case): choose another name.`,
      });
    }
    throw error;
  };
}

/**
 * The input's fields in storage form, or every wrong field at once; the base URL must also
 * lead where models may connect (egress/: checked again on every request).
 */
async function checkModelInput(input: ModelInput, creating: boolean, network: ProviderNetwork): Promise<Record<string, unknown>> {
  const { fields, problems } = readModelInput(input, creating);
  if (typeof fields.baseUrl === "string") {
    try {
      await checkProviderUrl(fields.baseUrl, network);
    } catch (error) {
      if (!(error instanceof ProviderAddressRefused)) throw error;
      problems.baseUrl = `Base URL: ${error.message}`;
    }
  }
  if (Object.keys(problems).length > 0) throw invalidFields(problems);
  return fields;
}

export async function createModel(db: Db, box: SecretBox, ownerId: string, input: ModelInput, network: ProviderNetwork): Promise<AiModel> {
  const fields = await checkModelInput(input, true, network);
  const name = fields.name as string;
  return db.aiModel
    .create({
      data: {
        ...(fields as { name: string; providerModelId: string; baseUrl: string }),
        ...keyColumns(box, input.apiKey),
        userId: ownerId,
        nameKey: modelNameKey(name, { userId: ownerId, shared: false }),
      },
    })
    .catch(nameTaken<AiModel>(name, false));
}

export async function updateModel(db: Db, box: SecretBox, id: string, input: ModelInput, network: ProviderNetwork): Promise<AiModel> {
  const fields = await checkModelInput(input, false, network);
  const model = await getOwnModel(db, id);
  const nameKey = typeof fields.name === "string" ? modelNameKey(fields.name, model) : undefined;
  return db.aiModel
    .update({ where: { id }, data: { ...fields, ...keyColumns(box, input.apiKey), ...(nameKey ? { nameKey } : {}) } })
    .catch(nameTaken<AiModel>(String(fields.name ?? model.name), false));
}

export async function deleteModel(db: Db, id: string): Promise<void> {
  await getOwnModel(db, id);
  const { count } = await db.aiModel.deleteMany({ where: { id } });
  if (count === 0) throw notFound("Model");
}

export { keyColumns, checkModelInput };

/** The plaintext key, for the moment of a provider call only. */
export function revealApiKey(box: SecretBox, model: Pick<AiModel, "apiKeyCiphertext">): string | undefined {
  return model.apiKeyCiphertext ? box.open(model.apiKeyCiphertext) : undefined;
}

/**
 * The model a new chat starts with: the one the user chose in their settings while it is
 * switched on, else the model of their most recently active chat that has a switched-on
 * one, else their first switched-on model; null when they have none.
 */
export async function defaultModelFor(db: Db, ownerId: string, preferredId: string | null): Promise<AiModel | null> {
  if (preferredId) {
    const preferred = await db.aiModel.findUnique({ where: { id: preferredId } });
    if (preferred?.active) return preferred;
  }
  const recent = await db.chat.findFirst({
    where: { userId: ownerId, model: { is: { active: true } } },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    select: { model: true },
  });
  if (recent?.model) return recent.model;
  return db.aiModel.findFirst({ where: { active: true }, orderBy: [{ shared: "asc" }, { createdAt: "asc" }, { id: "asc" }] });
}
