import { checkConnection, type ConnectionCheck } from "../generation/index.ts";
import { baseUrlProblem, createModel, deleteModel, getModel, getOwnModel, listModels, revealApiKey, updateModel } from "../models/index.ts";
import { invalidInput } from "../errors.ts";
import { builder } from "./builder.ts";
import { type GraphQLContext, requireViewer } from "./context.ts";

builder.prismaObject("AiModel", {
  name: "Model",
  description: "An AI model the user defined: an OpenAI-compatible endpoint, a model id and how to talk to it.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    providerModelId: t.exposeString("providerModelId", { description: "The provider's model id, e.g. openai/gpt-oss-20b:free." }),
    baseUrl: t.exposeString("baseUrl"),
    // The key is write-only: only whether one is set and its last four characters (none of it for a shared model).
    hasApiKey: t.boolean({ resolve: (model) => model.apiKeyCiphertext !== null }),
    apiKeyLast4: t.string({ nullable: true, resolve: (model) => (model.shared ? null : model.apiKeyLast4) }),
    shared: t.exposeBoolean("shared", {
      description: "Defined by an administrator and offered to this user: usable, not changeable, its key never shown.",
    }),
    description: t.exposeString("description"),
    bestUseCases: t.exposeString("bestUseCases"),
    inputCostPerMTok: t.float({ description: "Price per 1M input tokens.", resolve: (m) => Number(m.inputCostPerMTok) }),
    outputCostPerMTok: t.float({ description: "Price per 1M output tokens.", resolve: (m) => Number(m.outputCostPerMTok) }),
    maxTokens: t.exposeInt("maxTokens", { nullable: true }),
    contextWindow: t.exposeInt("contextWindow", {
      nullable: true,
      description: "Context window in tokens: older messages are left out of a request to fit it. Null: the server default.",
    }),
    temperature: t.exposeFloat("temperature"),
    systemPrompt: t.exposeString("systemPrompt"),
    supportsImages: t.exposeBoolean("supportsImages"),
    active: t.exposeBoolean("active"),
    chatCount: t.int({
      description: "How many of the user's chats talk to this model (they stay, without a model, if it is deleted).",
      resolve: (model, _args, ctx) => ctx.db.chat.count({ where: { modelId: model.id } }),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

export const modelFields = (required: boolean) =>
  ({
    fields: (t) => ({
      name: t.string({ required }),
      providerModelId: t.string({ required }),
      baseUrl: t.string({ required }),
      apiKey: t.string({ required: false, description: "Write-only. Omit to keep the stored key; null or empty to remove it." }),
      description: t.string({ required: false }),
      bestUseCases: t.string({ required: false }),
      inputCostPerMTok: t.float({ required: false }),
      outputCostPerMTok: t.float({ required: false }),
      maxTokens: t.int({ required: false }),
      contextWindow: t.int({ required: false }),
      temperature: t.float({ required: false }),
      systemPrompt: t.string({ required: false }),
      supportsImages: t.boolean({ required: false }),
      active: t.boolean({ required: false }),
    }),
  }) satisfies Parameters<typeof builder.inputType>[1];

const CreateModelInput = builder.inputType("CreateModelInput", modelFields(true));
const UpdateModelInput = builder.inputType("UpdateModelInput", modelFields(false));

builder.queryFields((t) => ({
  models: t.prismaField({
    type: ["AiModel"],
    description: "The viewer's own models, then the shared models offered to them.",
    resolve: (_query, _root, _args, ctx) => {
      requireViewer(ctx);
      return listModels(ctx.db);
    },
  }),
  model: t.prismaField({
    type: "AiModel",
    args: { id: t.arg.id() },
    resolve: (_query, _root, { id }, ctx) => {
      requireViewer(ctx);
      return getModel(ctx.db, String(id));
    },
  }),
}));

builder.mutationFields((t) => ({
  createModel: t.prismaField({
    type: "AiModel",
    args: { input: t.arg({ type: CreateModelInput }) },
    resolve: (_query, _root, { input }, ctx) => createModel(ctx.db, ctx.app.secrets, requireViewer(ctx).id, input, ctx.app.config.providerNetwork),
  }),
  updateModel: t.prismaField({
    type: "AiModel",
    args: { id: t.arg.id(), input: t.arg({ type: UpdateModelInput }) },
    resolve: (_query, _root, { id, input }, ctx) => {
      requireViewer(ctx);
      return updateModel(ctx.db, ctx.app.secrets, String(id), input, ctx.app.config.providerNetwork);
    },
  }),
  deleteModel: t.id({
    description: "Deletes the model; its chats stay, without a model. Returns the id.",
    args: { id: t.arg.id() },
    resolve: async (_root, { id }, ctx) => {
      requireViewer(ctx);
      await deleteModel(ctx.db, String(id));
      return id;
    },
  }),
}));

const ConnectionTestRef = builder.objectRef<ConnectionCheck>("ConnectionTest").implement({
  description: "What the provider answered, in words.",
  fields: (t) => ({
    ok: t.exposeBoolean("ok", { description: "True when the provider answered and offers the model (if one was named)." }),
    message: t.exposeString("message"),
    modelIds: t.exposeStringList("modelIds", { description: "The provider's model ids (GET {baseUrl}/models), sorted; empty when it has no list." }),
  }),
});

const ModelConnectionInput = builder.inputType("ModelConnectionInput", {
  description: "A provider to try: a saved model (modelId), a form's values, or a saved model with some values changed.",
  fields: (t) => ({
    modelId: t.id({ required: false, description: "A saved model: its values fill what is not given here, its stored key included." }),
    baseUrl: t.string({ required: false }),
    apiKey: t.string({ required: false, description: "Omit to use the saved model's key; empty for none." }),
    providerModelId: t.string({ required: false }),
  }),
});

/** The provider a connection input names, with the key in plain text for the call. */
async function connectionTarget(
  ctx: GraphQLContext,
  input: { modelId?: string | number | null; baseUrl?: string | null; apiKey?: string | null; providerModelId?: string | null },
) {
  // A shared model's key is the administrator's: it is never sent anywhere a user chooses.
  const saved = input.modelId == null ? null : await getOwnModel(ctx.db, String(input.modelId));
  const rawUrl = input.baseUrl ?? saved?.baseUrl ?? "";
  if (rawUrl.trim() === "") throw invalidInput("baseUrl", "Base URL is required.");
  const checked = baseUrlProblem(rawUrl);
  if ("problem" in checked) throw invalidInput("baseUrl", checked.problem);
  let apiKey = input.apiKey == null ? undefined : input.apiKey.trim() || undefined;
  if (input.apiKey === undefined || (input.apiKey === null && saved)) {
    try {
      apiKey = saved ? revealApiKey(ctx.app.secrets, saved) : undefined;
    } catch {
      throw invalidInput("apiKey", "The saved API key could not be decrypted (was the server's ENCRYPTION_KEY changed?). Enter the key again.");
    }
  }
  return { baseUrl: checked.url, apiKey, providerModelId: input.providerModelId ?? saved?.providerModelId ?? "" };
}

builder.mutationFields((t) => ({
  testModelConnection: t.field({
    type: ConnectionTestRef,
    description: "Asks the provider for its model list (or, without one, for a one-token answer) and says in words whether the model can be reached.",
    args: { input: t.arg({ type: ModelConnectionInput }) },
    resolve: async (_root, { input }, ctx) => {
      requireViewer(ctx);
      return checkConnection(await connectionTarget(ctx, input), ctx.app.config.providerNetwork);
    },
  }),
  fetchProviderModels: t.field({
    type: ConnectionTestRef,
    description: "The provider's model ids (GET {baseUrl}/models), to pick the model id from; ok is false, with the reason, when there is no list.",
    args: { input: t.arg({ type: ModelConnectionInput }) },
    resolve: async (_root, { input }, ctx) => {
      requireViewer(ctx);
      const target = await connectionTarget(ctx, input);
      const check = await checkConnection({ ...target, providerModelId: "" }, ctx.app.config.providerNetwork);
      return check.ok && check.modelIds.length === 0 ? { ...check, ok: false, message: "The provider lists no models: type the model id." } : check;
    },
  }),
}));
