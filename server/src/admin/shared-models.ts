/**
 * Shared models: an administrator defines a model, with the administrator's key, for every
 * user or for chosen ones. Users read and use them through the fence (accounts/fence.ts,
 * AiModel's shared rows) and never see the key; only this file writes them. Reached only
 * through the gate in service.ts.
 */
import type { SecretBox } from "../crypto/secret-box.ts";
import type { Db } from "../db/client.ts";
import type { AiModel, User } from "../db/generated/sqlite/client.ts";
import type { ProviderNetwork } from "../egress/index.ts";
import { invalidInput, notFound } from "../errors.ts";
import { checkModelInput, keyColumns, type ModelInput, modelNameKey, nameTaken } from "../models/index.ts";
import { readBudget } from "../usage/index.ts";

export interface SharedModelInput extends ModelInput {
  /** Offered to every user; false: only to `userIds`. */
  sharedWithAll?: boolean | null;
  /** The users it is offered to when not to everyone (replaces the list when given). */
  userIds?: readonly string[] | null;
  monthlyBudget?: number | null;
}

export interface SharedModelDeps {
  secrets: SecretBox;
  network: ProviderNetwork;
}

export type SharedModelView = AiModel & { grantedTo: { id: string; email: string; displayName: string }[] };

const withGrants = { grants: { include: { user: { select: { id: true, email: true, displayName: true } } }, orderBy: { createdAt: "asc" as const } } };
const view = (model: AiModel & { grants: { user: { id: string; email: string; displayName: string } }[] }): SharedModelView => {
  const { grants, ...row } = model;
  return { ...row, grantedTo: grants.map((grant) => grant.user) };
};

async function checkedUserIds(db: Db, ids: readonly string[] | null | undefined): Promise<string[] | undefined> {
  if (ids == null) return undefined;
  const unique = [...new Set(ids)];
  if (unique.length > 1000) throw invalidInput("userIds", "Offer a model to at most 1000 chosen users (or to everyone).");
  const found = await db.user.count({ where: { id: { in: unique } } });
  if (found !== unique.length) throw invalidInput("userIds", "Some of the chosen users do not exist (any more).");
  return unique;
}

export async function listSharedModels(db: Db): Promise<SharedModelView[]> {
  const models = await db.aiModel.findMany({ where: { shared: true }, include: withGrants, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return models.map(view);
}

export async function createSharedModel(db: Db, deps: SharedModelDeps, admin: User, input: SharedModelInput): Promise<SharedModelView> {
  const fields = await checkModelInput(input, true, deps.network);
  const userIds = (await checkedUserIds(db, input.userIds)) ?? [];
  const name = fields.name as string;
  const model = await db.aiModel
    .create({
      data: {
        ...(fields as { name: string; providerModelId: string; baseUrl: string }),
        ...keyColumns(deps.secrets, input.apiKey),
        userId: admin.id,
        shared: true,
        sharedWithAll: input.sharedWithAll ?? false,
        monthlyBudget: readBudget("monthlyBudget", input.monthlyBudget),
        nameKey: modelNameKey(name, { userId: admin.id, shared: true }),
        grants: { create: userIds.map((userId) => ({ userId })) },
      },
      include: withGrants,
    })
    .catch(nameTaken<never>(name, true));
  return view(model);
}

export async function updateSharedModel(db: Db, deps: SharedModelDeps, id: string, input: SharedModelInput): Promise<SharedModelView> {
  const existing = await db.aiModel.findFirst({ where: { id, shared: true } });
  if (!existing) throw notFound("Shared model");
  const fields = await checkModelInput(input, false, deps.network);
  const userIds = await checkedUserIds(db, input.userIds);
  const name = typeof fields.name === "string" ? fields.name : existing.name;
  await db
    .$transaction([
      db.aiModel.update({
        where: { id },
        data: {
          ...fields,
          ...keyColumns(deps.secrets, input.apiKey),
          ...(typeof fields.name === "string" ? { nameKey: modelNameKey(name, { userId: existing.userId, shared: true }) } : {}),
          ...(input.sharedWithAll != null ? { sharedWithAll: input.sharedWithAll } : {}),
          ...(input.monthlyBudget !== undefined ? { monthlyBudget: readBudget("monthlyBudget", input.monthlyBudget) } : {}),
        },
      }),
      ...(userIds
        ? [db.sharedModelGrant.deleteMany({ where: { modelId: id } }), db.sharedModelGrant.createMany({ data: userIds.map((userId) => ({ modelId: id, userId })) })]
        : []),
    ])
    .catch(nameTaken<never>(name, true));
  return view(await db.aiModel.findUniqueOrThrow({ where: { id }, include: withGrants }));
}

/** Deleted like a user's own model: the chats that used it stay, without a model. */
export async function deleteSharedModel(db: Db, id: string): Promise<void> {
  const { count } = await db.aiModel.deleteMany({ where: { id, shared: true } });
  if (count === 0) throw notFound("Shared model");
}
