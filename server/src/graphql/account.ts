/**
 * "Your account": email, password and sessions of the signed-in user (accounts/own-account.ts).
 * The display name changes with updateSettings (user.ts).
 */
import type { SessionView } from "../accounts/index.ts";
import { builder } from "./builder.ts";
import { requireSession } from "./context.ts";

const AccountSession = builder.objectRef<SessionView>("AccountSession").implement({
  description: "One of the viewer's signed-in browsers or devices.",
  fields: (t) => ({
    id: t.exposeID("id"),
    device: t.exposeString("device", { description: 'Browser and system from the User-Agent at sign-in, e.g. "Firefox on Windows".' }),
    browser: t.exposeString("browser", { nullable: true }),
    system: t.exposeString("system", { nullable: true }),
    clientAddress: t.exposeString("clientAddress", { description: "The address it signed in from." }),
    signedInAt: t.expose("signedInAt", { type: "DateTime" }),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", description: "When it was last used (to the minute)." }),
    current: t.exposeBoolean("current", { description: "True for the session making this request." }),
  }),
});

builder.queryField("mySessions", (t) =>
  t.field({
    type: [AccountSession],
    description: "The viewer's live sessions: this one first, then the most recently used.",
    resolve: (_root, _args, ctx) => {
      requireSession(ctx);
      return ctx.app.accounts.ownAccount.listSessions(ctx.db, ctx.sessionToken);
    },
  }),
);

const ChangeEmailInput = builder.inputType("ChangeEmailInput", {
  fields: (t) => ({
    newEmail: t.string(),
    password: t.string({ description: "The current password, to show it is the account's owner asking." }),
  }),
});

const ChangePasswordInput = builder.inputType("ChangePasswordInput", {
  fields: (t) => ({ currentPassword: t.string(), newPassword: t.string() }),
});

builder.mutationFields((t) => ({
  changeEmail: t.prismaField({
    type: "User",
    description: "Changes the viewer's email (the one used to sign in). Asks for the current password.",
    args: { input: t.arg({ type: ChangeEmailInput }) },
    resolve: (_query, _root, { input }, ctx) => ctx.app.accounts.ownAccount.changeEmail(ctx.db, requireSession(ctx).id, input),
  }),
  changePassword: t.prismaField({
    type: "User",
    description: "Changes the viewer's password (asks for the current one) and signs out every other session.",
    args: { input: t.arg({ type: ChangePasswordInput }) },
    resolve: async (_query, _root, { input }, ctx) =>
      (await ctx.app.accounts.ownAccount.changePassword(ctx.db, requireSession(ctx).id, ctx.sessionToken, input)).user,
  }),
  signOutSession: t.id({
    description: "Signs out one of the viewer's sessions (another browser or device); returns its id.",
    args: { id: t.arg.id() },
    resolve: (_root, { id }, ctx) => {
      requireSession(ctx);
      return ctx.app.accounts.ownAccount.endSession(ctx.db, String(id));
    },
  }),
  signOutOtherSessions: t.int({
    description: "Signs out every session of the viewer but this one; returns how many ended.",
    resolve: async (_root, _args, ctx) => {
      requireSession(ctx);
      return (await ctx.app.accounts.ownAccount.endOtherSessions(ctx.db, ctx.sessionToken)).length;
    },
  }),
}));
