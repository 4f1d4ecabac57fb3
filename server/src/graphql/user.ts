import { type SignupMode, THEMES, type Theme, updateSettings } from "../accounts/index.ts";
import { defaultModelFor } from "../models/index.ts";
import { builder } from "./builder.ts";
import { refuseThroughToken, requireSession, requireViewer } from "./context.ts";
import { SignupModeEnum } from "./signup.ts";

const RoleEnum = builder.enumType("Role", { values: ["ADMIN", "MEMBER"] as const });
const ThemeEnum = builder.enumType("Theme", {
  values: {
    SYSTEM: { description: "Follow the device's light or dark setting." },
    LIGHT: {},
    DARK: {},
  },
});

const UserRef = builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    displayName: t.exposeString("displayName"),
    role: t.expose("role", { type: RoleEnum }),
    theme: t.field({ type: ThemeEnum, resolve: (user) => (THEMES.includes(user.theme as Theme) ? (user.theme as Theme) : "SYSTEM") }),
    preferredModel: t.prismaField({
      type: "AiModel",
      nullable: true,
      description: "The model chosen in the settings for new chats; null when none is chosen (or it was deleted).",
      resolve: (query, user, _args, ctx) => (user.defaultModelId ? ctx.db.aiModel.findUnique({ ...query, where: { id: user.defaultModelId } }) : null),
    }),
    defaultModel: t.prismaField({
      type: "AiModel",
      nullable: true,
      description: "The model a new chat starts with: the preferred model while it is switched on, else the model of the most recently active chat, else the first switched-on model.",
      resolve: (_query, user, _args, ctx) => defaultModelFor(ctx.db, user.id, user.defaultModelId),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const ServerInfo = builder.objectRef<{ needsFirstAccount: boolean; signupMode: SignupMode; passwordResetByEmail: boolean }>("ServerInfo").implement({
  description: "What a visitor who is not signed in may know about this server.",
  fields: (t) => ({
    needsFirstAccount: t.exposeBoolean("needsFirstAccount", { description: "True on a new server without accounts: the first one to sign up becomes its administrator." }),
    signupOpen: t.boolean({
      description: "Whether anyone may sign up (the first one always may); false when sign-up is closed or by invitation.",
      resolve: (info) => info.signupMode === "OPEN",
    }),
    signupMode: t.field({ type: SignupModeEnum, resolve: (info) => info.signupMode }),
    passwordResetByEmail: t.exposeBoolean("passwordResetByEmail", {
      description: "Whether a forgotten password can be reset by e-mail (SMTP is set up); otherwise an administrator makes a reset link.",
    }),
  }),
});

builder.queryField("serverInfo", (t) =>
  t.field({
    type: ServerInfo,
    resolve: async (_root, _args, ctx) => ({
      needsFirstAccount: await ctx.app.accounts.needsFirstAccount(),
      signupMode: await ctx.app.accounts.signupMode(),
      passwordResetByEmail: ctx.app.accounts.passwordReset.byEmail,
    }),
  }),
);

const SettingsInput = builder.inputType("SettingsInput", {
  fields: (t) => ({
    displayName: t.string({ required: false }),
    defaultModelId: t.id({ required: false, description: "null: new chats start with the model used last." }),
    theme: t.field({ type: ThemeEnum, required: false }),
  }),
});

builder.mutationField("updateSettings", (t) =>
  t.prismaField({
    type: "User",
    description: "Changes the viewer's display name, default model for new chats, or theme; fields left out stay.",
    args: { input: t.arg({ type: SettingsInput }) },
    resolve: (_query, _root, { input }, ctx) =>
      updateSettings(ctx.db, requireViewer(ctx).id, {
        displayName: input.displayName,
        defaultModelId: input.defaultModelId == null ? input.defaultModelId : String(input.defaultModelId),
        theme: input.theme,
      }),
  }),
);

builder.queryField("viewer", (t) =>
  t.field({
    type: UserRef,
    nullable: true,
    description: "The signed-in user, or null.",
    // The row the session was resolved with (identity.ts: whole, and dropped whenever it changes); User has no
    // relation fields to load, so not a prismaField: that would plan a Prisma query from the selection on every request.
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
);

const SignUpInput = builder.inputType("SignUpInput", {
  fields: (t) => ({
    email: t.string(),
    password: t.string(),
    displayName: t.string({ required: false }),
    inviteToken: t.string({ required: false, description: "The token of an invite link (needed while sign-up is by invitation)." }),
  }),
});

const SignInInput = builder.inputType("SignInInput", {
  fields: (t) => ({ email: t.string(), password: t.string() }),
});

builder.mutationFields((t) => ({
  signUp: t.prismaField({
    type: "User",
    description: "Creates an account and signs it in (session cookie). The first account becomes admin; after it, the sign-up mode decides.",
    args: { input: t.arg({ type: SignUpInput }) },
    resolve: async (_query, _root, { input }, ctx) => {
      refuseThroughToken(ctx);
      const { user, sessionToken, expiresAt } = await ctx.app.accounts.signUp({ ...input, clientAddress: ctx.clientAddress, userAgent: ctx.userAgent });
      ctx.setSessionCookie(sessionToken, expiresAt);
      return user;
    },
  }),
  signIn: t.prismaField({
    type: "User",
    description: "Signs in (session cookie). Failed attempts are rate limited per account and address.",
    args: { input: t.arg({ type: SignInInput }) },
    resolve: async (_query, _root, { input }, ctx) => {
      refuseThroughToken(ctx);
      const { user, sessionToken, expiresAt } = await ctx.app.accounts.signIn({ ...input, clientAddress: ctx.clientAddress, userAgent: ctx.userAgent });
      ctx.setSessionCookie(sessionToken, expiresAt);
      return user;
    },
  }),
  signOut: t.boolean({
    description: "Ends the current session.",
    resolve: async (_root, _args, ctx) => {
      requireSession(ctx);
      if (ctx.sessionToken) await ctx.app.accounts.signOut(ctx.sessionToken);
      ctx.clearSessionCookie();
      return true;
    },
  }),
}));
