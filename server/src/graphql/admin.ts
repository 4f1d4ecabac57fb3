/** Administration of accounts and everyone's usage: every field goes through app.admin.forViewer, the one admin gate. */
import type { AdminActions } from "../admin/index.ts";
import { builder } from "./builder.ts";
import type { GraphQLContext } from "./context.ts";
import { page } from "./pages.ts";
import { UsageReportRef, UsageTotalsRef } from "./usage.ts";

const admin = (ctx: GraphQLContext): AdminActions => ctx.app.admin.forViewer(ctx.viewer);
type AdminUserView = Awaited<ReturnType<AdminActions["user"]>>;

const AccountRole = builder.enumType("AccountRole", { values: ["ADMIN", "MEMBER"] as const });

const AdminUser = builder.objectRef<AdminUserView>("AdminUser").implement({
  description: "An account as administrators see it.",
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    displayName: t.exposeString("displayName"),
    role: t.field({ type: AccountRole, resolve: (user) => user.role }),
    active: t.boolean({ resolve: (user) => user.deactivatedAt === null }),
    deactivatedAt: t.expose("deactivatedAt", { type: "DateTime", nullable: true }),
    monthlyBudget: t.float({ nullable: true, description: "Spending limit per calendar month (UTC); null: none.", resolve: (user) => (user.monthlyBudget === null ? null : Number(user.monthlyBudget)) }),
    monthUsage: t.field({ type: UsageTotalsRef, description: "This calendar month's usage (UTC).", resolve: (user) => user.monthUsage }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const DeletedAccount = builder
  .objectRef<Awaited<ReturnType<AdminActions["deleteUser"]>>>("DeletedAccount")
  .implement({
    description: "What deleting an account removed.",
    fields: (t) => ({
      email: t.exposeString("email"),
      chats: t.exposeInt("chats"),
      messages: t.exposeInt("messages"),
      models: t.exposeInt("models"),
      memories: t.exposeInt("memories"),
      accessTokens: t.exposeInt("accessTokens"),
      sessions: t.exposeInt("sessions"),
      sharedModelsKept: t.exposeInt("sharedModelsKept", { description: "Shared models it had defined: kept, now the deleting administrator's." }),
    }),
  });

builder.queryFields((t) => ({
  adminUsers: t.connection({
    type: AdminUser,
    description: "Administrators: every account, oldest first; `search` finds a part of the email or display name.",
    args: { search: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => {
      const actions = admin(ctx);
      return page(ctx, `admin-users:${args.search ?? ""}`, args, (query) =>
        actions.users({ search: args.search, afterId: query.cursorId, take: query.take, inverted: query.inverted }),
      );
    },
  }),
  adminUserCount: t.int({
    description: "Administrators: how many accounts match `search` (all without it).",
    args: { search: t.arg.string({ required: false }) },
    resolve: (_root, { search }, ctx) => admin(ctx).countUsers(search),
  }),
  usageReport: t.field({
    type: UsageReportRef,
    description: "Administrators: everyone's usage from..to (YYYY-MM-DD, UTC; default the last 30 days), or one user's.",
    args: { from: t.arg.string({ required: false }), to: t.arg.string({ required: false }), userId: t.arg.id({ required: false }) },
    resolve: (_root, { from, to, userId }, ctx) => admin(ctx).usage({ from, to }, userId == null ? null : String(userId)),
  }),
}));

builder.mutationFields((t) => ({
  deactivateUser: t.field({
    type: AdminUser,
    description: "Administrators: the account can no longer sign in; its sessions end and its access tokens answer 401.",
    args: { id: t.arg.id() },
    resolve: (_root, { id }, ctx) => admin(ctx).deactivateUser(String(id)),
  }),
  reactivateUser: t.field({
    type: AdminUser,
    description: "Administrators: the account may sign in again (its access tokens work again).",
    args: { id: t.arg.id() },
    resolve: (_root, { id }, ctx) => admin(ctx).reactivateUser(String(id)),
  }),
  setUserRole: t.field({
    type: AdminUser,
    description: "Administrators: makes or removes an administrator; the last active administrator stays (CONFLICT).",
    args: { id: t.arg.id(), role: t.arg({ type: AccountRole }) },
    resolve: (_root, { id, role }, ctx) => admin(ctx).setRole(String(id), role),
  }),
  setUserBudget: t.field({
    type: AdminUser,
    description: "Administrators: the account's monthly budget in the currency of the model prices; null removes it.",
    args: { id: t.arg.id(), monthlyBudget: t.arg.float({ required: false }) },
    resolve: (_root, { id, monthlyBudget }, ctx) => admin(ctx).setUserBudget(String(id), monthlyBudget),
  }),
  deleteUser: t.field({
    type: DeletedAccount,
    description: "Administrators: deletes the account with its chats, models, memories, tokens and sessions. `confirmEmail` must repeat its email.",
    args: { id: t.arg.id(), confirmEmail: t.arg.string() },
    resolve: (_root, { id, confirmEmail }, ctx) => admin(ctx).deleteUser(String(id), confirmEmail),
  }),
}));
