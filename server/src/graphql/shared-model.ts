/** Shared models as administrators manage them (users see them as Model, with `shared: true`, and no key). */
import type { AdminActions } from "../admin/index.ts";
import { builder } from "./builder.ts";
import type { GraphQLContext } from "./context.ts";
import { modelFields } from "./model.ts";

const admin = (ctx: GraphQLContext): AdminActions => ctx.app.admin.forViewer(ctx.viewer);
type SharedModelView = Awaited<ReturnType<AdminActions["sharedModels"]>>[number];

const GrantedUser = builder.objectRef<SharedModelView["grantedTo"][number]>("SharedModelUser").implement({
  fields: (t) => ({ id: t.exposeID("id"), email: t.exposeString("email"), displayName: t.exposeString("displayName") }),
});

const SharedModel = builder.objectRef<SharedModelView>("SharedModel").implement({
  description: "A model an administrator offers to every user or to chosen ones, with the administrator's key.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    providerModelId: t.exposeString("providerModelId"),
    baseUrl: t.exposeString("baseUrl"),
    hasApiKey: t.boolean({ resolve: (model) => model.apiKeyCiphertext !== null }),
    apiKeyLast4: t.exposeString("apiKeyLast4", { nullable: true, description: "For administrators only; users never see any of it." }),
    description: t.exposeString("description"),
    inputCostPerMTok: t.float({ resolve: (m) => Number(m.inputCostPerMTok) }),
    outputCostPerMTok: t.float({ resolve: (m) => Number(m.outputCostPerMTok) }),
    maxTokens: t.exposeInt("maxTokens", { nullable: true }),
    contextWindow: t.exposeInt("contextWindow", { nullable: true }),
    temperature: t.exposeFloat("temperature"),
    systemPrompt: t.exposeString("systemPrompt"),
    supportsImages: t.exposeBoolean("supportsImages"),
    active: t.exposeBoolean("active"),
    sharedWithAll: t.exposeBoolean("sharedWithAll", { description: "Offered to every user; false: to grantedTo only." }),
    grantedTo: t.field({ type: [GrantedUser], resolve: (model) => model.grantedTo }),
    monthlyBudget: t.float({ nullable: true, description: "Spending limit per calendar month (UTC), all users together.", resolve: (m) => (m.monthlyBudget === null ? null : Number(m.monthlyBudget)) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const sharingFields = (required: boolean) =>
  ({
    fields: (t) => ({
      ...modelFields(required).fields(t),
      sharedWithAll: t.boolean({ required: false, description: "Offer it to every user (default false: only to userIds)." }),
      userIds: t.idList({ required: false, description: "The users it is offered to when not to everyone; replaces the list." }),
      monthlyBudget: t.float({ required: false, description: "Per calendar month, all users together; null: none." }),
    }),
  }) satisfies Parameters<typeof builder.inputType>[1];

const CreateSharedModelInput = builder.inputType("CreateSharedModelInput", sharingFields(true));
const UpdateSharedModelInput = builder.inputType("UpdateSharedModelInput", sharingFields(false));

const asInput = <T extends { userIds?: readonly (string | number)[] | null }>(input: T) => ({
  ...input,
  userIds: input.userIds?.map(String),
});

builder.queryField("sharedModels", (t) =>
  t.field({
    type: [SharedModel],
    description: "Administrators: the shared models, with whom each is shared.",
    resolve: (_root, _args, ctx) => admin(ctx).sharedModels(),
  }),
);

builder.mutationFields((t) => ({
  createSharedModel: t.field({
    type: SharedModel,
    description: "Administrators: a model offered to every user or to chosen ones; names are unique among shared models (ignoring case).",
    args: { input: t.arg({ type: CreateSharedModelInput }) },
    resolve: (_root, { input }, ctx) => admin(ctx).createSharedModel(asInput(input)),
  }),
  updateSharedModel: t.field({
    type: SharedModel,
    description: "Administrators: changes a shared model; switching it off (active: false) stops it for everyone's chats.",
    args: { id: t.arg.id(), input: t.arg({ type: UpdateSharedModelInput }) },
    resolve: (_root, { id, input }, ctx) => admin(ctx).updateSharedModel(String(id), asInput(input)),
  }),
  deleteSharedModel: t.boolean({
    description: "Administrators: deletes a shared model; chats that used it stay, without a model.",
    args: { id: t.arg.id() },
    resolve: (_root, { id }, ctx) => admin(ctx).deleteSharedModel(String(id)),
  }),
}));
