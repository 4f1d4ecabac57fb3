import { createAccessToken, listAccessTokens, revokeAccessToken } from "../accounts/index.ts";
import type { AccessToken as AccessTokenRow } from "../db/generated/sqlite/client.ts";
import { DEFAULT_GLASSES_PERSONA, glassesSettingsOf, type TOPIC_STRATEGIES, updateGlassesSettings } from "../glasses/index.ts";
import { builder } from "./builder.ts";
import { requireSession, requireViewer } from "./context.ts";

/** The Glasses page's view of access tokens with the glasses scope (graphql/access-token.ts has them all). */
const GlassesToken = builder.prismaObject("AccessToken", {
  variant: "GlassesToken",
  description: "An access token with the glasses scope. The secret itself is shown only when created.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", { description: "The token's first characters, to tell tokens apart." }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CreatedGlassesToken = builder.objectRef<{ token: AccessTokenRow; secret: string }>("CreatedGlassesToken").implement({
  fields: (t) => ({
    token: t.field({ type: GlassesToken, resolve: (created) => created.token }),
    secret: t.exposeString("secret", { description: "Type this into the Noa app. It is not shown again." }),
  }),
});

const TopicStrategy = builder.enumType("GlassesTopicStrategy", {
  values: {
    NEVER: { description: "One chat until the app clears its history." },
    MODEL: { description: "The model judges whether a request starts a new topic." },
  },
});

builder.prismaObject("GlassesSettings", {
  fields: (t) => ({
    model: t.relation("model", { nullable: true, description: "The model that answers; none: the first active model." }),
    imageModel: t.relation("imageModel", { nullable: true, description: "Answers requests with a picture when the main model cannot see." }),
    persona: t.exposeString("persona", { description: "Empty: the built-in persona (defaultPersona)." }),
    defaultPersona: t.string({ resolve: () => DEFAULT_GLASSES_PERSONA }),
    temperature: t.exposeFloat("temperature", { nullable: true, description: "None: the model's own." }),
    maxTokens: t.exposeInt("maxTokens", { nullable: true, description: "None: the model's own." }),
    language: t.exposeString("language", { description: "Speech language code; empty: detect." }),
    spokenAnswers: t.exposeBoolean("spokenAnswers"),
    topicStrategy: t.field({ type: TopicStrategy, resolve: (s) => s.topicStrategy as (typeof TOPIC_STRATEGIES)[number] }),
  }),
});

const GlassesSettingsInput = builder.inputType("GlassesSettingsInput", {
  fields: (t) => ({
    modelId: t.id({ required: false }),
    imageModelId: t.id({ required: false }),
    persona: t.string({ required: false }),
    temperature: t.float({ required: false }),
    maxTokens: t.int({ required: false }),
    language: t.string({ required: false }),
    spokenAnswers: t.boolean({ required: false }),
    topicStrategy: t.field({ type: TopicStrategy, required: false }),
  }),
});

builder.queryFields((t) => ({
  glassesTokens: t.prismaField({
    type: [GlassesToken],
    description: "Live access tokens with the glasses scope.",
    resolve: (_query, _root, _args, ctx) => listAccessTokens(ctx.db, requireViewer(ctx).id, { scope: "glasses" }),
  }),
  glassesSettings: t.prismaField({
    type: "GlassesSettings",
    resolve: (_query, _root, _args, ctx) => glassesSettingsOf(ctx.db, requireViewer(ctx).id),
  }),
}));

builder.mutationFields((t) => ({
  createGlassesToken: t.field({
    type: CreatedGlassesToken,
    description: "An access token with the glasses scope alone. Only with a signed-in session.",
    args: { name: t.arg.string() },
    resolve: (_root, { name }, ctx) => createAccessToken(ctx.db, requireSession(ctx).id, { name, scopes: ["glasses"] }),
  }),
  revokeGlassesToken: t.id({
    description: "Revokes the token: glasses using it get 401 from then on. Returns the id. Only with a signed-in session.",
    args: { id: t.arg.id() },
    resolve: async (_root, { id }, ctx) => {
      requireSession(ctx);
      await revokeAccessToken(ctx.db, String(id));
      return id;
    },
  }),
  updateGlassesSettings: t.prismaField({
    type: "GlassesSettings",
    args: { input: t.arg({ type: GlassesSettingsInput }) },
    resolve: (_query, _root, { input }, ctx) =>
      updateGlassesSettings(ctx.db, requireViewer(ctx).id, {
        ...input,
        modelId: input.modelId == null ? input.modelId : String(input.modelId),
        imageModelId: input.imageModelId == null ? input.imageModelId : String(input.imageModelId),
      }),
  }),
}));
