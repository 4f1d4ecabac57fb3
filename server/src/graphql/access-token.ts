/**
 * Personal access tokens over GraphQL: list, create (the secret is in the answer, once)
 * and revoke. Managing tokens needs a signed-in session: a request authenticated by a
 * token cannot mint or revoke tokens (a leaked token must not outlive its revocation).
 */
import {
  createAccessToken,
  listAccessTokens,
  revokeAccessToken,
  scopesOf,
  type TokenScope,
} from "../accounts/index.ts";
import type { AccessToken as AccessTokenRow } from "../db/generated/sqlite/client.ts";
import { builder } from "./builder.ts";
import { requireSession } from "./context.ts";

export const TokenScopeEnum = builder.enumType("TokenScope", {
  values: {
    GLASSES: { value: "glasses", description: "The glasses route (/mm/mm/, the Noa app)." },
    GRAPHQL: { value: "graphql", description: "GraphQL at /graphql with Authorization: Bearer (HTTP, SSE, WebSocket connectionParams)." },
    OPENAI: { value: "openai", description: "The OpenAI-compatible API at /v1." },
  } satisfies Record<Uppercase<TokenScope>, { value: TokenScope; description: string }>,
});

export const AccessTokenObject = builder.prismaObject("AccessToken", {
  description: "A personal access token. The secret itself is shown only when created.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    prefix: t.exposeString("prefix", { description: "The token's first characters, to tell tokens apart." }),
    scopes: t.field({ type: [TokenScopeEnum], resolve: (token) => scopesOf(token) }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true, description: "None: never expires." }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
    lastUsedAt: t.expose("lastUsedAt", { type: "DateTime", nullable: true }),
    lastUsedAddress: t.string({ nullable: true, description: "The client address of the last use.", resolve: (token) => token.lastUsedAddress }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const CreatedAccessToken = builder.objectRef<{ token: AccessTokenRow; secret: string }>("CreatedAccessToken").implement({
  fields: (t) => ({
    token: t.field({ type: AccessTokenObject, resolve: (created) => created.token }),
    secret: t.exposeString("secret", { description: "Copy it now: it is not shown again." }),
  }),
});

const CreateAccessTokenInput = builder.inputType("CreateAccessTokenInput", {
  fields: (t) => ({
    name: t.string(),
    scopes: t.field({ type: [TokenScopeEnum] }),
    expiresAt: t.field({ type: "DateTime", required: false, description: "None: the token does not expire." }),
  }),
});

builder.queryFields((t) => ({
  accessTokens: t.prismaField({
    type: ["AccessToken"],
    description: "The viewer's access tokens, oldest first, revoked ones included (with their last use).",
    resolve: (_query, _root, _args, ctx) => listAccessTokens(ctx.db, requireSession(ctx).id, { includeRevoked: true }),
  }),
}));

builder.mutationFields((t) => ({
  createAccessToken: t.field({
    type: CreatedAccessToken,
    description: "Only with a signed-in session, not through a token.",
    args: { input: t.arg({ type: CreateAccessTokenInput }) },
    resolve: (_root, { input }, ctx) => createAccessToken(ctx.db, requireSession(ctx).id, input),
  }),
  revokeAccessToken: t.prismaField({
    type: "AccessToken",
    description: "The token is refused from then on (401 everywhere); it stays listed. Only with a signed-in session.",
    args: { id: t.arg.id() },
    resolve: (_query, _root, { id }, ctx) => {
      requireSession(ctx);
      return revokeAccessToken(ctx.db, String(id));
    },
  }),
}));
