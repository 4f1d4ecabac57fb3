/**
 * "Your account": email, password and sessions of the signed-in user (accounts/own-account.ts).
 * The display name changes with updateSettings (user.ts).
 */
import type { SessionView } from "../accounts/index.ts";
import { builder } from "./builder.ts";
import { refuseThroughToken, requireSession } from "./context.ts";

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

const PasswordResetLink = builder.objectRef<{ url: string; expiresAt: Date }>("PasswordResetLink").implement({
  description: "A one-time link that lets its holder choose a new password for one account, within an hour.",
  fields: (t) => ({
    url: t.exposeString("url"),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
  }),
});

const ResetPasswordInput = builder.inputType("ResetPasswordInput", {
  fields: (t) => ({
    token: t.string({ description: "The secret from the link (what follows #token=)." }),
    newPassword: t.string(),
  }),
});

builder.mutationFields((t) => ({
  requestPasswordReset: t.boolean({
    description:
      "Mails a one-time reset link to the address if it has an account (when the server has SMTP set up). Answers true either way; limited per address.",
    args: { email: t.arg.string() },
    resolve: (_root, { email }, ctx) => {
      refuseThroughToken(ctx);
      ctx.app.accounts.passwordReset.request({ email, clientAddress: ctx.clientAddress });
      return true;
    },
  }),
  resetPassword: t.boolean({
    description: "Sets a new password with a reset link's secret (once, within an hour of its making); every session of the account ends. Sign in afterwards.",
    args: { input: t.arg({ type: ResetPasswordInput }) },
    resolve: async (_root, { input }, ctx) => {
      refuseThroughToken(ctx);
      await ctx.app.accounts.passwordReset.reset(input);
      return true;
    },
  }),
  createPasswordResetLink: t.field({
    type: PasswordResetLink,
    description: "Administrators: a one-time reset link for a user, to hand over (valid for an hour).",
    args: { userId: t.arg.id() },
    resolve: (_root, { userId }, ctx) => ctx.app.accounts.passwordReset.linkFor(requireSession(ctx), String(userId), ctx.origin),
  }),
}));
