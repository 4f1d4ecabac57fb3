import { createModel, deleteModel, getModel, listModels, updateModel } from "../models/index.ts";
import { builder } from "./builder.ts";
import { requireViewer } from "./context.ts";

builder.prismaObject("AiModel", {
  name: "Model",
  description: "An AI model the user defined: an OpenAI-compatible endpoint, a model id and how to talk to it.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    providerModelId: t.exposeString("providerModelId", { description: "The provider's model id, e.g. openai/gpt-oss-20b:free." }),
    baseUrl: t.exposeString("baseUrl"),
    // The key is write-only: only whether one is set and its last four characters.
    hasApiKey: t.boolean({ resolve: (model) => model.apiKeyCiphertext !== null }),
    apiKeyLast4: t.exposeString("apiKeyLast4", { nullable: true }),
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
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const modelFields = (required: boolean) =>
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
    resolve: (_query, _root, _args, ctx) => listModels(ctx.db, requireViewer(ctx).id),
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
