import { builder } from "./builder.ts";
import { requireViewer } from "./context.ts";

const RoleEnum = builder.enumType("Role", { values: ["ADMIN", "MEMBER"] as const });

builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    displayName: t.exposeString("displayName"),
    role: t.expose("role", { type: RoleEnum }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("viewer", (t) =>
  t.prismaField({
    type: "User",
    nullable: true,
    description: "The signed-in user, or null.",
    resolve: (query, _root, _args, ctx) => (ctx.viewer ? ctx.db.user.findUnique({ ...query, where: { id: ctx.viewer.id } }) : null),
  }),
);

const SignUpInput = builder.inputType("SignUpInput", {
  fields: (t) => ({
    email: t.string(),
    password: t.string(),
    displayName: t.string({ required: false }),
  }),
});

const SignInInput = builder.inputType("SignInInput", {
  fields: (t) => ({ email: t.string(), password: t.string() }),
});

builder.mutationFields((t) => ({
  signUp: t.prismaField({
    type: "User",
    description: "Creates an account and signs it in (session cookie). The first account becomes admin.",
    args: { input: t.arg({ type: SignUpInput }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const { user, sessionToken, expiresAt } = await ctx.app.accounts.signUp(input);
      ctx.setSessionCookie(sessionToken, expiresAt);
      return user;
    },
  }),
  signIn: t.prismaField({
    type: "User",
    description: "Signs in (session cookie). Failed attempts are rate limited per account and address.",
    args: { input: t.arg({ type: SignInInput }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const { user, sessionToken, expiresAt } = await ctx.app.accounts.signIn({ ...input, clientAddress: ctx.clientAddress });
      ctx.setSessionCookie(sessionToken, expiresAt);
      return user;
    },
  }),
  signOut: t.boolean({
    description: "Ends the current session.",
    resolve: async (_root, _args, ctx) => {
      requireViewer(ctx);
      if (ctx.sessionToken) await ctx.app.accounts.signOut(ctx.sessionToken);
      ctx.clearSessionCookie();
      return true;
    },
  }),
}));
